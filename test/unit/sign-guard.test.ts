import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { amnesicHeightOf, guardDecide, guardItemOf, type GuardItem, type GuardState } from '../../src/consensus/guard.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec } from '../../src/codec/consensus.ts';
import { keyPairFromLabel, sign } from '../../src/crypto/keys.ts';
import { voteBytes } from '../../src/chain/certificate.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { SignGuard } from '../../src/node/sign-guard.ts';
import { DurableFile } from '../../src/storage/durable-file.ts';

const H = (b: number) => toHex(new Uint8Array(32).fill(b));
/** A durable-file slot's text without its NUL padding. */
const unpadded = (text: string) => text.replace(/\0+$/, '');
const item = (kind: GuardItem['kind'], height: number, view: number, b: number): GuardItem => ({ kind, height, view, hash: H(b) });

function apply(items: GuardItem[], amnesic: number | null = null): { state: GuardState | null; verdicts: string[] } {
  let state: GuardState | null = null;
  const verdicts: string[] = [];
  for (const it of items) {
    const d = guardDecide(state, it, amnesic);
    verdicts.push(d.ok ? (d.changed ? 'new' : 'resend') : d.reason);
    if (d.ok) state = d.next;
  }
  return { state, verdicts };
}

describe('double-sign guard: the decision', () => {
  it('a re-send passes, a conflicting vote at the same (height, kind, view) does not', () => {
    const r = apply([item('prepare', 5, 0, 1), item('prepare', 5, 0, 1), item('prepare', 5, 0, 2), item('commit', 5, 0, 1), item('commit', 5, 0, 3), item('proposal', 5, 0, 1), item('proposal', 5, 0, 4)]);
    expect(r.verdicts).toEqual(['new', 'resend', 'conflicting-vote', 'new', 'conflicting-vote', 'new', 'conflicting-vote']);
  });

  it('never a height below the last signed one; a higher height starts afresh', () => {
    const r = apply([item('prepare', 5, 0, 1), item('prepare', 4, 0, 9), item('prepare', 6, 0, 2), item('prepare', 5, 0, 1)]);
    expect(r.verdicts).toEqual(['new', 'height-below-last-signed', 'new', 'height-below-last-signed']);
    expect(r.state).toEqual({ height: 6, signed: [{ kind: 'prepare', view: 0, hash: H(2) }] });
  });

  it('after a VIEW-CHANGE to V, nothing new below V at that height; at V and above, votes go on', () => {
    const r = apply([item('prepare', 5, 0, 1), item('viewChange', 5, 1, 7), item('commit', 5, 0, 1), item('prepare', 5, 0, 1), item('proposal', 5, 1, 2), item('prepare', 5, 1, 2)]);
    expect(r.verdicts).toEqual(['new', 'new', 'view-left', 'resend', 'new', 'new']);
  });

  it('at the amnesic height (WAL lost) nothing new is signed, re-sends and the next height are fine', () => {
    let state: GuardState | null = null;
    for (const it of [item('prepare', 5, 0, 1)]) {
      const d = guardDecide(state, it);
      if (d.ok) state = d.next;
    }
    expect(amnesicHeightOf(state, 0, [])).toBe(5);
    expect(amnesicHeightOf(state, 4, [4, 5])).toBeNull(); // the WAL still holds height 5
    expect(amnesicHeightOf(state, 5, [])).toBeNull(); // height 5 is finalized here
    expect(guardDecide(state, item('prepare', 5, 1, 2), 5)).toEqual({ ok: false, reason: 'wal-lost' });
    expect(guardDecide(state, item('prepare', 5, 0, 1), 5)).toMatchObject({ ok: true, changed: false });
    expect(guardDecide(state, item('prepare', 6, 0, 2), 5)).toMatchObject({ ok: true, changed: true });
  });

  it('reads own signed messages only: votes, proposals, VIEW-CHANGEs; not certificates or other senders', () => {
    const key = keyPairFromLabel('sim-sealer-1');
    const vote = (kind: 'prepare' | 'commit', sender: number) => {
      const payload = ConsensusPayloadCodec.encode({ [kind]: { height: 3, view: 2, blockHash: new Uint8Array(32).fill(5) } });
      return ConsensusMessageCodec.encode({ payload, sender, signature: sign(voteBytes(kind, 'c', 3, 2, new Uint8Array(32).fill(5)), key.secretKey), block: new Uint8Array(0) });
    };
    expect(guardItemOf(vote('commit', 1), 1)).toEqual({ kind: 'commit', height: 3, view: 2, hash: H(5) });
    expect(guardItemOf(vote('commit', 2), 1)).toBeNull();
    const cert = ConsensusPayloadCodec.encode({ certificate: { height: 3, view: 2, blockHash: new Uint8Array(32).fill(5), seals: [{ sealer: 0, signature: new Uint8Array(64) }] } });
    expect(guardItemOf(ConsensusMessageCodec.encode({ payload: cert, sender: 1, signature: new Uint8Array(64), block: new Uint8Array(0) }), 1)).toBeNull();
    expect(guardItemOf(new Uint8Array([1, 2, 3]), 1)).toBeNull();
  });
});

describe('double-sign guard: the file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const chain = { chainId: 'edgechain-test', genesisHash: '0x' + 'ab'.repeat(32) };
  const commit = (view: number, b: number) => {
    const key = keyPairFromLabel('sim-sealer-0');
    const payload = ConsensusPayloadCodec.encode({ commit: { height: 7, view, blockHash: new Uint8Array(32).fill(b) } });
    return ConsensusMessageCodec.encode({ payload, sender: 0, signature: sign(voteBytes('commit', chain.chainId, 7, view, new Uint8Array(32).fill(b)), key.secretKey), block: new Uint8Array(0) });
  };

  it('is written before allow() returns, and a reopened guard (data dir wiped) still refuses the conflicting vote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgechain-guard-'));
    dirs.push(dir);
    const path = join(dir, 'node.sign-state.json');
    const g = SignGuard.open(path, chain);
    expect(g.allow(commit(0, 1), 0)).toEqual({ ok: true });
    expect(JSON.parse(new DurableFile(path).read()!)).toMatchObject({ version: 1, chainId: chain.chainId, height: 7, signed: [{ kind: 'commit', view: 0, hash: H(1) }] });
    // a restart with an empty WAL and an empty chain (head 0)
    const again = SignGuard.open(path, chain);
    expect(again.noteWal(0, [])).toBe(7);
    expect(again.allow(commit(0, 2), 0)).toEqual({ ok: false, reason: 'conflicting-vote' });
    expect(again.allow(commit(1, 2), 0)).toEqual({ ok: false, reason: 'wal-lost' });
    expect(again.allow(commit(0, 1), 0)).toEqual({ ok: true });
    expect(again.refused.get('conflicting-vote')).toBe(1);
    expect(JSON.parse(new DurableFile(path).read()!).signed).toHaveLength(1);
    g.close();
    again.close();
  });

  it('refuses to start from a corrupt file or one of another chain, and leaves it as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgechain-guard-'));
    dirs.push(dir);
    const path = join(dir, 'x.sign-state.json');
    writeFileSync(path, '{"version":1,');
    expect(() => SignGuard.open(path, chain)).toThrow(/no intact record/);
    rmSync(path);
    new DurableFile(path).write('{"version":1,');
    expect(() => SignGuard.open(path, chain)).toThrow(/not valid JSON/);
    new DurableFile(path).write(JSON.stringify({ version: 1, chainId: 'other', genesisHash: chain.genesisHash, height: 1, signed: [] }));
    expect(() => SignGuard.open(path, chain)).toThrow(/belongs to chain other/);
    expect(JSON.parse(new DurableFile(path).read()!).chainId).toBe('other');
  });

  it('durable file: writes alternate between two slots; a torn newest slot falls back to the previous record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgechain-guard-'));
    dirs.push(dir);
    const path = join(dir, 'd.json');
    const f = new DurableFile(path);
    expect(f.read()).toBeNull();
    f.write('one');
    f.write('two');
    f.write('three');
    expect(new DurableFile(path).read()).toBe('three');
    // 'three' went to the first slot (writes 1 and 3): tear it (the record, not its NUL padding)
    const text = unpadded(readFileSync(path, 'utf8'));
    writeFileSync(path, text.slice(0, text.length - 2));
    const g = new DurableFile(path);
    expect(g.read()).toBe('two');
    g.write('four'); // goes over the torn slot
    expect(new DurableFile(path).read()).toBe('four');
    expect(unpadded(readFileSync(path + '.alt', 'utf8')).endsWith('two')).toBe(true);
    f.close();
    g.close();
  });

  it('durable file: a slot is overwritten in place at a size that does not shrink; unpadded files of earlier versions read the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgechain-guard-'));
    dirs.push(dir);
    const path = join(dir, 'p.json');
    const f = new DurableFile(path);
    f.write('x'.repeat(700)); // slot 0: 1,024 bytes
    f.write('short'); // slot 1: 512
    f.write('tiny'); // slot 0 again: stays 1,024, the longer record's tail overwritten with padding
    expect(statSync(path).size).toBe(1024);
    expect(statSync(path + '.alt').size).toBe(512);
    const slot0 = readFileSync(path, 'utf8');
    expect(unpadded(slot0).endsWith('\ntiny')).toBe(true);
    expect(slot0.includes('x')).toBe(false);
    expect(new DurableFile(path).read()).toBe('tiny');
    f.close();
    // a slot file as written before the padding (no NULs) is read as it was
    const old = join(dir, 'old.json');
    writeFileSync(old, `7\n${toHex(sha256(utf8('{"a":1}')))}\n{"a":1}`);
    const o = new DurableFile(old);
    expect(o.read()).toBe('{"a":1}');
    o.write('{"a":2}'); // to the other slot, seq 8
    expect(new DurableFile(old).read()).toBe('{"a":2}');
    o.close();
    expect(() => new DurableFile(join(dir, 'n.json')).write('ends with NUL\0')).toThrow(/NUL/);
  });
});
