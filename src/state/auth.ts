import { StateEdgeNodeCodec } from '../codec/state.ts';
import { KeyPrefix, nodeIdOfKey } from '../domain/keys.ts';
import type { StateWrite } from '../domain/table.ts';
import { compareBytes } from '../util/bytes.ts';
import { hashOf, indexPath, makeLeaf, recordPath, smtBuild, smtDelete, smtGet, smtPut, typeIndexKey, type SmtLeaf, type SmtNode } from './smt.ts';

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
    const path = recordPath(w.key);
    if (w.key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(w.key);
      if (id !== null) {
        const old = nodeTypes(smtGet(t, path)?.value ?? null);
        const now = nodeTypes(w.value);
        for (const ty of old) {
          if (!now.includes(ty)) t = smtDelete(t, indexPath(ty, typeIndexKey(ty, id)));
        }
        for (const ty of now) {
          const k = typeIndexKey(ty, id);
          t = smtPut(t, makeLeaf(indexPath(ty, k), k, w.value!));
        }
      }
    }
    t = w.value ? smtPut(t, makeLeaf(path, w.key, w.value)) : smtDelete(t, path);
  }
  return t;
}

/** The tree of a whole state (stored entries), built in one pass. */
export function buildTree(entries: Iterable<readonly [Uint8Array, Uint8Array]>): SmtNode | null {
  const leaves: SmtLeaf[] = [];
  for (const [key, value] of entries) {
    leaves.push(makeLeaf(recordPath(key), key, value));
    if (key[0] === KeyPrefix.NODE) {
      const id = nodeIdOfKey(key);
      if (id === null) continue;
      for (const ty of nodeTypes(value)) {
        const k = typeIndexKey(ty, id);
        leaves.push(makeLeaf(indexPath(ty, k), k, value));
      }
    }
  }
  leaves.sort((a, b) => compareBytes(a.path, b.path));
  for (let i = 1; i < leaves.length; i++) {
    if (compareBytes(leaves[i - 1].path, leaves[i].path) === 0) throw new Error('state tree: two keys have one path');
  }
  return smtBuild(leaves);
}

export const rootOf = (t: SmtNode | null): Uint8Array => hashOf(t);
