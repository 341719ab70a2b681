import { addressOf } from '../crypto/keys.ts';
import { toHex } from '../util/bytes.ts';

export type SealerRole = 'proxy' | 'company';

export interface SealerInfo {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly address: string;
  readonly role: SealerRole;
}

/**
 * The ordered sealer list of one height. n sealers tolerate f = ⌊(n−1)/3⌋ faulty ones;
 * a quorum is n − f. The leader of (height, view) is sealers[(height + view) mod n].
 */
export class SealerSet {
  readonly sealers: readonly SealerInfo[];
  readonly n: number;
  readonly f: number;
  readonly quorum: number;
  private readonly byKey: Map<string, number>;
  private readonly byAddress: Map<string, number>;

  constructor(sealers: readonly SealerInfo[]) {
    if (sealers.length === 0) throw new RangeError('a sealer set needs at least one sealer');
    this.sealers = sealers;
    this.n = sealers.length;
    this.f = Math.floor((this.n - 1) / 3);
    this.quorum = this.n - this.f;
    this.byKey = new Map(sealers.map((s, i) => [toHex(s.publicKey), i]));
    this.byAddress = new Map(sealers.map((s, i) => [s.address, i]));
    if (this.byKey.size !== this.n) throw new RangeError('duplicate sealer key');
  }

  static fromKeys(entries: readonly { name: string; publicKey: Uint8Array; role: SealerRole }[]): SealerSet {
    return new SealerSet(entries.map((e) => ({ ...e, address: addressOf(e.publicKey) })));
  }

  /** Index of a sealer by public key, or -1. */
  indexOfKey(publicKey: Uint8Array): number {
    return this.byKey.get(toHex(publicKey)) ?? -1;
  }

  indexOfAddress(address: string): number {
    return this.byAddress.get(address) ?? -1;
  }

  leaderIndex(height: number, view: number): number {
    return (height + view) % this.n;
  }

  leader(height: number, view: number): SealerInfo {
    return this.sealers[this.leaderIndex(height, view)];
  }
}
