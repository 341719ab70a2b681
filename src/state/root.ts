import { sha256 } from '../crypto/hash.ts';
import type { StateWrite } from '../domain/table.ts';

/**
 * Encodes a write set for the state root: entries sorted by key bytes, each
 *   u32be(key length) || key || u8(1) || u32be(value length) || value   (set)
 *   u32be(key length) || key || u8(0)                                    (deleted)
 * preceded by u32be(number of entries).
 */
export function encodeWriteSet(writes: readonly StateWrite[]): Uint8Array {
  let n = 4;
  for (const w of writes) n += 4 + w.key.length + 1 + (w.value ? 4 + w.value.length : 0);
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, writes.length);
  let o = 4;
  for (const w of writes) {
    dv.setUint32(o, w.key.length);
    o += 4;
    out.set(w.key, o);
    o += w.key.length;
    if (w.value) {
      out[o++] = 1;
      dv.setUint32(o, w.value.length);
      o += 4;
      out.set(w.value, o);
      o += w.value.length;
    } else {
      out[o++] = 0;
    }
  }
  return out;
}

/**
 * The write-set chain: SHA-256(parent || SHA-256(encodeWriteSet(writes))). This was the state
 * root up to issue 15 (it proved nothing about a single record); the state root is now the
 * authenticated tree's root (auth.ts). Kept to check the issue-10 replay fixture, whose roots
 * are this chain, byte for byte.
 */
export function writeSetChainRoot(parentRoot: Uint8Array, writes: readonly StateWrite[]): Uint8Array {
  return sha256(parentRoot, sha256(encodeWriteSet(writes)));
}
