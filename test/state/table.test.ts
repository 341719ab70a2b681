import { describe, it, expect } from 'vitest';
import { StateCounterCodec } from '../../src/codec/state.ts';
import { Table, type StateWrite } from '../../src/domain/table.ts';

/** A small table: key 0x7e || one byte, value StateCounter; records are numbers; a hook logs changes. */
function table() {
  const log: string[] = [];
  const t = new Table<number, number, { value: number }>({
    name: 'test',
    prefix: 0x7e,
    key: (k) => new Uint8Array([0x7e, k]),
    rowKey: (key) => (key.length === 2 ? key[1] : null),
    codec: StateCounterCodec,
    toProto: (value) => ({ value }),
    fromProto: (m) => m.value,
    checkStored: (m, k) => (m.value === 666 && k === 6 ? 'the beast' : null),
    onChange: (k, old, next) => log.push(`${k}:${old ?? '-'}>${next ?? '-'}`),
  });
  return { t, log };
}
const hex = (w: StateWrite[]) => w.map((x) => `${Buffer.from(x.key).toString('hex')}=${x.value ? Buffer.from(x.value).toString('hex') : 'null'}`);

describe('Table (journaled state table)', () => {
  it('writes only inside an execution; the write set has every touched key once with its current value', () => {
    const { t } = table();
    expect(() => t.set(1, 5)).toThrow(/outside an execution/);
    t.begin();
    t.set(1, 5);
    t.set(1, 7);
    t.set(2, 3);
    t.set(2, undefined);
    const w: StateWrite[] = [];
    t.collectWrites(w);
    expect(hex(w)).toEqual(['7e01=' + Buffer.from(StateCounterCodec.encode({ value: 7 })).toString('hex'), '7e02=null']);
    expect(() => t.begin()).toThrow(/already open/);
    t.end();
    const none: StateWrite[] = [];
    t.collectWrites(none);
    expect(none).toEqual([]);
    expect([t.get(1), t.has(2), t.size]).toEqual([7, false, 1]);
  });

  it('reads the committed value while an execution is open; rollback restores it exactly, hooks included', () => {
    const { t, log } = table();
    t.begin();
    t.set(1, 10);
    t.end();
    t.begin();
    t.set(1, 11);
    t.set(2, 20);
    expect([t.get(1), t.committed(1), t.committed(2)]).toEqual([11, 10, undefined]);
    expect([...t.touched()]).toEqual([[1, 10], [2, undefined]]);
    t.rollback();
    expect([t.get(1), t.has(2), t.committed(1)]).toEqual([10, false, 10]);
    expect(log).toEqual(['1:->10', '1:10>11', '2:->20', '1:11>10', '2:20>-']);
  });

  it('load installs stored entries through the hook and refuses bad keys, undecodable values and failed checks with STATE_CORRUPT', () => {
    const { t, log } = table();
    t.load(new Uint8Array([0x7e, 4]), StateCounterCodec.encode({ value: 9 }));
    expect([t.get(4), log]).toEqual([9, ['4:->9']]);
    expect(() => t.load(new Uint8Array([0x7e, 4, 4]), StateCounterCodec.encode({ value: 9 }))).toThrow(/STATE_CORRUPT.*bad test key/);
    expect(() => t.load(new Uint8Array([0x7e, 5]), new Uint8Array([0xff, 0xff]))).toThrow(/STATE_CORRUPT/);
    expect(() => t.load(new Uint8Array([0x7e, 6]), StateCounterCodec.encode({ value: 666 }))).toThrow(/STATE_CORRUPT.*the beast/);
    expect([t.has(5), t.has(6)]).toEqual([false, false]);
  });
});
