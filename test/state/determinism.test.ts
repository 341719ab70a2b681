import { describe, it, expect } from 'vitest';
import type { SignedTx } from '../../src/chain/tx.ts';
import { WorldState, buildTree, rootOf, encodeWriteSet, type ExecutionResult, type StateWrite } from '../../src/state/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { STD_GENESIS, TxMaker, P, run, prng, snapshot, addr, applyToStore, rulesOf, storeEntries } from './helpers.ts';

const TYPES = ['video', 'ml', 'storage'];
const DEVICES = Array.from({ length: 8 }, (_, i) => 'd' + i);
const LABELS = ['proxy', 'acme', 'globex', 'alice', ...DEVICES];
const ctx = (height: number) => ({ height, timestamp: 1_700_000_000_000 + height, proposer: addr('proxy') });

/** A seeded workload of blocks mixing every tx kind, successes and failures. */
function workload(seed: number, blocks: number, perBlock: number): SignedTx[][] {
  const r = prng(seed);
  const ri = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const t = new TxMaker();
  const out: SignedTx[][] = [DEVICES.map((d) => t.tx(d, P.register('serial/' + d)))];
  const companies = ['acme', 'globex'];
  for (let b = 0; b < blocks; b++) {
    const txs: SignedTx[] = [];
    for (let k = 0; k < perBlock; k++) {
      const op = r();
      const lat = ri(-2_000_000, 2_000_000) + (r() < 0.2 ? 88_000_000 : 0);
      const lon = ri(-2_000_000, 2_000_000) + (r() < 0.3 ? 178_000_000 : 0);
      const id = 'en-' + ri(0, 40);
      if (op < 0.25) txs.push(t.tx(companies[ri(0, 1)], P.add(id, lat, lon, ri(1, 8), TYPES.filter(() => r() < 0.6).concat('video').filter((x, i, a) => a.indexOf(x) === i), ri(1, 9))));
      else if (op < 0.5) txs.push(t.tx(DEVICES[ri(0, 7)], P.match(lat, lon, TYPES[ri(0, 2)], ri(1, 3), r() < 0.5 ? 0 : ri(1, 9))));
      else if (op < 0.65) txs.push(t.tx(r() < 0.5 ? DEVICES[ri(0, 7)] : companies[ri(0, 1)], P.release(ri(1, 30))));
      else if (op < 0.78) txs.push(t.tx(companies[ri(0, 1)], P.update(id, lat, lon, ri(1, 8), ['video', TYPES[ri(0, 2)]].filter((x, i, a) => a.indexOf(x) === i), ri(1, 9), r() < 0.8)));
      else if (op < 0.85) txs.push(t.tx(companies[ri(0, 1)], P.remove(id)));
      else if (op < 0.95) txs.push(t.tx(LABELS[ri(0, LABELS.length - 1)], P.transfer(LABELS[ri(0, LABELS.length - 1)], ri(1, 300))));
      else txs.push(t.tx(DEVICES[ri(0, 7)], P.register('serial/' + ri(0, 12))));
    }
    out.push(txs);
  }
  return out;
}

const BLOCKS = workload(1234, 30, 25);
const hex = (b: Uint8Array) => toHex(b);

function replay(blocks: SignedTx[][]) {
  const { state, result } = WorldState.fromGenesis(STD_GENESIS());
  const results: ExecutionResult[] = [result];
  blocks.forEach((txs, i) => results.push(run(state, i + 1, txs)));
  return { state, results };
}

describe('determinism', () => {
  it('two independent states executing the same blocks agree on every root, receipt and write', () => {
    const a = replay(BLOCKS);
    const b = replay(BLOCKS);
    expect(a.results.length).toBe(BLOCKS.length + 1);
    for (let i = 0; i < a.results.length; i++) {
      expect(hex(a.results[i].stateRoot)).toBe(hex(b.results[i].stateRoot));
      expect(hex(a.results[i].receiptRoot)).toBe(hex(b.results[i].receiptRoot));
      expect(a.results[i].receiptBytes.map(hex)).toEqual(b.results[i].receiptBytes.map(hex));
      expect(a.results[i].writes.map((w) => [hex(w.key), w.value && hex(w.value)])).toEqual(b.results[i].writes.map((w) => [hex(w.key), w.value && hex(w.value)]));
    }
    const all = a.results.flatMap((r) => r.receipts);
    // the workload exercises successes, failures and matches
    expect(all.filter((r) => r.status === 0).length).toBeGreaterThan(100);
    expect(new Set(all.map((r) => r.status)).size).toBeGreaterThan(8);
    expect(all.filter((r) => r.match).length).toBeGreaterThan(30);
    expect(snapshot(a.state, LABELS, range(a.state.leaseCount))).toEqual(snapshot(b.state, LABELS, range(b.state.leaseCount)));
  });

  it('state root = root of the tree of the whole state after the block, and the write set is sorted and unique', () => {
    const { results } = replay(BLOCKS.slice(0, 6));
    const store = new Map<string, Uint8Array>();
    for (let i = 0; i < results.length; i++) {
      const w = results[i].writes;
      for (let k = 1; k < w.length; k++) expect(Buffer.compare(w[k - 1].key, w[k].key)).toBe(-1);
      applyToStore(store, w);
      // the incrementally updated tree equals one built from scratch over the accumulated records
      expect(hex(results[i].stateRoot)).toBe(hex(rootOf(buildTree(storeEntries(store)))));
    }
    // documented layout: u32 count, then u32 keylen || key || u8 present [|| u32 vallen || val]
    const enc = encodeWriteSet([{ key: new Uint8Array([1, 2]), value: new Uint8Array([9]) }, { key: new Uint8Array([3]), value: null }]);
    expect(hex(enc)).toBe('00000002' + '00000002' + '0102' + '01' + '00000001' + '09' + '00000001' + '03' + '00');
  });
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('revert', () => {
  it('restores root, queries, counters and the index exactly; re-execution gives the same result', () => {
    const { state } = replay(BLOCKS.slice(0, 15));
    const probes = Array.from({ length: 30 }, (_, i) => ({ lat: (i - 15) * 150_000, lon: (i % 2 ? 178_500_000 : 0) + i * 1000, taskType: TYPES[i % 3], demand: 1 + (i % 3), maxPrice: i % 4 }));
    let reverted = 0;
    for (let h = 15; h < 22; h++) {
      const ids = range(state.leaseCount + 30);
      const before = snapshot(state, LABELS, ids);
      const matchesBefore = probes.map((q) => state.previewMatch(q));
      const nodeLeasesBefore = state.edgeNodes({ limit: 1000 }).nodes.map((n) => state.activeLeasesOf(n.id));
      const r1 = state.execute(ctx(h + 1), BLOCKS[h]);
      expect(r1.ok).toBe(true);
      // while pending, queries answer from the committed state
      expect(snapshot(state, LABELS, ids)).toEqual(before);
      state.revert();
      reverted++;
      expect(snapshot(state, LABELS, ids)).toEqual(before);
      expect(probes.map((q) => state.previewMatch(q))).toEqual(matchesBefore);
      expect(state.edgeNodes({ limit: 1000 }).nodes.map((n) => state.activeLeasesOf(n.id))).toEqual(nodeLeasesBefore);
      const r2 = state.execute(ctx(h + 1), BLOCKS[h]);
      expect(r2.ok && r1.ok && hex(r2.value.stateRoot) === hex(r1.value.stateRoot)).toBe(true);
      state.commit();
      expect(state.height).toBe(h + 1);
    }
    expect(reverted).toBe(7);
    // and the chain continues identically to one that never reverted
    const reference = replay(BLOCKS);
    for (let h = 22; h < BLOCKS.length; h++) run(state, h + 1, BLOCKS[h]);
    expect(hex(state.stateRoot)).toBe(hex(reference.state.stateRoot));
  });
});

describe('load', () => {
  it('rebuilding from the stored write sets gives the same root, answers and next matches', () => {
    const { state, results } = replay(BLOCKS.slice(0, 20));
    const store = new Map<string, StateWrite>();
    const retired = new Map<string, Uint8Array>();
    for (const r of results) {
      for (const w of r.writes) store.set(hex(w.key), w);
      for (const w of r.retired) retired.set(hex(w.key), w.value!);
    }
    const entries: [Uint8Array, Uint8Array][] = [...store.values()].filter((w) => w.value).map((w) => [w.key, w.value!]);
    const loaded = WorldState.load(entries, { height: state.height, stateRoot: state.stateRoot, rules: rulesOf(STD_GENESIS()) });
    const ids = range(state.leaseCount + 5);
    // ended leases left the state: the loaded state answers for them from the archive only
    expect(ids.some((id) => state.lease(id) && !loaded.lease(id))).toBe(true);
    expect(snapshot(loaded, LABELS, ids, retired)).toEqual(snapshot(state, LABELS, ids));
    for (const n of state.edgeNodes({ limit: 1000 }).nodes) expect(loaded.activeLeasesOf(n.id)).toEqual(state.activeLeasesOf(n.id));
    for (const l of LABELS) expect(loaded.deviceByInfo('serial/' + l)).toBe(state.deviceByInfo('serial/' + l));
    // the next blocks execute identically on both
    for (let h = 20; h < BLOCKS.length; h++) {
      const a = run(state, h + 1, BLOCKS[h]);
      const b = run(loaded, h + 1, BLOCKS[h]);
      expect(hex(b.stateRoot)).toBe(hex(a.stateRoot));
      expect(b.receiptBytes.map(hex)).toEqual(a.receiptBytes.map(hex));
    }
  });

  it('refuses corrupt entries with STATE_CORRUPT', () => {
    expect(() => WorldState.load([[new Uint8Array([0x7f, 1]), new Uint8Array([1])]], { height: 1, stateRoot: new Uint8Array(32), rules: rulesOf(STD_GENESIS()) })).toThrow(/STATE_CORRUPT/);
    expect(() => WorldState.load([[new Uint8Array(21).fill(1), new Uint8Array([0xff, 0xff])]], { height: 1, stateRoot: new Uint8Array(32), rules: rulesOf(STD_GENESIS()) })).toThrow(/STATE_CORRUPT/);
  });
});
