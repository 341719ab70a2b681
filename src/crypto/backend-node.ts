import { binaryToBytes } from '../util/bytes.ts';
import { createHash, hash as oneShot, createPrivateKey, createPublicKey, sign as osslSign, verify as osslVerify, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The crypto backend in Node: OpenSSL through node:crypto (about 20x faster Ed25519
 * verification than pure JS). The browser gets backend-noble.ts instead: package.json
 * `imports["#crypto-backend"]` picks by the `browser` condition (esbuild, bundlers).
 */
export const BACKEND = 'openssl';

export function sha256Parts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return binaryToBytes(oneShot('sha256', parts[0], 'binary'));
  let n = 0;
  for (const p of parts) n += p.length;
  if (n <= 256) {
    // small inputs (state tree nodes, ids): one-shot hashing of a joined copy beats a Hash object
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    return binaryToBytes(oneShot('sha256', buf, 'binary'));
  }
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  // every digest here is a 'binary' string copied into a fresh Uint8Array (binaryToBytes):
  // less than half the cost of a 'buffer' digest, and a Buffer digest owns a native backing
  // store (~200 bytes of malloc'd bookkeeping besides its 32 bytes, freed only when V8 collects
  // it); digests live long in the state tree, where that native memory was the largest part of
  // a sealer's growing RSS (docs/PERFORMANCE.md "Memory: the soak")
  return binaryToBytes(h.digest('binary'));
}

/**
 * SHA-256 of one input as a binary string (one char per byte, 0–255). About 3× cheaper than a
 * Uint8Array digest here: no Buffer is allocated (the state tree's node hashes, src/state/smt.ts).
 */
export function sha256Binary(data: Uint8Array): string {
  return oneShot('sha256', data, 'binary');
}

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key for OpenSSL.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const privCache = new WeakMap<Uint8Array, KeyObject>();

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  let k = privCache.get(secretKey);
  if (!k) {
    k = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    privCache.set(secretKey, k);
  }
  return k;
}

// Public keys are few (sealers, active senders); creating a KeyObject costs about as much
// as a verification, so keep a bounded cache keyed by the hex of the key.
const PUB_CACHE_MAX = 50_000;
const pubCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
  let k = pubCache.get(id);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (pubCache.size >= PUB_CACHE_MAX) pubCache.delete(pubCache.keys().next().value as string);
    pubCache.set(id, k);
  }
  return k;
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(osslSign(null, message, privateKeyObject(secretKey)));
}

/** Throws on malformed keys (the caller turns that into false). */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return osslVerify(null, message, publicKeyObject(publicKey), signature);
}

export function randomSecret(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}
