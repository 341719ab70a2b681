import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256Parts } from '#crypto-backend';

/** SHA-256 through OpenSSL (node:crypto) in Node, noble in browsers (crypto/backend-*.ts): the hot path for tx, block and state hashing. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return sha256Parts(parts);
}

/** Pure-JS SHA-256 (noble), used where node:crypto is not wanted (browser code) and in agreement tests. */
export function sha256Noble(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export const HASH_LENGTH = 32;
export const ZERO_HASH: Uint8Array = new Uint8Array(32);
