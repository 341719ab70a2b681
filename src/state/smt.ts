import { sha256, sha256Bin, ZERO_HASH } from '../crypto/hash.ts';
import { binaryToBytes, bytesToBinary, equalBytes, toHex, utf8, writeBinary } from '../util/bytes.ts';

/**
 * The authenticated state (docs/VERIFY.md): a compact sparse Merkle tree over 256-bit paths.
 *
 * - A leaf commits to its path, its key and its value:
 *     leafHash = SHA-256(0x00 ‖ path(32) ‖ SHA-256(key) ‖ SHA-256(value))
 * - A branch at depth d splits on bit d of the path (most significant bit first):
 *     branchHash = SHA-256(0x01 ‖ left ‖ right), an empty side hashing to 32 zero bytes
 * - Compact: a subtree holding exactly one leaf IS that leaf (no chain of one-child branches
 *   down to depth 256), an empty subtree is 32 zero bytes. The root hash is therefore a
 *   function of the set of (key, value) leaves only, not of the order they were inserted in.
 *
 * Nodes are immutable (an update copies the paths from the root to what changed), so a root of
 * an earlier height stays valid and provable as long as it is kept (WorldState keeps a window
 * of them). A leaf's hash is computed when the leaf is made; a branch's lazily, once, and
 * cached. Inside the tree hashes are binary strings (one char per byte, `sha256Bin`): in Node
 * that costs a third of a Uint8Array digest; `hashOf` gives the bytes.
 *
 * A block's writes go in with `smtUpdate` (docs/PERFORMANCE.md, round 3): all changes at once,
 * sorted by path, so every branch on a changed path is made once and hashed once per block,
 * whatever the number of writes below it. `smtPut`/`smtDelete` change one leaf (the reference
 * the batched update is tested against).
 */

export interface SmtLeaf {
  readonly t: 0;
  /** The 256-bit path as a binary string (32 chars, one per byte): one heap object, not three. */
  readonly path: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The leaf hash (binary string). */
  readonly h: string;
}

export interface SmtBranch {
  readonly t: 1;
  readonly l: SmtNode | null;
  readonly r: SmtNode | null;
  /** The branch hash (binary string), once computed. */
  h: string | undefined;
}

export type SmtNode = SmtLeaf | SmtBranch;

export const bitAt = (path: Uint8Array, d: number): number => (path[d >> 3] >> (7 - (d & 7))) & 1;
/** bitAt of a path kept as a binary string. */
const bitOf = (path: string, d: number): number => (path.charCodeAt(d >> 3) >> (7 - (d & 7))) & 1;

// Reused input buffers (hashing is synchronous): one allocation fewer per node hashed.
const LEAF_IN = new Uint8Array(97);
const BRANCH_IN = new Uint8Array(65);
LEAF_IN[0] = 0;
BRANCH_IN[0] = 1;

export function leafHash(path: Uint8Array, keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  LEAF_IN.set(path, 1);
  LEAF_IN.set(keyHash, 33);
  LEAF_IN.set(valueHash, 65);
  return sha256(LEAF_IN);
}

export function branchHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  BRANCH_IN.set(l, 1);
  BRANCH_IN.set(r, 33);
  return sha256(BRANCH_IN);
}

/** The empty subtree's hash as a binary string (32 zero bytes). */
const ZERO_BIN = '\0'.repeat(32);

/** leafHash of the path already in LEAF_IN[1..33), the key and value hashes as binary strings; the result too. */
function leafHashIn(keyHash: string, valueHash: string): string {
  writeBinary(LEAF_IN, keyHash, 33);
  writeBinary(LEAF_IN, valueHash, 65);
  return sha256Bin(LEAF_IN);
}

function branchHashBin(l: string, r: string): string {
  writeBinary(BRANCH_IN, l, 1);
  writeBinary(BRANCH_IN, r, 33);
  return sha256Bin(BRANCH_IN);
}

/** A node's hash as a binary string (branches: computed once, then cached). */
export function hashBin(n: SmtNode | null): string {
  if (n === null) return ZERO_BIN;
  if (n.h !== undefined) return n.h;
  const b = n as SmtBranch;
  const h = branchHashBin(hashBin(b.l), hashBin(b.r));
  b.h = h;
  return h;
}

/** A node's hash (32 zero bytes for the empty tree). */
export function hashOf(n: SmtNode | null): Uint8Array {
  return n === null ? ZERO_HASH : binaryToBytes(hashBin(n));
}

/** A leaf; `valueHash` (binary string) when already known, e.g. shared with index entries. */
export function makeLeaf(path: Uint8Array, key: Uint8Array, value: Uint8Array, valueHash?: string): SmtLeaf {
  LEAF_IN.set(path, 1);
  return { t: 0, path: bytesToBinary(path), key, value, h: leafHashIn(sha256Bin(key), valueHash ?? sha256Bin(value)) };
}

/** The leaf of a state record (its path is SHA-256(key) with the top bit cleared: one hash for both). */
export function recordLeaf(key: Uint8Array, value: Uint8Array, valueHash?: string): SmtLeaf {
  const kh = sha256Bin(key);
  writeBinary(LEAF_IN, kh, 1);
  LEAF_IN[1] &= 0x7f;
  const path = bytesToBinary(LEAF_IN.subarray(1, 33));
  return { t: 0, path, key, value, h: leafHashIn(kh, valueHash ?? sha256Bin(value)) };
}

/** The leaf of a service-type index entry (its key hash also gives the path). */
export function indexLeaf(serviceType: string, nodeId: string, value: Uint8Array, valueHash?: string): SmtLeaf {
  const key = typeIndexKey(serviceType, nodeId);
  const kh = sha256Bin(key);
  LEAF_IN.set(typePrefixOf(serviceType).subarray(0, 12), 1);
  for (let i = 12; i < 32; i++) LEAF_IN[1 + i] = kh.charCodeAt(i);
  const path = bytesToBinary(LEAF_IN.subarray(1, 33));
  return { t: 0, path, key, value, h: leafHashIn(kh, valueHash ?? sha256Bin(value)) };
}

let branchCount = 0;
/** Branch nodes made so far by this process (a counter: what a block's update added, WorldState's retention budget). */
export const branchesMade = (): number => branchCount;

const branch = (l: SmtNode | null, r: SmtNode | null): SmtBranch => {
  branchCount++;
  return { t: 1, l, r, h: undefined };
};

/** Two leaves with different paths, under a new subtree at depth d. */
function split(a: SmtLeaf, b: SmtLeaf, d: number): SmtNode {
  const ba = bitOf(a.path, d);
  const bb = bitOf(b.path, d);
  if (ba === bb) {
    const c = split(a, b, d + 1);
    return ba ? branch(null, c) : branch(c, null);
  }
  return ba ? branch(b, a) : branch(a, b);
}

const samePathOtherKey = (a: SmtLeaf, b: SmtLeaf): Error => new Error(`state tree: keys ${toHex(a.key)} and ${toHex(b.key)} have one path`);

/** The tree with `leaf` set (replacing the leaf of the same path). Throws on two keys with one path. */
export function smtPut(n: SmtNode | null, leaf: SmtLeaf, d = 0): SmtNode {
  if (!n) return leaf;
  if (n.t === 0) {
    if (n.path === leaf.path) {
      if (!equalBytes(n.key, leaf.key)) throw samePathOtherKey(n, leaf);
      return leaf;
    }
    return split(n, leaf, d);
  }
  return bitOf(leaf.path, d) ? branch(n.l, smtPut(n.r, leaf, d + 1)) : branch(smtPut(n.l, leaf, d + 1), n.r);
}

/** The tree without the leaf at `path` (unchanged if there is none). One-leaf subtrees collapse. */
export function smtDelete(n: SmtNode | null, path: string, d = 0): SmtNode | null {
  if (!n) return null;
  if (n.t === 0) return n.path === path ? null : n;
  const right = bitOf(path, d) === 1;
  const l = right ? n.l : smtDelete(n.l, path, d + 1);
  const r = right ? smtDelete(n.r, path, d + 1) : n.r;
  if (l === n.l && r === n.r) return n;
  return join(l, r);
}

/** The subtree of two (new) sides, compact: an empty side next to a single leaf collapses to the leaf. */
function join(l: SmtNode | null, r: SmtNode | null): SmtNode | null {
  if (l === null) return r === null || r.t === 0 ? r : branch(null, r);
  if (r === null) return l.t === 0 ? l : branch(l, null);
  return branch(l, r);
}

/** The leaf at `path`, or null. */
export function smtGet(n: SmtNode | null, path: string): SmtLeaf | null {
  let d = 0;
  while (n && n.t === 1) n = bitOf(path, d++) ? n.r : n.l;
  return n && n.path === path ? n : null;
}

/** Byte order of two paths (binary strings: char order is byte order). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index in [lo, hi) whose bit d is 1 (all entries share the bits above d, sorted by path). */
function firstOne(items: readonly { path: string }[], lo: number, hi: number, d: number): number {
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (bitOf(items[m].path, d)) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/** The subtree at depth d of leaves [lo, hi) of a list sorted by path (distinct paths, sharing the bits above d). */
function buildRange(sorted: readonly SmtLeaf[], lo: number, hi: number, d: number): SmtNode | null {
  if (lo === hi) return null;
  if (hi - lo === 1) return sorted[lo];
  const m = firstOne(sorted, lo, hi, d);
  return branch(buildRange(sorted, lo, m, d + 1), buildRange(sorted, m, hi, d + 1));
}

/** A tree of leaves sorted by path (distinct paths), built bottom-up: O(n) hashes. */
export function smtBuild(sorted: readonly SmtLeaf[]): SmtNode | null {
  return buildRange(sorted, 0, sorted.length, 0);
}

/** One change of a batched update: the leaf to set at `path`, or null to delete what is there. */
export interface SmtChange {
  /** Binary string, as SmtLeaf.path. */
  readonly path: string;
  readonly leaf: SmtLeaf | null;
}

/**
 * The tree after a batch of changes (sorted by path, distinct paths; the input tree is not
 * changed). Equal to applying them one by one with smtPut/smtDelete, in any order, but each
 * branch on a changed path is made once. Throws, as smtPut, on two keys with one path.
 */
export function smtUpdate(root: SmtNode | null, changes: readonly SmtChange[]): SmtNode | null {
  for (let i = 1; i < changes.length; i++) {
    if (comparePaths(changes[i - 1].path, changes[i].path) >= 0) throw new Error('smtUpdate: changes must be sorted by path, each path once');
  }
  return update(root, changes, 0, changes.length, 0);
}

function update(n: SmtNode | null, ch: readonly SmtChange[], lo: number, hi: number, d: number): SmtNode | null {
  if (lo === hi) return n;
  if (n === null || n.t === 0) return rebuild(n, ch, lo, hi, d);
  const m = firstOne(ch, lo, hi, d);
  const l = update(n.l, ch, lo, m, d + 1);
  const r = update(n.r, ch, m, hi, d + 1);
  if (l === n.l && r === n.r) return n;
  return join(l, r);
}

/** The subtree at depth d that held `old` (a leaf, or nothing), after changes [lo, hi). */
function rebuild(old: SmtLeaf | null, ch: readonly SmtChange[], lo: number, hi: number, d: number): SmtNode | null {
  const leaves: SmtLeaf[] = [];
  let keepOld = old !== null;
  for (let i = lo; i < hi; i++) {
    const c = ch[i];
    if (old !== null && keepOld && c.path === old.path) {
      keepOld = false;
      if (c.leaf !== null) {
        if (!equalBytes(c.leaf.key, old.key)) throw samePathOtherKey(old, c.leaf);
        // the same key with the same value: the old leaf (and every hash above it) stays
        leaves.push(c.leaf.h === old.h ? old : c.leaf);
      }
    } else if (c.leaf !== null) leaves.push(c.leaf);
  }
  if (keepOld) {
    if (leaves.length === 0) return old;
    // the untouched old leaf goes in its place in path order
    let i = leaves.length;
    while (i > 0 && comparePaths(leaves[i - 1].path, old!.path) > 0) i--;
    leaves.splice(i, 0, old!);
  }
  if (leaves.length === 1) return leaves[0];
  return buildRange(leaves, 0, leaves.length, d);
}

/** Every leaf under a node, in path order. */
export function smtLeaves(n: SmtNode | null, out: SmtLeaf[] = []): SmtLeaf[] {
  if (!n) return out;
  if (n.t === 0) out.push(n);
  else {
    smtLeaves(n.l, out);
    smtLeaves(n.r, out);
  }
  return out;
}

export function smtCount(n: SmtNode | null): number {
  if (!n) return 0;
  return n.t === 0 ? 1 : smtCount(n.l) + smtCount(n.r);
}

// ---------------------------------------------------------------- proofs

/** A leaf met where a proof's descent stopped, given by its hashes (not its key and value). */
export interface LeafWitness {
  path: Uint8Array;
  keyHash: Uint8Array;
  valueHash: Uint8Array;
}

/**
 * Proof that a key is present with a value, or absent: the sibling hashes from the root down
 * to where the descent along the key's path stopped (siblings[d] is the sibling at depth d),
 * and what it stopped at: nothing, or a leaf (the key's own leaf, or another one whose path
 * shares the first siblings.length bits, which proves absence).
 */
export interface KeyProof {
  siblings: Uint8Array[];
  leaf: LeafWitness | null;
}

/**
 * Proof of every leaf whose path starts with a `bits`-bit prefix (completeness: no leaf of
 * that prefix is left out). The descent along the prefix stopped at depth siblings.length:
 * at an empty subtree, at one leaf (`leaves` holds it if its path has the prefix, else
 * `witness` names it), or at depth `bits`, where `leaves` are all the subtree's leaves.
 */
export interface RangeProof {
  siblings: Uint8Array[];
  leaves: { key: Uint8Array; value: Uint8Array }[];
  witness: LeafWitness | null;
}

const witnessOf = (l: SmtLeaf): LeafWitness => ({ path: binaryToBytes(l.path), keyHash: sha256(l.key), valueHash: sha256(l.value) });

export function proveKey(root: SmtNode | null, path: Uint8Array): { proof: KeyProof; leaf: SmtLeaf | null } {
  const p = bytesToBinary(path);
  const siblings: Uint8Array[] = [];
  let n = root;
  let d = 0;
  while (n && n.t === 1) {
    const b = bitAt(path, d++);
    siblings.push(hashOf(b ? n.l : n.r));
    n = b ? n.r : n.l;
  }
  const found = n && n.path === p ? n : null;
  return { proof: { siblings, leaf: n ? witnessOf(n) : null }, leaf: found };
}

export function hasPrefix(path: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bitAt(path, i) !== bitAt(prefix, i)) return false;
  return true;
}

export function proveRange(root: SmtNode | null, prefix: Uint8Array, bits: number): RangeProof {
  const siblings: Uint8Array[] = [];
  let n = root;
  let d = 0;
  while (n && n.t === 1 && d < bits) {
    const b = bitAt(prefix, d++);
    siblings.push(hashOf(b ? n.l : n.r));
    n = b ? n.r : n.l;
  }
  if (n && n.t === 0 && !hasPrefix(binaryToBytes(n.path), prefix, bits)) return { siblings, leaves: [], witness: witnessOf(n) };
  return { siblings, leaves: smtLeaves(n).map((l) => ({ key: l.key, value: l.value })), witness: null };
}

/** Hash of the subtree at depth d holding exactly these leaves (sorted by path, distinct, all sharing the first d bits). */
function subtreeHash(leaves: readonly { path: Uint8Array; h: Uint8Array }[], d: number): Uint8Array {
  if (leaves.length === 0) return ZERO_HASH;
  if (leaves.length === 1) return leaves[0].h;
  let a = 0;
  while (a < leaves.length && bitAt(leaves[a].path, d) === 0) a++;
  return branchHash(subtreeHash(leaves.slice(0, a), d + 1), subtreeHash(leaves.slice(a), d + 1));
}

function climb(h: Uint8Array, path: Uint8Array, siblings: readonly Uint8Array[]): Uint8Array {
  for (let d = siblings.length - 1; d >= 0; d--) h = bitAt(path, d) ? branchHash(siblings[d], h) : branchHash(h, siblings[d]);
  return h;
}

const okHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === 32;

/**
 * Checks a key proof against a root: null if it proves `key` holds `value` (or, `value` null,
 * that `key` is absent), else what is wrong. Pure; needs only SHA-256.
 */
export function verifyKeyProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: KeyProof, pathOf: (key: Uint8Array) => Uint8Array): string | null {
  const { siblings, leaf } = proof;
  if (!Array.isArray(siblings) || siblings.length > 256 || !siblings.every(okHash)) return 'malformed proof: siblings';
  const path = pathOf(key);
  let h: Uint8Array;
  if (value !== null) {
    if (!leaf) return 'the proof shows no leaf, so it cannot prove the key present';
    if (!equalBytes(leaf.path, path) || !equalBytes(leaf.keyHash, sha256(key))) return 'the proof ends at another key';
    if (!equalBytes(leaf.valueHash, sha256(value))) return 'the value does not match the proven leaf';
    h = leafHash(path, sha256(key), sha256(value));
  } else if (leaf) {
    if (!okHash(leaf.path) || !okHash(leaf.keyHash) || !okHash(leaf.valueHash)) return 'malformed proof: leaf';
    if (equalBytes(leaf.path, path)) return 'the proof shows the key present';
    if (!hasPrefix(leaf.path, path, siblings.length)) return 'the witness leaf is not on the key\'s path';
    h = leafHash(leaf.path, leaf.keyHash, leaf.valueHash);
  } else {
    h = ZERO_HASH;
  }
  return equalBytes(climb(h, path, siblings), root) ? null : 'the proof does not lead to the state root';
}

/**
 * Checks a range proof against a root: the proven leaves (key and value; exactly every leaf
 * whose path has the `bits`-bit prefix) or what is wrong.
 */
export function verifyRangeProof(
  root: Uint8Array,
  prefix: Uint8Array,
  bits: number,
  proof: RangeProof,
  pathOf: (key: Uint8Array) => Uint8Array,
): { ok: true; leaves: { key: Uint8Array; value: Uint8Array }[] } | { ok: false; reason: string } {
  const { siblings, leaves, witness } = proof;
  if (!Array.isArray(siblings) || siblings.length > bits || !siblings.every(okHash) || !Array.isArray(leaves)) return { ok: false, reason: 'malformed range proof' };
  const d = siblings.length;
  const hashed = leaves
    .map((l) => {
      const path = pathOf(l.key);
      return { path, key: l.key, value: l.value, h: leafHash(path, sha256(l.key), sha256(l.value)) };
    })
    .sort((a, b) => compare(a.path, b.path));
  for (let i = 0; i < hashed.length; i++) {
    if (!hasPrefix(hashed[i].path, prefix, bits)) return { ok: false, reason: `leaf ${toHex(hashed[i].key)} is outside the proven range` };
    if (i > 0 && equalBytes(hashed[i - 1].path, hashed[i].path)) return { ok: false, reason: 'a leaf is given twice' };
  }
  let h: Uint8Array;
  if (witness) {
    if (hashed.length > 0) return { ok: false, reason: 'a range proof has leaves and a witness' };
    if (!okHash(witness.path) || !okHash(witness.keyHash) || !okHash(witness.valueHash)) return { ok: false, reason: 'malformed witness' };
    if (hasPrefix(witness.path, prefix, bits) || !hasPrefix(witness.path, prefix, d)) return { ok: false, reason: 'the witness leaf does not close the range' };
    h = leafHash(witness.path, witness.keyHash, witness.valueHash);
  } else if (d < bits) {
    if (hashed.length > 1) return { ok: false, reason: 'the descent stopped above the range with more than one leaf' };
    h = hashed.length === 1 ? hashed[0].h : ZERO_HASH;
  } else {
    h = subtreeHash(hashed, bits);
  }
  if (!equalBytes(climb(h, prefix, siblings), root)) return { ok: false, reason: 'the range proof does not lead to the state root' };
  return { ok: true, leaves: hashed.map((l) => ({ key: l.key, value: l.value })) };
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// ---------------------------------------------------------------- paths of the state's keys

/** First byte of the derived service-type index entries (not a table: never in a write set). */
export const TYPE_INDEX_PREFIX = 0xf0;
/** Bits of a path that name the service type: all index entries of one type share them. */
export const TYPE_PREFIX_BITS = 96;

/** Path of a state record key: SHA-256(key) with the top bit cleared (records fill the lower half). */
export function recordPath(key: Uint8Array): Uint8Array {
  const p = new Uint8Array(sha256(key));
  p[0] &= 0x7f;
  return p;
}

const prefixCache = new Map<string, Uint8Array>();

/** The 96-bit path prefix of a service type's index entries (top bit set: the upper half); a fresh copy. */
export function typePrefix(serviceType: string): Uint8Array {
  return new Uint8Array(typePrefixOf(serviceType));
}

/** typePrefix's cached array (not to be changed). */
function typePrefixOf(serviceType: string): Uint8Array {
  let c = prefixCache.get(serviceType);
  if (!c) {
    c = new Uint8Array(32);
    c.set(sha256(utf8('edgechain/type-index/v1'), utf8(serviceType)).subarray(0, 12));
    c[0] |= 0x80;
    if (prefixCache.size >= 4096) prefixCache.clear();
    prefixCache.set(serviceType, c);
  }
  return c;
}

/** Index entry key of (service type, node id): 0xF0 ‖ u8 len(type) ‖ type ‖ node id. */
export function typeIndexKey(serviceType: string, nodeId: string): Uint8Array {
  const t = utf8(serviceType);
  const id = utf8(nodeId);
  const k = new Uint8Array(2 + t.length + id.length);
  k[0] = TYPE_INDEX_PREFIX;
  k[1] = t.length;
  k.set(t, 2);
  k.set(id, 2 + t.length);
  return k;
}

/** (service type, node id) of an index entry key, or null if it is not one. */
export function parseTypeIndexKey(key: Uint8Array): { serviceType: string; nodeId: string } | null {
  if (key.length < 2 || key[0] !== TYPE_INDEX_PREFIX || key.length < 2 + key[1]) return null;
  const dec = new TextDecoder('utf-8', { fatal: true });
  try {
    return { serviceType: dec.decode(key.subarray(2, 2 + key[1])), nodeId: dec.decode(key.subarray(2 + key[1])) };
  } catch {
    return null;
  }
}

/** Path of an index entry: the type's 96-bit prefix ‖ the last 160 bits of SHA-256(entry key). */
export function indexPath(serviceType: string, key: Uint8Array): Uint8Array {
  const p = typePrefix(serviceType);
  p.set(sha256(key).subarray(12), 12);
  return p;
}

/** The path of any key of the authenticated state. */
export function pathOfKey(key: Uint8Array): Uint8Array {
  if (key[0] === TYPE_INDEX_PREFIX) {
    const k = parseTypeIndexKey(key);
    if (k) return indexPath(k.serviceType, key);
  }
  return recordPath(key);
}

/** Most parts a service-type range may be split into (2^16). */
export const MAX_RANGE_PARTS = 65536;

/**
 * The path prefix of one part of a service type's range: the range split into `parts` (a power
 * of two) by the next log2(parts) path bits, part `part` (0-based). All parts together are the
 * whole range, so proving each one proves the whole (paging without losing completeness).
 */
export function rangePrefix(serviceType: string, part = 0, parts = 1): { prefix: Uint8Array; bits: number } {
  if (!Number.isInteger(parts) || parts < 1 || parts > MAX_RANGE_PARTS || (parts & (parts - 1)) !== 0) throw new RangeError('parts must be a power of two, 1..65536');
  if (!Number.isInteger(part) || part < 0 || part >= parts) throw new RangeError(`part must be 0..${parts - 1}`);
  const k = Math.log2(parts);
  const prefix = typePrefix(serviceType);
  for (let i = 0; i < k; i++) {
    const bit = (part >> (k - 1 - i)) & 1;
    const d = TYPE_PREFIX_BITS + i;
    if (bit) prefix[d >> 3] |= 0x80 >> (d & 7);
  }
  return { prefix, bits: TYPE_PREFIX_BITS + k };
}
