import { decodeTx, type SignedTx } from '../chain/tx.ts';
import type { Receipt } from '../codec/types.ts';
import { ReceiptCodec } from '../codec/chain.ts';
import type { ChainStore } from '../storage/chain-store.ts';

/**
 * Read-side aggregates the explorer needs, kept incrementally from finalized blocks (never
 * by scanning the chain per request). The node feeds every finalized block; at start-up it
 * replays only the recent blocks these need (bounded), newest last.
 */

const DAY_MS = 86_400_000;

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Transactions (and failed ones) per UTC day of the block timestamps. */
export class TxStats {
  private readonly perDay = new Map<string, { txs: number; failed: number }>();
  private readonly keepDays: number;

  constructor(keepDays = 60) {
    this.keepDays = keepDays;
  }

  add(timestamp: number, txs: number, failed: number): void {
    if (txs === 0) return;
    const d = utcDay(timestamp);
    const e = this.perDay.get(d) ?? { txs: 0, failed: 0 };
    e.txs += txs;
    e.failed += failed;
    this.perDay.set(d, e);
    if (this.perDay.size > this.keepDays) {
      const oldest = [...this.perDay.keys()].sort()[0];
      this.perDay.delete(oldest);
    }
  }

  /** One entry per day ending today (the day of `nowMs`), oldest first, zero-filled. */
  days(n: number, nowMs: number): { day: string; txs: number; failed: number }[] {
    const out = [];
    for (let i = n - 1; i >= 0; i--) {
      const d = utcDay(nowMs - i * DAY_MS);
      const e = this.perDay.get(d);
      out.push({ day: d, txs: e?.txs ?? 0, failed: e?.failed ?? 0 });
    }
    return out;
  }
}

export interface MatchRecord {
  txHash: string;
  blockNumber: number;
  timestamp: number;
  device: string;
  deviceLat: number;
  deviceLon: number;
  nodeId: string;
  nodeLat: number | null;
  nodeLon: number | null;
  distanceM: number;
  leaseId: number;
  /** Locked at match (price × demand × seconds); 0 for a lease without a term. */
  cost: number;
  /** ms of block time at which the lease expires; 0 = no term. */
  endsAt: number;
}

/** The most recent successful matches (a ring buffer), for the explorer's map. */
export class RecentMatches {
  private readonly items: MatchRecord[] = [];
  private readonly max: number;

  constructor(max = 500) {
    this.max = max;
  }

  addBlock(height: number, timestamp: number, txs: readonly SignedTx[], receipts: readonly Receipt[], nodeLocation: (id: string) => { lat: number; lon: number } | null): void {
    for (let i = 0; i < txs.length; i++) {
      const r = receipts[i];
      const m = txs[i].body.edgeMatch;
      if (!m || r.status !== 0 || !r.match) continue;
      const loc = nodeLocation(r.match.nodeId);
      this.items.push({
        txHash: txs[i].hashHex,
        blockNumber: height,
        timestamp,
        device: txs[i].sender,
        deviceLat: m.lat / 1e6,
        deviceLon: m.lon / 1e6,
        nodeId: r.match.nodeId,
        nodeLat: loc ? loc.lat / 1e6 : null,
        nodeLon: loc ? loc.lon / 1e6 : null,
        distanceM: r.match.distanceM,
        leaseId: r.match.leaseId,
        cost: r.match.cost,
        endsAt: r.match.endsAt,
      });
    }
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
  }

  recent(limit: number): MatchRecord[] {
    return this.items.slice(-limit).reverse();
  }
}

/**
 * Rebuilds the explorer aggregates from the recent blocks of `store` up to `head` (bounded:
 * the last 15 days or 2,000 blocks), oldest first. `nowMs` is the wall clock.
 */
export async function replayIndexers(
  store: Pick<ChainStore, 'getBlockByHeight' | 'getReceipt'>,
  o: { chainId: string; head: number; nowMs: number; txStats: TxStats; matches: RecentMatches; nodeLocation: (id: string) => { lat: number; lon: number } | null },
): Promise<void> {
  const cutoff = o.nowMs - 16 * DAY_MS;
  const blocks = [];
  for (let h = o.head; h >= 1 && blocks.length < 2000; h--) {
    const b = await store.getBlockByHeight(h);
    if (!b || b.header.timestamp < cutoff) break;
    blocks.push(b);
  }
  for (const b of blocks.reverse()) {
    const receipts: Receipt[] = [];
    const txs: SignedTx[] = [];
    for (const t of b.txs) {
      const d = decodeTx(t, { chainId: o.chainId, maxTxBytes: Number.MAX_SAFE_INTEGER });
      if (!d.ok) continue;
      txs.push(d.value);
      const rb = await store.getReceipt(d.value.hash);
      const rc = rb ? ReceiptCodec.decode(rb, Number.MAX_SAFE_INTEGER) : null;
      receipts.push(rc && rc.ok ? rc.value : ({ status: 1 } as Receipt));
    }
    o.txStats.add(b.header.timestamp, txs.length, receipts.filter((r) => r.status !== 0).length);
    o.matches.addBlock(b.height, b.header.timestamp, txs, receipts, o.nodeLocation);
  }
}
