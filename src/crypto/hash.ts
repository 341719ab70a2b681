import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256Binary, sha256Parts } from '#crypto-backend';

/** SHA-256 through OpenSSL (node:crypto) in Node, noble in browsers (crypto/backend-*.ts): the hot path for tx, block and state hashing. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return sha256Parts(parts);
}

/**
 * SHA-256 as a binary string: 32 chars, each one byte of the digest (0–255). The state tree
 * keeps its node hashes in this form: in Node it costs a third of `sha256` (no Buffer per
 * digest, nothing for the GC to track outside the heap). `binaryToBytes` (util/bytes.ts) converts.
 */
export function sha256Bin(data: Uint8Array): string {
  return sha256Binary(data);
}

/** Pure-JS SHA-256 (noble), used where node:crypto is not wanted (browser code) and in agreement tests. */
export function sha256Noble(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export const HASH_LENGTH = 32;
export const ZERO_HASH: Uint8Array = new Uint8Array(32);
