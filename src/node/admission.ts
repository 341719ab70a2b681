import { EdgeError, type Result, ok, err } from '../util/errors.ts';
import { TxBatchCodec } from '../codec/p2p.ts';
import type { TxPool } from '../txpool/pool.ts';
import { batchVerdict } from './tx-batcher.ts';

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

  /**
   * The txs still waiting for admission, oldest first, at most `max` (read-only: a compact
   * proposal that lists txs this node has received but not yet admitted takes them from here,
   * node/proposals.ts).
   */
  *waiting(max = Infinity): Generator<Uint8Array> {
    let n = 0;
    for (const job of this.jobs) {
      for (let i = job.i; i < job.txs.length; i++) {
        if (n++ >= max) return;
        yield job.txs[i];
      }
    }
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

/** Pool refusals of a gossiped tx that say nothing against its sender (duplicate, nonce, room): ignored, not rejected. */
const GOSSIP_IGNORED_TX_CODES: ReadonlySet<string> = new Set([
  'TXPOOL_DUPLICATE', 'TXPOOL_NONCE_TOO_LOW', 'TXPOOL_FULL', 'TXPOOL_NONCE_TAKEN', 'TXPOOL_NONCE_GAP', 'TXPOOL_SENDER_QUEUE_FULL',
]);

export interface TxIntakeOptions {
  /** Client txs are refused with NODE_BUSY while the pool holds this many txs… */
  busyPoolTxs: number;
  /** …or while this many gossiped txs wait for admission. */
  busyBacklogTxs: number;
  /** Gossiped txs waiting for admission at most. */
  gossipBacklogTxs: number;
}

export interface TxIntakeModules {
  pool: Pick<TxPool, 'add' | 'size'>;
  /** Gossips a client tx (batched). */
  gossip: (tx: Uint8Array) => void;
  /** Counts a refused tx by reason. */
  refused: (reason: string, n?: number) => void;
}

/**
 * Where transactions enter a node: from clients (RPC: shed with NODE_BUSY under overload,
 * admitted, then gossiped) and from gossip (admitted in slices behind consensus; the batch
 * verdict decides whether it is forwarded). docs/NODE.md, "Overload".
 */
export class TxIntake {
  private readonly opts: TxIntakeOptions;
  private readonly m: TxIntakeModules;
  readonly gossipAdmission: GossipAdmission;

  constructor(opts: TxIntakeOptions, modules: TxIntakeModules) {
    this.opts = opts;
    this.m = modules;
    this.gossipAdmission = new GossipAdmission({ maxQueuedTxs: opts.gossipBacklogTxs }, (tx) => this.admitGossipTx(tx), batchVerdict);
  }

  /** Admits a tx into the pool, counting a refusal by its code. */
  private admit(bytes: Uint8Array): Result<{ hash: string }, EdgeError> {
    const r = this.m.pool.add(bytes);
    if (!r.ok) this.m.refused(r.error.code);
    return r;
  }

  /** A gossiped TxBatch message. */
  onGossip(bytes: Uint8Array): BatchVerdict | Promise<BatchVerdict> {
    const b = TxBatchCodec.decode(bytes);
    if (!b.ok) return 'reject';
    const before = this.gossipAdmission.shed;
    const v = this.gossipAdmission.enqueue(b.value.txs);
    if (this.gossipAdmission.shed > before) this.m.refused('GOSSIP_BACKLOG', b.value.txs.length);
    return v;
  }

  private admitGossipTx(tx: Uint8Array): TxOutcome {
    const r = this.admit(tx);
    if (r.ok) return 'new';
    return GOSSIP_IGNORED_TX_CODES.has(r.error.code) ? 'known' : 'bad';
  }

  /**
   * A tx from a client (RPC). Refused with NODE_BUSY, before any other check, while the
   * pool holds `busyPoolTxs` txs or `busyBacklogTxs` gossiped txs wait for admission: past
   * that point the chain cannot take more and every accepted tx would only wait longer.
   */
  submit(bytes: Uint8Array): Result<{ hash: string }, EdgeError> {
    const busy = this.busy();
    if (busy) {
      this.m.refused('NODE_BUSY');
      return err(new EdgeError('NODE_BUSY', busy, { retryAfterMs: 1000 }));
    }
    const r = this.admit(bytes);
    if (!r.ok) return err(r.error);
    this.m.gossip(bytes);
    return ok({ hash: r.value.hash });
  }

  /** Why the node refuses client txs now, or null. */
  private busy(): string | null {
    const { busyPoolTxs, busyBacklogTxs } = this.opts;
    const size = this.m.pool.size;
    if (size >= busyPoolTxs) return `node busy: ${size} txs pending (limit ${busyPoolTxs}); retry later`;
    const backlog = this.gossipAdmission.backlog;
    if (backlog >= busyBacklogTxs) return `node busy: ${backlog} gossiped txs waiting for admission (limit ${busyBacklogTxs}); retry later`;
    return null;
  }

  close(): void {
    this.gossipAdmission.close();
  }
}
