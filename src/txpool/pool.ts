import { decodeTx, txId, type SignedTx, type TxVerifier } from '../chain/tx.ts';
import { chainError } from '../chain/errors.ts';
import type { NonceSource } from '../state/interface.ts';
import { type Result, ok, err } from '../util/errors.ts';
import { txPoolError, type AddTxError } from './errors.ts';
import { resolveTxPoolOptions, type TxPoolInit, type TxPoolOptions } from './options.ts';

/** `pending`: executable now (contiguous from the committed nonce); `queued`: waits for a lower nonce. */
export type TxStatus = 'pending' | 'queued';

/**
 * Why a tx left the pool. `committed`: included in a finalized block. `stale`: its nonce fell
 * below the sender's committed nonce (another tx took it). `evicted`: a queued tx pushed out
 * to admit an executable one while the pool was full (see docs/TXPOOL.md). `expired`: a queued
 * tx that waited longer than `queuedTtlMs` for the nonce before it (expireQueued).
 */
export type RemovalReason = 'committed' | 'stale' | 'evicted' | 'expired';

export interface AddedTx {
  hash: string;
  status: TxStatus;
}

export interface SelectLimits {
  maxTxs: number;
  maxBytes: number;
}

/** Observers of the pool (gossip, consensus "there is work", metrics). Called after the pool changed. */
export interface TxPoolListener {
  added?(tx: SignedTx, status: TxStatus): void;
  /** Queued txs that became executable (a gap was filled, or a commit moved the nonce). */
  promoted?(txs: readonly SignedTx[]): void;
  removed?(txs: readonly SignedTx[], reason: RemovalReason): void;
}

export interface TxPoolModules {
  /** The committed state: the next nonce each account must use. */
  state: NonceSource;
  /** Shared signature cache: the pool verifies once, block validation then hits the cache. */
  verifier: Pick<TxVerifier, 'verify' | 'forget'>;
  /** Shorthand for subscribe({ added }). */
  onAdded?: (tx: SignedTx, status: TxStatus) => void;
  /** Clock (ms) that stamps queued txs for expireQueued (default Date.now; the simulator passes its own). */
  now?: () => number;
}

export interface TxPoolStats {
  /** Executable txs. */
  pending: number;
  /** Future txs waiting for a lower nonce. */
  queued: number;
  /** Sum of encoded sizes of all held txs. */
  bytes: number;
  /** Senders with at least one tx held. */
  senders: number;
  /** Lifetime counters. */
  added: number;
  rejected: number;
  committed: number;
  stale: number;
  evicted: number;
  expired: number;
  listenerErrors: number;
}

/** select() gives up after this many txs that did not fit the remaining byte budget (keeps it O(selected)). */
export const SELECT_MAX_SKIPS = 256;

interface Account {
  readonly sender: string;
  /** The committed nonce as last read from state: every held tx has nonce >= base. */
  base: number;
  /** First nonce not held after the contiguous run from base: txs in [base, execEnd) are pending. */
  execEnd: number;
  readonly txs: Map<number, Entry>;
  queued: number;
}

interface Entry {
  readonly stx: SignedTx;
  readonly nonce: number;
  readonly size: number;
  readonly acct: Account;
  pending: boolean;
  /** When it entered the queue (pool clock); meaningful while !pending. */
  queuedAt: number;
}

interface Events {
  added: Array<[SignedTx, TxStatus]>;
  promoted: SignedTx[];
  removed: Record<RemovalReason, SignedTx[]>;
}

const newEvents = (): Events => ({ added: [], promoted: [], removed: { committed: [], stale: [], evicted: [], expired: [] } });

function normHash(h: string): string {
  const s = h.toLowerCase();
  return s.startsWith('0x') ? s : '0x' + s;
}

/**
 * The transaction pool: admission (decode, dedupe, nonce, caps, signature), per-sender nonce
 * order, cheap fair selection for blocks, and recheck after each commit. See docs/TXPOOL.md.
 *
 * Not deterministic consensus code, but deterministic all the same: the same sequence of calls
 * gives the same selections (no randomness, insertion-ordered maps only; the injected clock
 * only stamps queued txs for expireQueued).
 */
export class TxPool {
  readonly opts: TxPoolOptions;
  private readonly state: NonceSource;
  private readonly verifier: Pick<TxVerifier, 'verify' | 'forget'>;
  private readonly now: () => number;
  private readonly byHash = new Map<string, Entry>();
  private readonly accounts = new Map<string, Account>();
  /** Senders with >= 1 pending tx, in selection order (order of becoming ready; served senders go to the back). */
  private readonly ready = new Map<string, Account>();
  /** Queued txs in the order they entered the queue: the eviction order. */
  private readonly queue = new Map<string, Entry>();
  private readonly listeners = new Set<TxPoolListener>();
  private nBytes = 0;
  private nQueued = 0;
  private readonly counters = { added: 0, rejected: 0, committed: 0, stale: 0, evicted: 0, expired: 0, listenerErrors: 0 };

  constructor(opts: TxPoolInit, modules: TxPoolModules) {
    this.opts = resolveTxPoolOptions(opts);
    this.state = modules.state;
    this.verifier = modules.verifier;
    this.now = modules.now ?? Date.now;
    if (modules.onAdded) this.subscribe({ added: modules.onAdded });
  }

  /** Registers a listener; returns a function that removes it. A listener that throws is counted, never breaks the pool. */
  subscribe(listener: TxPoolListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Admits a tx (raw bytes from RPC/gossip, or an already decoded tx whose bytes are re-checked). A refusal changes nothing. */
  add(input: Uint8Array | SignedTx): Result<AddedTx, AddTxError> {
    const ev = newEvents();
    try {
      const r = this.admit(input, ev);
      if (!r.ok) this.counters.rejected++;
      return r;
    } finally {
      this.dispatch(ev);
    }
  }

  private admit(input: Uint8Array | SignedTx, ev: Events): Result<AddedTx, AddTxError> {
    const bytes = input instanceof Uint8Array ? input : (input as SignedTx | undefined)?.bytes;
    // a tx already held is refused by its hash, before it is decoded (and its encoding checked) again
    let id: { hash: Uint8Array; hashHex: string } | undefined;
    if (bytes instanceof Uint8Array && bytes.length <= this.opts.maxTxBytes) {
      id = txId(bytes);
      if (this.byHash.has(id.hashHex)) return err(txPoolError('TXPOOL_DUPLICATE', `tx ${id.hashHex} is already in the pool`, { hash: id.hashHex }));
    }
    const d = decodeTx(bytes as Uint8Array, { chainId: this.opts.chainId, maxTxBytes: this.opts.maxTxBytes }, id);
    if (!d.ok) return d;
    const stx = d.value;
    const hash = stx.hashHex;

    const sender = stx.sender;
    const nonce = stx.body.nonce;
    const committed = this.state.nonceOf(sender);
    if (nonce < committed) {
      return err(txPoolError('TXPOOL_NONCE_TOO_LOW', `nonce ${nonce} of ${sender} is below its next nonce ${committed}`, { hash, sender, nonce, expected: committed }));
    }
    let acct = this.accounts.get(sender);
    if (acct && acct.base !== committed) {
      // The state moved without onCommit telling us (e.g. after sync): bring the sender up to date first.
      this.syncAccount(acct, committed, null, ev);
      acct = this.accounts.get(sender);
    }
    const taken = acct?.txs.get(nonce);
    if (taken) {
      return err(txPoolError('TXPOOL_NONCE_TAKEN', `${sender} already has tx ${taken.stx.hashHex} with nonce ${nonce} in the pool (no replacement)`, { hash, sender, nonce, existing: taken.stx.hashHex }));
    }
    const execEnd = acct ? acct.execEnd : committed;
    const executable = nonce === execEnd;
    if (!executable) {
      if (nonce - execEnd > this.opts.maxNonceGap) {
        return err(txPoolError('TXPOOL_NONCE_GAP', `nonce ${nonce} of ${sender} is more than ${this.opts.maxNonceGap} above its next executable nonce ${execEnd}`, { hash, sender, nonce, next: execEnd }));
      }
      if ((acct?.queued ?? 0) >= this.opts.maxQueuedPerSender) {
        return err(txPoolError('TXPOOL_SENDER_QUEUE_FULL', `${sender} already has ${this.opts.maxQueuedPerSender} future txs queued (next executable nonce ${execEnd})`, { hash, sender, nonce, next: execEnd }));
      }
    }

    const size = stx.bytes.length;
    let evict: Entry[] = [];
    if (this.byHash.size + 1 > this.opts.maxCount || this.nBytes + size > this.opts.maxBytes) {
      const plan = executable ? this.evictionPlan(sender, size) : null;
      if (!plan) {
        const why = this.byHash.size + 1 > this.opts.maxCount ? `${this.byHash.size} txs (max ${this.opts.maxCount})` : `${this.nBytes} + ${size} bytes exceeds ${this.opts.maxBytes}`;
        return err(txPoolError('TXPOOL_FULL', `tx pool is full: ${why}; try again after the next block`, { hash, count: this.byHash.size, bytes: this.nBytes, maxCount: this.opts.maxCount, maxBytes: this.opts.maxBytes, size }));
      }
      evict = plan;
    }

    if (!this.verifier.verify(stx)) return err(chainError('TX_BAD_SIGNATURE', 'signature does not verify', { hash }));

    for (const e of evict) {
      this.removeEntry(e, 'evicted', ev);
      if (e.acct.txs.size === 0) this.dropAccount(e.acct);
    }
    if (!acct) {
      acct = { sender, base: committed, execEnd: committed, txs: new Map(), queued: 0 };
      this.accounts.set(sender, acct);
    }
    const entry: Entry = { stx, nonce, size, acct, pending: false, queuedAt: 0 };
    acct.txs.set(nonce, entry);
    this.byHash.set(hash, entry);
    this.nBytes += size;
    if (executable) {
      entry.pending = true;
      acct.execEnd++;
      this.extend(acct, ev);
      if (!this.ready.has(sender)) this.ready.set(sender, acct);
    } else {
      acct.queued++;
      this.nQueued++;
      entry.queuedAt = this.now();
      this.queue.set(hash, entry);
    }
    this.counters.added++;
    const status: TxStatus = executable ? 'pending' : 'queued';
    ev.added.push([stx, status]);
    return ok({ hash, status });
  }

  /** Oldest queued txs of other senders whose removal makes room for one more tx of `size` bytes; null if not enough. */
  private evictionPlan(sender: string, size: number): Entry[] | null {
    let needCount = this.byHash.size + 1 - this.opts.maxCount;
    let needBytes = this.nBytes + size - this.opts.maxBytes;
    const plan: Entry[] = [];
    for (const e of this.queue.values()) {
      if (needCount <= 0 && needBytes <= 0) break;
      if (e.acct.sender === sender) continue;
      plan.push(e);
      needCount--;
      needBytes -= e.size;
    }
    return needCount <= 0 && needBytes <= 0 ? plan : null;
  }

  /**
   * A block was finalized and the state committed: removes its txs, then rechecks every sender
   * that had a tx in it against the new committed nonce (only those senders' nonces changed):
   * txs below it are dropped as stale, queued txs that became contiguous are promoted.
   * Senders served by the block move to the back of the selection order.
   */
  onCommit(txs: readonly SignedTx[]): void {
    const ev = newEvents();
    try {
      const included = new Set<string>();
      const senders: string[] = [];
      const seen = new Set<string>();
      for (const tx of txs) {
        included.add(tx.hashHex);
        if (!seen.has(tx.sender)) {
          seen.add(tx.sender);
          senders.push(tx.sender);
        }
      }
      for (const sender of senders) {
        const acct = this.accounts.get(sender);
        if (acct) this.syncAccount(acct, this.state.nonceOf(sender), included, ev);
      }
      // An included tx whose nonce the state did not consume (caller out of step with state): remove it anyway.
      for (const h of included) {
        const e = this.byHash.get(h);
        if (!e) continue;
        this.removeEntry(e, 'committed', ev);
        this.rebuild(e.acct, ev);
      }
      for (const sender of senders) {
        const a = this.ready.get(sender);
        if (a) {
          this.ready.delete(sender);
          this.ready.set(sender, a);
        }
      }
      for (const h of included) this.verifier.forget(h);
    } finally {
      this.dispatch(ev);
    }
  }

  /**
   * Removes the queued txs that have waited `queuedTtlMs` or longer (pool clock) for the nonce
   * before them (reason `expired`), oldest first; returns how many. A queued tx is not work a
   * block can use, and one whose gap is never filled would otherwise stay for good. Pending txs
   * never expire. O(expired + 1): the queue is in entry order.
   */
  expireQueued(): number {
    const ev = newEvents();
    let n = 0;
    try {
      const cutoff = this.now() - this.opts.queuedTtlMs;
      for (const e of this.queue.values()) {
        if (e.queuedAt > cutoff) break;
        this.removeEntry(e, 'expired', ev);
        this.settle(e.acct);
        n++;
      }
    } finally {
      this.dispatch(ev);
    }
    return n;
  }

  /** Rechecks every sender against the committed state (after sync or a restart); O(senders + removed). */
  recheckAll(): void {
    const ev = newEvents();
    try {
      for (const acct of [...this.accounts.values()]) this.syncAccount(acct, this.state.nonceOf(acct.sender), null, ev);
    } finally {
      this.dispatch(ev);
    }
  }

  /**
   * A batch for a block: each sender's txs contiguous from its committed nonce, in nonce order;
   * senders round-robin (one tx each per round) in selection order. Stops at maxTxs, skips a
   * sender whose next tx does not fit maxBytes, gives up after SELECT_MAX_SKIPS such misses.
   * Cost O(selected + skips), whatever the pool size. Does not change the pool.
   */
  select(limits: SelectLimits): SignedTx[] {
    const out: SignedTx[] = [];
    if (!(limits.maxTxs > 0) || !(limits.maxBytes > 0)) return out;
    let bytes = 0;
    let skips = 0;
    let round = 0;
    let cur: Iterable<Account> = this.ready.values();
    for (;;) {
      const next: Account[] = [];
      for (const a of cur) {
        const e = a.txs.get(a.base + round)!;
        if (bytes + e.size > limits.maxBytes) {
          if (++skips > SELECT_MAX_SKIPS) return out;
          continue; // the rest of this sender cannot follow without this tx
        }
        out.push(e.stx);
        bytes += e.size;
        if (out.length >= limits.maxTxs) return out;
        if (a.base + round + 1 < a.execEnd) next.push(a);
      }
      if (next.length === 0) return out;
      cur = next;
      round++;
    }
  }

  has(hashHex: string): boolean {
    return this.byHash.has(normHash(hashHex));
  }

  get(hashHex: string): SignedTx | undefined {
    return this.byHash.get(normHash(hashHex))?.stx;
  }

  /** Status of a held tx, or undefined. */
  statusOf(hashHex: string): TxStatus | undefined {
    const e = this.byHash.get(normHash(hashHex));
    return e ? (e.pending ? 'pending' : 'queued') : undefined;
  }

  /** The nonce a sender's next tx should use: after its executable txs in the pool, else the committed one. */
  nextNonce(address: string): number {
    return this.accounts.get(address)?.execEnd ?? this.state.nonceOf(address);
  }

  /** Number of executable (pending) txs held: the work a block can use now. */
  get executable(): number {
    return this.byHash.size - this.nQueued;
  }

  /** Number of txs held (pending + queued). */
  get size(): number {
    return this.byHash.size;
  }

  /** Sum of the encoded sizes of the txs held. */
  get bytes(): number {
    return this.nBytes;
  }

  /** Executable txs for RPC, in selection order of senders, each sender's in nonce order; at most `limit`. */
  pending(limit = 1000): SignedTx[] {
    const out: SignedTx[] = [];
    for (const a of this.ready.values()) {
      for (let n = a.base; n < a.execEnd; n++) {
        if (out.length >= limit) return out;
        out.push(a.txs.get(n)!.stx);
      }
    }
    return out;
  }

  /** Queued (future) txs, oldest first; at most `limit`. */
  queued(limit = 1000): SignedTx[] {
    const out: SignedTx[] = [];
    for (const e of this.queue.values()) {
      if (out.length >= limit) break;
      out.push(e.stx);
    }
    return out;
  }

  stats(): TxPoolStats {
    return {
      pending: this.byHash.size - this.nQueued,
      queued: this.nQueued,
      bytes: this.nBytes,
      senders: this.accounts.size,
      ...this.counters,
    };
  }

  // ---- internals ----

  /** Moves a sender to committed nonce `committed`: removes txs below it, recomputes pending/queued. */
  private syncAccount(acct: Account, committed: number, included: ReadonlySet<string> | null, ev: Events): void {
    if (committed < acct.base) {
      // The state went back (never in PBFT; defensive): recompute everything.
      acct.base = committed;
      this.rebuild(acct, ev);
      return;
    }
    if (committed > acct.base) {
      const below = (e: Entry) => this.removeEntry(e, included?.has(e.stx.hashHex) ? 'committed' : 'stale', ev);
      if (committed - acct.base <= acct.txs.size) {
        for (let n = acct.base; n < committed; n++) {
          const e = acct.txs.get(n);
          if (e) below(e);
        }
      } else {
        for (const e of [...acct.txs.values()]) if (e.nonce < committed) below(e);
      }
      acct.base = committed;
      if (acct.execEnd < committed) acct.execEnd = committed;
    }
    this.extend(acct, ev);
    this.settle(acct);
  }

  /** Promotes the queued txs that continue the contiguous run. */
  private extend(acct: Account, ev: Events): void {
    for (let e = acct.txs.get(acct.execEnd); e; e = acct.txs.get(acct.execEnd)) {
      if (!e.pending) this.promote(e, ev);
      acct.execEnd++;
    }
  }

  /** Recomputes a sender's pending/queued split from scratch: O(its txs), for unusual paths only. */
  private rebuild(acct: Account, ev: Events): void {
    acct.execEnd = acct.base;
    while (acct.txs.has(acct.execEnd)) acct.execEnd++;
    for (const e of acct.txs.values()) {
      const shouldPend = e.nonce >= acct.base && e.nonce < acct.execEnd;
      if (shouldPend && !e.pending) this.promote(e, ev);
      else if (!shouldPend && e.pending) {
        e.pending = false;
        acct.queued++;
        this.nQueued++;
        e.queuedAt = this.now();
        this.queue.set(e.stx.hashHex, e);
      }
    }
    this.settle(acct);
  }

  private promote(e: Entry, ev: Events): void {
    e.pending = true;
    e.acct.queued--;
    this.nQueued--;
    this.queue.delete(e.stx.hashHex);
    ev.promoted.push(e.stx);
  }

  /** Keeps the ready set and the account map in step with an account's contents. */
  private settle(acct: Account): void {
    if (acct.txs.size === 0) {
      this.dropAccount(acct);
      return;
    }
    if (acct.execEnd > acct.base) {
      if (!this.ready.has(acct.sender)) this.ready.set(acct.sender, acct);
    } else {
      this.ready.delete(acct.sender);
    }
  }

  private dropAccount(acct: Account): void {
    this.accounts.delete(acct.sender);
    this.ready.delete(acct.sender);
  }

  private removeEntry(e: Entry, reason: RemovalReason, ev: Events): void {
    const hash = e.stx.hashHex;
    this.byHash.delete(hash);
    e.acct.txs.delete(e.nonce);
    this.nBytes -= e.size;
    if (!e.pending) {
      this.queue.delete(hash);
      e.acct.queued--;
      this.nQueued--;
    }
    this.counters[reason]++;
    ev.removed[reason].push(e.stx);
    this.verifier.forget(hash);
  }

  private dispatch(ev: Events): void {
    if (this.listeners.size === 0) return;
    for (const l of [...this.listeners]) {
      const call = (f: () => void) => {
        try {
          f();
        } catch {
          this.counters.listenerErrors++;
        }
      };
      if (l.removed) {
        for (const reason of ['committed', 'stale', 'evicted', 'expired'] as const) {
          const txs = ev.removed[reason];
          if (txs.length > 0) call(() => l.removed!(txs, reason));
        }
      }
      if (l.promoted && ev.promoted.length > 0) call(() => l.promoted!(ev.promoted));
      if (l.added) for (const [tx, status] of ev.added) call(() => l.added!(tx, status));
    }
  }
}
