import { StateEdgeNodeCodec } from '../codec/state.ts';
import { KeyPrefix, nodeIdOfKey } from '../domain/keys.ts';
import type { StateWrite } from '../domain/table.ts';
import { sha256Bin } from '../crypto/hash.ts';
import { binaryToBytes, bytesToBinary } from '../util/bytes.ts';
import { comparePaths, hashBin, indexLeaf, indexPath, recordLeaf, smtBuild, smtDelete, smtGet, smtPut, smtUpdate, typeIndexKey, type SmtChange, type SmtLeaf, type SmtNode } from './smt.ts';

/**
 * The authenticated state: every state record (key → value, as stored) plus, derived from the
 * edge-node records, one service-type index entry per (service type, node) whose value is the
 * node's record. All leaves of one service type share a 96-bit path prefix, so the whole set
 * of candidates of a match is one subtree: provable complete (docs/VERIFY.md).
 *
 * The state root is the root hash of this tree (docs/STATE.md, "State root").
 */

function nodeTypes(value: Uint8Array | null): string[] {
  if (!value) return [];
  const d = StateEdgeNodeCodec.decode(value);
  return d.ok ? d.value.serviceTypes : [];
}

/**
 * The leaf changes of a block's write set against the tree before it: each record's leaf (or
 * its deletion) and, for edge-node records, the index entries of the service types it has now
 * (set) and of those it no longer has (deleted). Write-set keys are distinct, so the tree
 * before the block holds every record's previous value.
 */
function changesOf(root: SmtNode | null, writes: readonly StateWrite[]): SmtChange[] {
  const ch: SmtChange[] = [];
  for (const w of writes) {
    // the value's hash is shared by the record's leaf and its index entries
    const vh = w.value ? sha256Bin(w.value) : undefined;
    const leaf = recordLeaf(w.key, w.value ?? EMPTY, vh);
    ch.push({ path: leaf.path, leaf: w.value ? leaf : null });
    if (w.key[0] !== KeyPrefix.NODE) continue;
    const id = nodeIdOfKey(w.key);
    if (id === null) continue;
    const now = nodeTypes(w.value);
    for (const ty of nodeTypes(smtGet(root, leaf.path)?.value ?? null)) {
      if (!now.includes(ty)) ch.push({ path: bytesToBinary(indexPath(ty, typeIndexKey(ty, id))), leaf: null });
    }
    for (const ty of now) {
      const il = indexLeaf(ty, id, w.value!, vh);
      ch.push({ path: il.path, leaf: il });
    }
  }
  ch.sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 1; i < ch.length; i++) {
    if (comparePaths(ch[i - 1].path, ch[i].path) === 0) throw new Error('state tree: two keys have one path');
  }
  return ch;
}

/** The tree after a block's write set (the input tree is not changed): one batched update. */
export function applyWrites(root: SmtNode | null, writes: readonly StateWrite[]): SmtNode | null {
  return smtUpdate(root, changesOf(root, writes));
}

/**
 * The same tree, one write at a time (smtPut/smtDelete per leaf): the reference `applyWrites`
 * is tested against (test/state/smt-batch.property.test.ts), and its cost before round 3.
 */
export function applyWritesOneByOne(root: SmtNode | null, writes: readonly StateWrite[]): SmtNode | null {
  let t = root;
  for (const w of writes) {
    const vh = w.value ? sha256Bin(w.value) : undefined;
    const leaf = recordLeaf(w.key, w.value ?? EMPTY, vh);
    if (w.key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(w.key);
      if (id !== null) {
        const old = nodeTypes(smtGet(t, leaf.path)?.value ?? null);
        const now = nodeTypes(w.value);
        for (const ty of old) {
          if (!now.includes(ty)) t = smtDelete(t, bytesToBinary(indexPath(ty, typeIndexKey(ty, id))));
        }
        for (const ty of now) t = smtPut(t, indexLeaf(ty, id, w.value!, vh));
      }
    }
    t = w.value ? smtPut(t, leaf) : smtDelete(t, leaf.path);
  }
  return t;
}

const EMPTY = new Uint8Array(0);

/** The tree of a whole state (stored entries), built in one pass. */
export function buildTree(entries: Iterable<readonly [Uint8Array, Uint8Array]>): SmtNode | null {
  const leaves: SmtLeaf[] = [];
  for (const [key, value] of entries) {
    const vh = sha256Bin(value);
    leaves.push(recordLeaf(key, value, vh));
    if (key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(key);
      if (id === null) continue;
      for (const ty of nodeTypes(value)) leaves.push(indexLeaf(ty, id, value, vh));
    }
  }
  leaves.sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 1; i < leaves.length; i++) {
    if (comparePaths(leaves[i - 1].path, leaves[i].path) === 0) throw new Error('state tree: two keys have one path');
  }
  return smtBuild(leaves);
}

/** The root hash of a tree (32 zero bytes for the empty state). */
export const rootOf = (t: SmtNode | null): Uint8Array => binaryToBytes(hashBin(t));
