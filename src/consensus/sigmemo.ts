import { verify as cryptoVerify, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from '../crypto/keys.ts';
import { sha256Bin } from '../crypto/hash.ts';
import { concatBytes } from '../util/bytes.ts';

export type VerifyFn = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/**
 * A bounded memo of verified signatures, shared by the gossip boundary (gossipCheck) and
 * the engine (EngineDeps.verify), so a consensus message checked before it is forwarded is
 * not verified a second time when the engine takes it. Only successes are remembered.
 *
 * An entry is the SHA-256 of signature ‖ public key ‖ message (a 32-char binary string), not
 * the signature, key and message themselves: ~0.1 KB of live heap per entry instead of ~0.5
 * (docs/PERFORMANCE.md "Memory: round 10"), and nothing of a received frame is kept alive by
 * the memo. The signature and key have fixed lengths, so the concatenation is unambiguous; a
 * call with other lengths is never answered from the memo (it goes to the real check, which
 * refuses it).
 */
export class SignatureMemo {
  private readonly max: number;
  private readonly inner: VerifyFn;
  private readonly seen = new Set<string>();

  constructor(max = 16_384, inner: VerifyFn = cryptoVerify) {
    this.max = max;
    this.inner = inner;
  }

  /** Entries held now (≤ the bound). */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Records a signature checked elsewhere (a verify worker: the seals of synced certificates)
   * as valid. Only for signatures that were verified over exactly this message and key: the
   * memo answers `verify` from it without checking again.
   */
  remember(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void {
    const k = memoKey(signature, message, publicKey);
    if (k !== null) this.keep(k);
  }

  readonly verify: VerifyFn = (signature, message, publicKey) => {
    const k = memoKey(signature, message, publicKey);
    if (k !== null && this.seen.has(k)) return true;
    if (!this.inner(signature, message, publicKey)) return false;
    if (k !== null) this.keep(k);
    return true;
  };

  /** Stores a verified digest, evicting the oldest entry at the bound. */
  private keep(k: string): void {
    if (this.seen.has(k)) return;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(k);
  }
}

/** Null unless the signature and key have Ed25519's sizes (keys.ts): only those are remembered or looked up. */
function memoKey(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): string | null {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return null;
  return sha256Bin(concatBytes(signature, publicKey, message));
}
