import { sha256 } from './hash.ts';

/**
 * Merkle root over a list of 32-byte hashes, shaped like RFC 6962 (Certificate Transparency):
 *   root([])      = SHA-256()                       (the hash of the empty string)
 *   root([d])     = SHA-256(0x00 || d)              (leaves are domain-separated from nodes)
 *   root(D[0..n]) = SHA-256(0x01 || root(D[0..k]) || root(D[k..n])), k = largest power of two < n
 * Odd counts need no duplication (unlike Bitcoin's tree, which makes [a,b,c] and [a,b,c,c]
 * collide); an unbalanced right subtree is simply smaller.
 */
const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  return subtree(leaves, 0, leaves.length);
}

function subtree(leaves: readonly Uint8Array[], from: number, to: number): Uint8Array {
  const n = to - from;
  if (n === 1) return sha256(LEAF, leaves[from]);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(NODE, subtree(leaves, from, from + k), subtree(leaves, from + k, to));
}
