import { parseConfig } from '../../src/node/config.ts';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decodeTx } from '../../src/chain/tx.ts';
import { StateEdgeNodeCodec } from '../../src/codec/state.ts';
import {
  WorldState,
  STATE_RETENTION,
  DEFAULT_RETENTION,
  applyWrites,
  buildTree,
  proveKey,
  parseTypeIndexKey,
  pathOfKey,
  rootOf,
  typePrefix,
  TYPE_PREFIX_BITS,
  verifyKeyProof,
  verifyRangeProof,
  type KeyProof,
  type RangeProof,
  type StateWrite,
  type SmtNode,
} from '../../src/state/index.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { STD_GENESIS, addr, applyToStore, storeEntries } from './helpers.ts';

/** The replay fixture's chain (every tx kind) gives a state with every record kind. */
const fx = JSON.parse(readFileSync(new URL('./fixtures/replay-chain.json', import.meta.url), 'utf8'));
const ctx = (height: number) => ({ height, timestamp: 1_700_000_000_000 + height * 1000, proposer: addr('proxy') });

function chain() {
  const g = WorldState.fromGenesis(STD_GENESIS());
  const ws = g.state;
  const store = new Map<string, Uint8Array>();
  const apply = (w: readonly StateWrite[]) => w.forEach((x) => (x.value ? store.set(toHex(x.key), x.value) : store.delete(toHex(x.key))));
  apply(g.result.writes);
  const stores: Map<string, Uint8Array>[] = [new Map(store)];
  const roots: Uint8Array[] = [g.result.stateRoot];
  for (const b of fx.blocks) {
    const txs = b.txs.map((h: string) => {
      const r = decodeTx(fromHex(h)!, { chainId: fx.chainId, maxTxBytes: Number.MAX_SAFE_INTEGER });
      if (!r.ok) throw r.error;
      return r.value;
    });
    const r = ws.execute(ctx(b.height), txs);
    if (!r.ok) throw r.error;
    ws.commit();
    apply(r.value.writes);
    stores.push(new Map(store));
    roots.push(r.value.stateRoot);
  }
  return { ws, stores, roots };
}

const flip = (b: Uint8Array, i = 0) => {
  const c = new Uint8Array(b);
  c[i % c.length] ^= 1;
  return c;
};

describe('authenticated state: key proofs', () => {
  const { ws, stores, roots } = chain();
  const final = stores[stores.length - 1];

  it('proves every record present, at the head and at every past height, against that height\'s root', () => {
    expect(final.size).toBeGreaterThan(20);
    const prefixes = new Set([...final.keys()].map((k) => k.slice(0, 2)));
    expect([...prefixes].sort()).toEqual(['01', '02', '03', '04', '05', '06', '08', '0a']);
    for (let h = 0; h < stores.length; h++) {
      for (const [k, v] of stores[h]) {
        const key = fromHex(k)!;
        const p = ws.proveKey(key, h);
        expect(toHex(p.stateRoot)).toBe(toHex(roots[h]));
        expect(p.value && toHex(p.value)).toBe(toHex(v));
        expect(verifyKeyProof(roots[h], key, v, p.proof, pathOfKey)).toBeNull();
      }
    }
  });

  it('proves absent keys absent (never-written, deleted, and neighbours of present keys)', () => {
    const absent = [
      new Uint8Array([0x01, ...new Uint8Array(20).fill(0xab)]),
      new Uint8Array([0x04, ...utf8('no-such-node')]),
      new Uint8Array([0x05, 0, 0, 0, 0, 0, 0, 0x7f, 0xff]),
      new Uint8Array([0x07]),
      new Uint8Array([]),
    ];
    // keys present at some height and deleted later (RemoveNode)
    const deleted = [...stores[0].keys(), ...stores.flatMap((s) => [...s.keys()])].filter((k) => !final.has(k));
    expect(deleted.length).toBeGreaterThan(0);
    for (const key of [...absent, ...deleted.map((k) => fromHex(k)!)]) {
      const p = ws.proveKey(key);
      expect(p.value).toBeNull();
      expect(verifyKeyProof(ws.stateRoot, key, null, p.proof, pathOfKey)).toBeNull();
      // and it cannot be passed off as present with some value
      expect(verifyKeyProof(ws.stateRoot, key, utf8('x'), p.proof, pathOfKey)).not.toBeNull();
    }
  });

  it('refuses a tampered proof, value or root', () => {
    for (const [k, v] of [...final].slice(0, 15)) {
      const key = fromHex(k)!;
      const { proof } = ws.proveKey(key);
      const root = ws.stateRoot;
      expect(verifyKeyProof(flip(root), key, v, proof, pathOfKey)).toMatch(/state root/);
      expect(verifyKeyProof(root, key, flip(v, 3), proof, pathOfKey)).not.toBeNull();
      expect(verifyKeyProof(root, key, null, proof, pathOfKey)).not.toBeNull();
      for (let i = 0; i < proof.siblings.length; i++) {
        const bad: KeyProof = { ...proof, siblings: proof.siblings.map((s, j) => (j === i ? flip(s, 7) : s)) };
        expect(verifyKeyProof(root, key, v, bad, pathOfKey)).not.toBeNull();
      }
      expect(verifyKeyProof(root, key, v, { ...proof, siblings: proof.siblings.slice(1) }, pathOfKey)).not.toBeNull();
      expect(verifyKeyProof(root, key, v, { ...proof, siblings: [...proof.siblings, new Uint8Array(32)] }, pathOfKey)).not.toBeNull();
    }
    // an absence proof with a doctored witness leaf
    const key = new Uint8Array([0x04, ...utf8('ghost')]);
    const { proof } = ws.proveKey(key);
    if (proof.leaf) expect(verifyKeyProof(ws.stateRoot, key, null, { ...proof, leaf: { ...proof.leaf, valueHash: flip(proof.leaf.valueHash) } }, pathOfKey)).not.toBeNull();
    else expect(verifyKeyProof(ws.stateRoot, key, null, { ...proof, siblings: [...proof.siblings.slice(0, -1), flip(proof.siblings.at(-1)!)] }, pathOfKey)).not.toBeNull();
  });

  it('keeps the last STATE_RETENTION heights provable and says which when asked for an older one', () => {
    expect(ws.oldestProvableHeight).toBe(0);
    const s = WorldState.fromGenesis(STD_GENESIS()).state;
    const rootAt: Uint8Array[] = [];
    for (let h = 1; h <= STATE_RETENTION + 3; h++) {
      expect(s.execute(ctx(h), []).ok).toBe(true);
      s.commit();
      rootAt[h] = s.stateRoot;
    }
    expect(s.oldestProvableHeight).toBe(4);
    expect(() => s.proveKey(new Uint8Array([1]), 3)).toThrow(/STATE_HEIGHT_UNAVAILABLE|not kept/);
    expect(() => s.proveKey(new Uint8Array([1]), s.height + 1)).toThrow(/not kept/);
    // (each block records its proposer's liveness, docs/GOVERNANCE.md: the roots differ per height)
    expect(s.proveKey(new Uint8Array([1]), 4).stateRoot).toEqual(rootAt[4]);
  });

  it('keeps fewer heights when their blocks made more tree nodes than the budget, never fewer than the minimum', () => {
    const s = WorldState.fromGenesis(STD_GENESIS()).state;
    const block = () => {
      expect(s.execute(ctx(s.height + 1), []).ok).toBe(true);
      s.commit();
    };
    for (let i = 0; i < 10; i++) block();
    expect(s.oldestProvableHeight).toBe(0);
    // a budget of 0 nodes: only the minimum of heights stays
    s.setRetention({ maxHeights: 64, minHeights: 4, nodes: 0 });
    expect(s.oldestProvableHeight).toBe(7);
    for (let i = 0; i < 5; i++) block();
    expect(s.oldestProvableHeight).toBe(s.height - 3);
    expect(() => s.proveKey(new Uint8Array([1]), s.height - 4)).toThrow(/not kept/);
    // a large budget: the window grows again, up to maxHeights
    s.setRetention({ maxHeights: 20, minHeights: 4, nodes: 1_000_000 });
    const from = s.oldestProvableHeight;
    for (let i = 0; i < 10; i++) block();
    expect(s.oldestProvableHeight).toBe(from);
    for (let i = 0; i < 10; i++) block();
    expect(s.height - s.oldestProvableHeight + 1).toBe(20);
    expect(() => s.setRetention({ maxHeights: 3, minHeights: 4, nodes: 1 })).toThrow(/minHeights <= maxHeights/);
  });

  it('a node config sets the retention ("proofs"); defaults 64 / 16 / 400,000; a bad one is refused with the key named', () => {
    const base = { genesis: 'g.json', key: 'k.json' };
    expect(parseConfig(base, '/tmp').proofs).toEqual(DEFAULT_RETENTION);
    expect(DEFAULT_RETENTION).toEqual({ maxHeights: 64, minHeights: 16, nodes: 400_000 });
    expect(parseConfig({ ...base, proofs: { maxHeights: 1000, nodes: 5_000_000 } }, '/tmp').proofs).toEqual({ maxHeights: 1000, minHeights: 16, nodes: 5_000_000 });
    expect(() => parseConfig({ ...base, proofs: { minHeights: 0 } }, '/tmp')).toThrow(/proofs\.minHeights/);
    expect(() => parseConfig({ ...base, proofs: { maxHeights: 8 } }, '/tmp')).toThrow(/minHeights must not exceed proofs\.maxHeights/);
    expect(() => parseConfig({ ...base, proofs: { heights: 8 } }, '/tmp')).toThrow(/heights/);
  });
});

describe('authenticated state: service-type range proofs (completeness)', () => {
  const { ws, stores, roots } = chain();

  const typesAt = (store: Map<string, Uint8Array>) => {
    const byType = new Map<string, string[]>();
    for (const [k, v] of store) {
      if (!k.startsWith('04')) continue;
      const n = StateEdgeNodeCodec.decode(v);
      if (!n.ok) throw n.error;
      for (const t of n.value.serviceTypes) byType.set(t, [...(byType.get(t) ?? []), n.value.id].sort());
    }
    return byType;
  };

  it('gives exactly the nodes offering a type, with their records, at every height; an unknown type proves empty', () => {
    let checked = 0;
    for (let h = 0; h < stores.length; h++) {
      const expected = typesAt(stores[h]);
      for (const t of [...expected.keys(), 'nobody-offers-this']) {
        const { stateRoot, proof } = ws.proveServiceType(t, h);
        expect(stateRoot).toEqual(roots[h]);
        const r = verifyRangeProof(roots[h], typePrefix(t), TYPE_PREFIX_BITS, proof, pathOfKey);
        if (!r.ok) throw new Error(r.reason);
        const got = r.leaves.map((l) => parseTypeIndexKey(l.key)!).filter((x) => x.serviceType === t);
        expect(got.map((x) => x.nodeId).sort()).toEqual(expected.get(t) ?? []);
        for (const l of r.leaves) {
          const id = parseTypeIndexKey(l.key)!.nodeId;
          expect(toHex(l.value)).toBe(toHex(stores[h].get(toHex(new Uint8Array([0x04, ...utf8(id)])))!));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('refuses a range proof with a node left out, added, changed or a sibling or root tampered', () => {
    const t = [...typesAt(stores.at(-1)!).entries()].sort((a, b) => b[1].length - a[1].length)[0][0];
    const { proof } = ws.proveServiceType(t);
    const root = ws.stateRoot;
    const pre = typePrefix(t);
    const check = (p: RangeProof, r = root) => verifyRangeProof(r, pre, TYPE_PREFIX_BITS, p, pathOfKey);
    expect(proof.leaves.length).toBeGreaterThanOrEqual(2);
    expect(check(proof).ok).toBe(true);
    for (let i = 0; i < proof.leaves.length; i++) {
      expect(check({ ...proof, leaves: proof.leaves.filter((_, j) => j !== i) }).ok).toBe(false);
      expect(check({ ...proof, leaves: proof.leaves.map((l, j) => (j === i ? { ...l, value: flip(l.value, 5) } : l)) }).ok).toBe(false);
    }
    const forged = { key: new Uint8Array([0xf0, utf8(t).length, ...utf8(t), ...utf8('forged')]), value: proof.leaves[0].value };
    expect(check({ ...proof, leaves: [...proof.leaves, forged] }).ok).toBe(false);
    expect(check({ ...proof, leaves: [...proof.leaves, proof.leaves[0]] }).ok).toBe(false);
    if (proof.siblings.length > 0) expect(check({ ...proof, siblings: [flip(proof.siblings[0]), ...proof.siblings.slice(1)] }).ok).toBe(false);
    expect(check(proof, flip(root)).ok).toBe(false);
    // a record outside the range cannot be slipped in
    const acct = [...stores.at(-1)!].find(([k]) => k.startsWith('01'))!;
    expect(check({ ...proof, leaves: [...proof.leaves, { key: fromHex(acct[0])!, value: acct[1] }] }).ok).toBe(false);
    // the empty-type proof cannot be passed off for a type that has nodes
    const empty = ws.proveServiceType('nobody-offers-this').proof;
    expect(check(empty).ok).toBe(false);
  });
});

describe('the tree is a function of the record set', () => {
  it('any sequence of puts and deletes gives the root of the tree built from the final set; every key proves', () => {
    // record keys (table prefixes 1..6 but not 4, whose values are node records with index entries)
    const keyArb = fc.tuple(fc.constantFrom(1, 2, 3, 5, 6), fc.uint8Array({ maxLength: 5 })).map(([p, rest]) => new Uint8Array([p, ...rest]));
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null })), { maxLength: 60 }), (ops) => {
        let t: SmtNode | null = null;
        const m = new Map<string, Uint8Array>();
        for (const [key, value] of ops) {
          const w = [{ key, value }];
          t = applyWrites(t, w);
          applyToStore(m, w);
        }
        const built = buildTree(storeEntries(m));
        expect(toHex(rootOf(t))).toBe(toHex(rootOf(built)));
        for (const [key] of ops) {
          const v = m.get(toHex(key)) ?? null;
          const p = proveKey(t, pathOfKey(key));
          expect(p.leaf && toHex(p.leaf.value)).toBe(v && toHex(v));
          expect(verifyKeyProof(rootOf(t), key, v, p.proof, pathOfKey)).toBeNull();
        }
      }),
      { numRuns: 150, seed: 15 },
    );
  });
});
