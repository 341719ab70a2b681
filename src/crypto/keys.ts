import { ed25519PublicKey, ed25519Sign, ed25519Verify, randomSecret } from '#crypto-backend';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha256Bin } from './hash.ts';
import { binaryToHex, fromHex } from '../util/bytes.ts';

/**
 * Ed25519 keys. Signing and verification go through the crypto backend (`#crypto-backend`):
 * OpenSSL (node:crypto) in Node — on this hardware it verifies roughly 20x faster than pure
 * JS — and @noble/curves in browsers. `noble` below is the reference implementation (key
 * derivation checks and the agreement tests).
 */

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
export const ADDRESS_LENGTH = 20;

export interface KeyPair {
  /** 32-byte seed (RFC 8032 private key). */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** `0x` + 40 hex chars. */
  readonly address: string;
}

export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== SECRET_KEY_LENGTH) throw new RangeError('secret key must be 32 bytes');
  return ed25519PublicKey(secretKey);
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  const sk = new Uint8Array(secretKey);
  const publicKey = publicKeyFromSecret(sk);
  return { secretKey: sk, publicKey, address: addressOf(publicKey) };
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(randomSecret(SECRET_KEY_LENGTH));
}

/** Deterministic key from a label: for tests, the simulator and demo configs only. */
export function keyPairFromLabel(label: string): KeyPair {
  return keyPairFromSecret(sha256(new TextEncoder().encode('edgechain/test-key/' + label)));
}

export function addressBytes(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, ADDRESS_LENGTH);
}

/** Address = first 20 bytes of SHA-256(public key), hex with `0x`. */
export function addressOf(publicKey: Uint8Array): string {
  return '0x' + binaryToHex(sha256Bin(publicKey).slice(0, ADDRESS_LENGTH));
}

const ADDRESS_RE = /^0x[0-9a-f]{40}$/;
export function isAddress(s: unknown): s is string {
  return typeof s === 'string' && ADDRESS_RE.test(s);
}

/** Normalises an address string (lower-case, `0x`), or null if malformed. */
export function parseAddress(s: string): string | null {
  if (typeof s !== 'string') return null;
  const lower = s.toLowerCase();
  const withPrefix = lower.startsWith('0x') ? lower : '0x' + lower;
  return ADDRESS_RE.test(withPrefix) ? withPrefix : null;
}

export function addressToBytes(address: string): Uint8Array | null {
  const a = parseAddress(address);
  return a ? fromHex(a) : null;
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519Sign(message, secretKey);
}

/** Verifies with OpenSSL. Never throws: malformed keys or signatures are simply invalid. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  try {
    return ed25519Verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** Reference implementation through @noble/curves (strict RFC 8032 checks, like OpenSSL). */
export const noble = {
  publicKey(secretKey: Uint8Array): Uint8Array {
    return ed25519.getPublicKey(secretKey);
  },
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    return ed25519.sign(message, secretKey);
  },
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};
