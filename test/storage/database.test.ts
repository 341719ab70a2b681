import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, toHex } from '../../src/util/bytes.ts';
import type { BatchOp, Database } from '../../src/storage/interface.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { BACKENDS, makeBackend, type Backend } from './helpers.ts';

const b = (...xs: number[]) => Uint8Array.from(xs);

async function collect(db: Database, opts: Parameters<Database['iterate']>[0] = {}): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of db.iterate(opts)) out.push([toHex(k), toHex(v)]);
  return out;
}

describe.each(BACKENDS)('Database contract (%s)', (name) => {
  let backend: Backend;
  afterEach(async () => {
    await backend?.cleanup();
  });

  it('get returns undefined for a missing key and the value after a put', async () => {
    backend = await makeBackend(name);
    const db = backend.db;
    expect(await db.get(b(1))).toBeUndefined();
    await db.batch([{ type: 'put', key: b(1), value: b(9, 9) }]);
    const v = await db.get(b(1));
    expect(v).toEqual(b(9, 9));
    expect(v!.constructor).toBe(Uint8Array);
  });

  it('stores copies: a caller changing the bytes it put, or the bytes it got (Node Buffers from the codec included), changes nothing stored', async () => {
    backend = await makeBackend(name);
    const db = backend.db;
    // the codec's encode() returns Buffers, whose .slice() is a view, not a copy
    const key = Buffer.from([1, 2]);
    const value = Buffer.from([7, 7, 7]);
    await db.batch([{ type: 'put', key, value }]);
    value[0] = 0;
    key[1] = 9;
    const got = await db.get(b(1, 2));
    expect(got).toEqual(b(7, 7, 7));
    got![1] = 0;
    expect(await db.get(b(1, 2))).toEqual(b(7, 7, 7));
    expect(await collect(db)).toEqual([['0102', '070707']]);
  });

  it('applies a batch in order (a later op on a key wins) and deletes', async () => {
    backend = await makeBackend(name);
    const db = backend.db;
    await db.batch([
      { type: 'put', key: b(1), value: b(1) },
      { type: 'put', key: b(2), value: b(2) },
      { type: 'put', key: b(1), value: b(3) },
      { type: 'del', key: b(2) },
      { type: 'del', key: b(7) },
    ]);
    expect(await db.get(b(1))).toEqual(b(3));
    expect(await db.get(b(2))).toBeUndefined();
    await db.batch([]);
    expect(await collect(db)).toEqual([['01', '03']]);
  });

  it('iterates in byte order with gte/lt/reverse/limit', async () => {
    backend = await makeBackend(name);
    const db = backend.db;
    const ks = [b(0xff), b(1, 0), b(1), b(2), b(0), b(1, 0xff), b(2, 0)];
    await db.batch(ks.map((k, i) => ({ type: 'put', key: k, value: b(i) })));
    const sorted = [...ks].sort(compareBytes).map((k) => toHex(k));
    expect((await collect(db)).map(([k]) => k)).toEqual(sorted);
    expect((await collect(db, { gte: b(1), lt: b(2) })).map(([k]) => k)).toEqual(['01', '0100', '01ff']);
    expect((await collect(db, { gte: b(1), lt: b(2), reverse: true })).map(([k]) => k)).toEqual(['01ff', '0100', '01']);
    expect((await collect(db, { gte: b(1), limit: 2 })).map(([k]) => k)).toEqual(['01', '0100']);
    expect((await collect(db, { reverse: true, limit: 1 })).map(([k]) => k)).toEqual(['ff']);
    expect(await collect(db, { gte: b(3), lt: b(4) })).toEqual([]);
    for await (const [k, v] of db.iterate({ limit: 1 })) {
      expect(k.constructor).toBe(Uint8Array);
      expect(v.constructor).toBe(Uint8Array);
    }
  });

  it('matches a sorted-map model on random batches (fast-check)', async () => {
    backend = await makeBackend(name);
    const db = backend.db;
    const model = new Map<string, string>();
    const key = fc.uint8Array({ minLength: 0, maxLength: 3 });
    const op = fc.oneof(
      fc.record({ type: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: 4 }) }),
      fc.record({ type: fc.constant('del' as const), key }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), fc.option(key, { nil: undefined }), fc.option(key, { nil: undefined }), fc.boolean(), async (ops, gte, lt, reverse) => {
        await db.batch(ops as BatchOp[]);
        for (const o of ops) {
          if (o.type === 'put') model.set(toHex(o.key), toHex((o as { value: Uint8Array }).value));
          else model.delete(toHex(o.key));
        }
        let want = [...model.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        if (gte) want = want.filter(([k]) => k >= toHex(gte));
        if (lt) want = want.filter(([k]) => k < toHex(lt));
        if (reverse) want.reverse();
        expect(await collect(db, { gte, lt, reverse })).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps what was written across a reopen', async () => {
    backend = await makeBackend(name);
    await backend.db.batch([{ type: 'put', key: b(5), value: b(6) }], { sync: true });
    const db2 = await backend.reopen();
    expect(await db2.get(b(5))).toEqual(b(6));
  });

  it('rejects use after close with STORAGE_CLOSED', async () => {
    backend = await makeBackend(name);
    const db = await backend.reopen();
    await db.close();
    await expect(db.get(b(1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });
});

describe('MemoryDatabase', () => {
  it('does not alias caller or stored bytes', async () => {
    const db = new MemoryDatabase();
    const v = b(1, 2);
    await db.batch([{ type: 'put', key: b(1), value: v }]);
    v[0] = 99;
    const got = (await db.get(b(1)))!;
    expect(got).toEqual(b(1, 2));
    got[1] = 77;
    expect(await db.get(b(1))).toEqual(b(1, 2));
  });

  it('failNextBatch drops the whole batch, then the crashed db refuses everything until restart', async () => {
    const db = new MemoryDatabase();
    await db.batch([{ type: 'put', key: b(1), value: b(1) }]);
    db.failNextBatch();
    await expect(
      db.batch([
        { type: 'put', key: b(2), value: b(2) },
        { type: 'del', key: b(1) },
      ]),
    ).rejects.toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    expect(db.crashed).toBe(true);
    await expect(db.get(b(1))).rejects.toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    await expect(db.batch([{ type: 'put', key: b(3), value: b(3) }])).rejects.toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    db.restart();
    expect(await collect(db)).toEqual([['01', '01']]);
    expect(db.stats.batches).toBe(1);
  });

  it('rejects a malformed op without applying any op of the batch', async () => {
    const db = new MemoryDatabase();
    const bad = [{ type: 'put', key: b(1), value: b(1) }, { type: 'put', key: b(2) }] as unknown as BatchOp[];
    await expect(db.batch(bad)).rejects.toMatchObject({ code: 'STORAGE_BAD_INPUT' });
    expect(db.size).toBe(0);
  });

  it('iterates a snapshot taken at the call', async () => {
    const db = new MemoryDatabase();
    await db.batch([{ type: 'put', key: b(1), value: b(1) }]);
    const it = db.iterate({});
    await db.batch([{ type: 'put', key: b(2), value: b(2) }]);
    const seen: string[] = [];
    for await (const [k] of it) seen.push(toHex(k));
    expect(seen).toEqual(['01']);
  });
});
