import { verify as cryptoVerify } from '../crypto/keys.ts';
import { equalBytes, toHex } from '../util/bytes.ts';

export type VerifyFn = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/**
 * A bounded memo of verified signatures, shared by the gossip boundary (gossipCheck) and
 * the engine (EngineDeps.verify), so a consensus message checked before it is forwarded is
 * not verified a second time when the engine takes it. Only successes are remembered.
 */
export class SignatureMemo {
  private readonly max: number;
  private readonly inner: VerifyFn;
  private readonly seen = new Map<string, Uint8Array>();

  constructor(max = 16_384, inner: VerifyFn = cryptoVerify) {
    this.max = max;
    this.inner = inner;
  }

  /**
   * Records a signature checked elsewhere (a verify worker: the seals of synced certificates)
   * as valid. Only for signatures that were verified over exactly this message and key: the
   * memo answers `verify` from it without checking again.
   */
  remember(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void {
    this.keep(toHex(signature) + toHex(publicKey), message);
  }

  readonly verify: VerifyFn = (signature, message, publicKey) => {
    const k = toHex(signature) + toHex(publicKey);
    const m = this.seen.get(k);
    if (m && equalBytes(m, message)) return true;
    if (!this.inner(signature, message, publicKey)) return false;
    this.keep(k, message);
    return true;
  };

  /** Stores a verified (signature ‖ key) → message, evicting the oldest entry at the bound. */
  private keep(k: string, message: Uint8Array): void {
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(k, message);
  }
}
