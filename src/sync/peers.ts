import { equalBytes } from '../util/bytes.ts';
import type { ChainStore } from '../storage/chain-store.ts';

/** What a peer reports about its chain (the p2p status protocol's answer). */
export interface PeerChainStatus {
  height: number;
  headHash: Uint8Array;
  genesisHash: Uint8Array;
}

/**
 * The heights peers last reported, and when to start syncing from them: when a peer is 2+
 * blocks ahead, or 1 ahead for more than `laggingMs` (one block ahead is normal while a height
 * is being finalized; it lasting means a missed block with no traffic after it). Peers of
 * another genesis are ignored.
 */
export class PeerHeights {
  readonly statuses = new Map<string, PeerChainStatus & { at: number }>();
  private readonly genesisHash: Uint8Array;
  private readonly laggingMs: number;
  private behindSince: number | null = null;

  constructor(opts: { genesisHash: Uint8Array; laggingMs?: number }) {
    this.genesisHash = opts.genesisHash;
    this.laggingMs = opts.laggingMs ?? 1500;
  }

  /** Records a peer's status; returns the height to sync from, or null if there is no need. */
  note(peerId: string, s: PeerChainStatus, mine: number, now: number): number | null {
    if (!equalBytes(s.genesisHash, this.genesisHash)) return null;
    this.statuses.set(peerId, { ...s, at: now });
    const best = Math.max(...[...this.statuses.values()].map((p) => p.height));
    if (best <= mine) this.behindSince = null;
    else if (best >= mine + 2) return mine + 1;
    else if (this.behindSince === null) this.behindSince = now;
    else if (now - this.behindSince > this.laggingMs) return mine + 1;
    return null;
  }
}

/** Encoded FinalizedBlocks from `from` on, as stored (the answer to a block-range request), read only up to the response's byte budget (never 128 × 3 MiB). */
export async function serveBlocks(store: Pick<ChainStore, 'head' | 'getFinalizedRange'>, from: number, count: number, maxBytes: number, perBlockOverhead: number): Promise<Uint8Array[]> {
  const head = store.head()?.height ?? 0;
  return store.getFinalizedRange(from, Math.max(0, Math.min(count, head - from + 1)), maxBytes, perBlockOverhead);
}
