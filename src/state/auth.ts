import { StateEdgeNodeCodec } from '../codec/state.ts';
import { KeyPrefix, nodeIdOfKey } from '../domain/keys.ts';
import type { StateWrite } from '../domain/table.ts';
import { compareBytes } from '../util/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import { hashOf, indexLeaf, indexPath, recordLeaf, smtBuild, smtDelete, smtGet, smtPut, typeIndexKey, type SmtLeaf, type SmtNode } from './smt.ts';

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

/** The tree after a block's write set (the input tree is not changed). */
export function applyWrites(root: SmtNode | null, writes: readonly StateWrite[]): SmtNode | null {
  let t = root;
  for (const w of writes) {
    // the value's hash is shared by the record's leaf and its index entries
    const vh = w.value ? sha256(w.value) : undefined;
    const leaf = recordLeaf(w.key, w.value ?? EMPTY, vh);
    if (w.key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(w.key);
      if (id !== null) {
        const old = nodeTypes(smtGet(t, leaf.path)?.value ?? null);
        const now = nodeTypes(w.value);
        for (const ty of old) {
          if (!now.includes(ty)) t = smtDelete(t, indexPath(ty, typeIndexKey(ty, id)));
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
    const vh = sha256(value);
    leaves.push(recordLeaf(key, value, vh));
    if (key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(key);
      if (id === null) continue;
      for (const ty of nodeTypes(value)) leaves.push(indexLeaf(ty, id, value, vh));
    }
  }
  leaves.sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 1; i < leaves.length; i++) {
    if (compareBytes(leaves[i - 1].path, leaves[i].path) === 0) throw new Error('state tree: two keys have one path');
  }
  return smtBuild(leaves);
}

export const rootOf = (t: SmtNode | null): Uint8Array => hashOf(t);
