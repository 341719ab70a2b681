/**
 * Admission of gossiped tx batches in bounded slices, so consensus never waits behind them.
 *
 * A batch's txs are admitted (decode, signature, pool) a slice at a time, yielding to the
 * event loop (`setImmediate`) between slices: consensus messages that arrive meanwhile are
 * validated and handed to the engine first. Each batch's verdict (which decides whether
 * gossipsub forwards it) is the promise `enqueue` returns. The queue is bounded: when
 * `maxQueuedTxs` are waiting, a new batch is ignored at once (not forwarded, not penalised:
 * its txs are in the pool of the node that took them from a client and reach the chain
 * through it). Batches are admitted in arrival order, so a sender's nonces stay in order.
 */
export interface GossipAdmissionOptions {
  /** Txs admitted per slice before yielding to the event loop. */
  sliceTxs: number;
  /** Txs waiting at most; a batch that would exceed it is ignored. */
  maxQueuedTxs: number;
}

export const DEFAULT_GOSSIP_ADMISSION: GossipAdmissionOptions = { sliceTxs: 64, maxQueuedTxs: 20_000 };

export type TxOutcome = 'new' | 'known' | 'bad';
export type BatchVerdict = 'accept' | 'ignore' | 'reject';

interface Job {
  txs: Uint8Array[];
  i: number;
  results: TxOutcome[];
  resolve: (v: BatchVerdict) => void;
}

export class GossipAdmission {
  private readonly opts: GossipAdmissionOptions;
  private readonly admit: (tx: Uint8Array) => TxOutcome;
  private readonly verdict: (results: readonly TxOutcome[]) => BatchVerdict;
  private readonly jobs: Job[] = [];
  private queued = 0;
  private scheduled = false;
  private closed = false;
  /** Batches ignored because the queue was full. */
  shed = 0;

  constructor(opts: Partial<GossipAdmissionOptions>, admit: (tx: Uint8Array) => TxOutcome, verdict: (results: readonly TxOutcome[]) => BatchVerdict) {
    this.opts = { ...DEFAULT_GOSSIP_ADMISSION, ...opts };
    this.admit = admit;
    this.verdict = verdict;
  }

  /** Txs waiting to be admitted. */
  get backlog(): number {
    return this.queued;
  }

  enqueue(txs: Uint8Array[]): BatchVerdict | Promise<BatchVerdict> {
    if (txs.length === 0) return this.verdict([]);
    if (this.closed || this.queued + txs.length > this.opts.maxQueuedTxs) {
      this.shed++;
      return 'ignore';
    }
    return new Promise<BatchVerdict>((resolve) => {
      this.jobs.push({ txs, i: 0, results: [], resolve });
      this.queued += txs.length;
      this.schedule();
    });
  }

  /** Resolves every waiting batch as 'ignore' and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const j of this.jobs.splice(0)) j.resolve('ignore');
    this.queued = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    let budget = this.opts.sliceTxs;
    while (budget > 0 && this.jobs.length > 0 && !this.closed) {
      const job = this.jobs[0];
      while (budget > 0 && job.i < job.txs.length) {
        let outcome: TxOutcome;
        try {
          outcome = this.admit(job.txs[job.i]);
        } catch {
          outcome = 'bad';
        }
        job.results.push(outcome);
        job.i++;
        this.queued--;
        budget--;
      }
      if (job.i === job.txs.length) {
        this.jobs.shift();
        job.resolve(this.verdict(job.results));
      }
    }
    if (this.jobs.length > 0) this.schedule();
  }
}
