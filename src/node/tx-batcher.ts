import { TxBatchCodec, P2P_LIMITS } from '../codec/p2p.ts';

export interface TxBatcherOptions {
  /** Flush this long after the first tx of a batch (ms). */
  delayMs: number;
  /** Flush when the batch holds this many txs… */
  maxTxs: number;
  /** …or this many bytes. */
  maxBytes: number;
}

export const DEFAULT_TX_BATCHER: TxBatcherOptions = { delayMs: 40, maxTxs: 1000, maxBytes: P2P_LIMITS.txBatch - 64 * 1024 };

/**
 * Collects the txs this node admitted from its RPC clients and gossips them as one TxBatch
 * message every few milliseconds (or when full): a gossip message costs framing, encryption
 * and a signature, so paying that per batch instead of per tx is what lets the tx topic keep
 * up with the load (docs/PERFORMANCE.md).
 */
export class TxBatcher {
  private readonly opts: TxBatcherOptions;
  private readonly publish: (bytes: Uint8Array) => void;
  private txs: Uint8Array[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: Partial<TxBatcherOptions>, publish: (bytes: Uint8Array) => void) {
    this.opts = { ...DEFAULT_TX_BATCHER, ...opts };
    this.publish = publish;
  }

  push(tx: Uint8Array): void {
    if (this.bytes + tx.length + 8 > this.opts.maxBytes) this.flush();
    this.txs.push(tx);
    this.bytes += tx.length + 8;
    if (this.txs.length >= this.opts.maxTxs) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.txs.length === 0) return;
    const batch = TxBatchCodec.encode({ txs: this.txs });
    this.txs = [];
    this.bytes = 0;
    this.publish(batch);
  }

  /** Sends what is waiting and stops the timer. */
  close(): void {
    this.flush();
  }
}

/** The verdict on a gossiped batch: reject if it is malformed or holds a tx no honest node would have admitted; accept if it brought anything new; ignore otherwise. */
export function batchVerdict(results: readonly ('new' | 'known' | 'bad')[]): 'accept' | 'ignore' | 'reject' {
  if (results.length === 0 || results.includes('bad')) return 'reject';
  return results.includes('new') ? 'accept' : 'ignore';
}
