import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * The crypto backend in browsers: @noble/curves and @noble/hashes (pure JS, audited), the
 * same results as OpenSSL (test/unit/crypto.test.ts checks the agreement). Selected by the
 * `browser` condition of package.json `imports["#crypto-backend"]`.
 */
export const BACKEND = 'noble';

export function sha256Parts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha256(parts[0]);
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA-256 of one input as a binary string (one char per byte), as the Node backend. */
export function sha256Binary(data: Uint8Array): string {
  return String.fromCharCode(...sha256(data));
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519.verify(signature, message, publicKey, { zip215: false });
}

export function randomSecret(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
