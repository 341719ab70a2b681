import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StateEdgeNodeCodec } from '../../src/codec/state.ts';
import {
  applyWrites,
  applyWritesOneByOne,
  buildTree,
  hashOf,
  makeLeaf,
  nodeKey,
  pathOfKey,
  proveKey,
  rootOf,
  smtBuild,
  smtDelete,
  smtLeaves,
  smtPut,
  smtUpdate,
  comparePaths,
  verifyKeyProof,
  type SmtChange,
  type SmtLeaf,
  type SmtNode,
  type StateWrite,
} from '../../src/state/index.ts';
import { bytesToBinary, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { applyToStore, storeEntries } from './helpers.ts';

/**
 * The batched tree update of a block (smtUpdate / applyWrites, docs/PERFORMANCE.md round 3)
 * equals the one-write-at-a-time reference (smtPut / smtDelete) and the tree built from the
 * final record set, over random states and write sets.
 */

const TYPES = ['gpu', 'cpu', 'video', 'ml'];
const owner = new Uint8Array(20).fill(9);
const nodeValue = (id: string, types: string[], used: number): Uint8Array =>
  StateEdgeNodeCodec.encode({ id, owner, lat: 1, lon: 2, capacity: 10, used, serviceTypes: types, price: 3, online: true, activeLeases: 0, addedAt: 0, updatedAt: 0 });

// keys: plain records (prefixes 1, 2, 3, 5, 6) and edge-node records (prefix 4, with index entries)
const recordKey = fc.tuple(fc.constantFrom(1, 2, 3, 5, 6), fc.uint8Array({ maxLength: 3 })).map(([p, rest]) => toHex(new Uint8Array([p, ...rest])));
const nodeId = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const types = fc.subarray(TYPES);
/** A write (key hex → value, or null to delete). */
const write = fc.oneof(
  fc.tuple(recordKey, fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }), { nil: null })),
  fc.tuple(nodeId, fc.option(fc.tuple(types, fc.nat(5)), { nil: null })).map(([id, v]) => [toHex(nodeKey(id)), v && nodeValue(id, v[0], v[1])] as const),
);
/** Distinct keys (a block's write set has each key once), sorted by key as the state gives them. */
const writeSet = fc.array(write, { maxLength: 40 }).map((ws) => {
  const m = new Map<string, Uint8Array | null>();
  for (const [k, v] of ws) m.set(k, v);
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]): StateWrite => ({ key: fromHex(k)!, value: v }));
});

describe('batched state-tree update', () => {
  it('applyWrites equals applying the writes one by one, and the tree built from the final set; proofs hold; the old tree is untouched', () => {
    fc.assert(
      fc.property(writeSet, writeSet, writeSet, (base, b1, b2) => {
        const m = new Map<string, Uint8Array>();
        applyToStore(m, base);
        const t0 = buildTree(storeEntries(m));
        const root0 = toHex(rootOf(t0));
        let t: SmtNode | null = t0;
        let ref: SmtNode | null = t0;
        for (const block of [b1, b2]) {
          t = applyWrites(t, block);
          ref = applyWritesOneByOne(ref, block);
          applyToStore(m, block);
          const built = buildTree(storeEntries(m));
          expect(toHex(rootOf(t))).toBe(toHex(rootOf(ref)));
          expect(toHex(rootOf(t))).toBe(toHex(rootOf(built)));
          expect(smtLeaves(t).map((l) => toHex(l.key))).toEqual(smtLeaves(built).map((l) => toHex(l.key)));
          for (const w of block) {
            const p = proveKey(t, pathOfKey(w.key));
            expect(verifyKeyProof(rootOf(t), w.key, w.value, p.proof, pathOfKey)).toBeNull();
          }
        }
        expect(toHex(rootOf(t0))).toBe(root0);
      }),
      { numRuns: 200, seed: 16 },
    );
  });

  it('a write set that changes nothing returns the same tree (no branch made, nothing hashed again)', () => {
    fc.assert(
      fc.property(writeSet, (base) => {
        const t0 = applyWrites(null, base);
        const same = base.filter((w) => w.value !== null);
        expect(applyWrites(t0, same)).toBe(t0);
        expect(smtUpdate(t0, [])).toBe(t0);
      }),
      { numRuns: 100, seed: 17 },
    );
  });

  // leaves on hand-picked paths that share long prefixes (deep one-child chains, collapses)
  const path = fc.tuple(fc.nat(7), fc.nat(3), fc.nat(255)).map(([a, b, c]) => {
    const p = new Uint8Array(32);
    p[0] = a << 5;
    p[9] = b;
    p[31] = c;
    return p;
  });
  const leafOf = (p: Uint8Array, v: number): SmtLeaf => makeLeaf(p, p, new Uint8Array([v]));

  it('smtUpdate equals smtPut/smtDelete on paths with long shared prefixes', () => {
    fc.assert(
      fc.property(fc.array(path, { maxLength: 30 }), fc.array(fc.tuple(path, fc.option(fc.nat(255), { nil: null })), { maxLength: 30 }), (basePaths, ops) => {
        let t: SmtNode | null = null;
        for (const p of basePaths) t = smtPut(t, leafOf(p, 0));
        const byPath = new Map<string, SmtChange>();
        for (const [p, v] of ops) byPath.set(toHex(p), { path: bytesToBinary(p), leaf: v === null ? null : leafOf(p, v) });
        const changes = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
        let ref = t;
        for (const c of changes) ref = c.leaf ? smtPut(ref, c.leaf) : smtDelete(ref, c.path);
        const got = smtUpdate(t, changes);
        expect(toHex(hashOf(got))).toBe(toHex(hashOf(ref)));
        expect(toHex(hashOf(got))).toBe(toHex(hashOf(smtBuild(smtLeaves(ref)))));
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  it('refuses two keys on one path, and changes out of path order, as the one-by-one update does', () => {
    const p = new Uint8Array(32);
    p[0] = 0x40;
    const q = new Uint8Array(32);
    q[0] = 0x80;
    const t = smtPut(smtPut(null, makeLeaf(p, utf8('k1'), utf8('v'))), makeLeaf(q, utf8('k2'), utf8('v')));
    const other = makeLeaf(p, utf8('k3'), utf8('v'));
    expect(() => smtPut(t, other)).toThrow(/have one path/);
    const ps = bytesToBinary(p);
    const qs = bytesToBinary(q);
    expect(() => smtUpdate(t, [{ path: ps, leaf: other }])).toThrow(/have one path/);
    expect(() => smtUpdate(t, [{ path: qs, leaf: null }, { path: ps, leaf: null }])).toThrow(/sorted by path/);
    expect(() => smtUpdate(t, [{ path: ps, leaf: null }, { path: ps, leaf: null }])).toThrow(/sorted by path/);
  });
});
