import { EdgeError } from '../util/errors.ts';

export interface SyncPeer {
  peerId: string;
  height: number;
}

export interface SyncerOptions {
  /** Blocks asked per request (the server may answer fewer: it bounds a response by bytes). */
  maxBatch: number;
  /**
   * Requests kept in flight ahead of the batch being delivered (default 1): the next batch is
   * fetched (and prepared, see `fetch`) while the current one is applied. 0 = one at a time.
   */
  prefetch?: number;
  /** How long a peer that failed or served unusable blocks is left alone (ms). */
  cooldownMs?: number;
  /** Timeout of one request (ms). */
  requestTimeoutMs?: number;
}

export interface SyncerModules<B = Uint8Array> {
  logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; debug(o: object, m?: string): void } | null;
  /** Peers with the heights they last reported. */
  peers(): SyncPeer[];
  /**
   * Blocks-by-range request to one peer: blocks from `from` on, in height order (fewer than
   * `count` if the peer's answer was cut short). May also prepare them for delivery (decode,
   * verify signatures off the main thread): that work then overlaps the delivery of the
   * previous batch. Rejects if the request failed.
   */
  fetch(peerId: string, from: number, count: number, signal: AbortSignal): Promise<B[]>;
  localHeight(): number;
  /**
   * Hands one block (the next height) to the node, which verifies its certificate against that
   * height's sealers, re-executes it and checks the state root. Rejects if the block is unusable.
   */
  deliver(block: B): Promise<void>;
}

type FetchResult<B> = { ok: true; blocks: B[] } | { ok: false; error: unknown };

interface InFlight<B> {
  from: number;
  count: number;
  result: Promise<FetchResult<B>>;
  abort(): void;
}

/**
 * Catching up: while a peer reports a higher head, fetch blocks from the next height on and
 * deliver them in order, with up to `prefetch` requests in flight ahead of the batch being
 * delivered. A peer that times out, errors, or serves a block that does not advance the local
 * head (bad bytes, bad certificate) is put on cooldown, nothing it sent after that block is
 * delivered, its requests still in flight are aborted, and another peer is tried.
 */
export class Syncer<B = Uint8Array> {
  private readonly opts: Required<SyncerOptions>;
  private readonly m: SyncerModules<B>;
  private readonly cooldown = new Map<string, number>();
  private running = false;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  /** Blocks obtained by sync since start (for metrics/tests). */
  synced = 0;

  constructor(opts: SyncerOptions, modules: SyncerModules<B>) {
    this.opts = { prefetch: 1, cooldownMs: 30_000, requestTimeoutMs: 10_000, ...opts };
    if (!Number.isSafeInteger(this.opts.maxBatch) || this.opts.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    if (!Number.isSafeInteger(this.opts.prefetch) || this.opts.prefetch < 0) throw new RangeError('prefetch must be a non-negative integer');
    this.m = modules;
  }

  get active(): boolean {
    return this.running;
  }

  /** Starts catching up (no-op if already running); `fromHeight` is a hint, the local head decides. */
  request(_fromHeight?: number): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.done = this.loop().finally(() => {
      this.running = false;
    });
  }

  /** Resolves when the current catch-up (if any) has ended. */
  idle(): Promise<void> {
    return this.done;
  }

  /** Stops for good: aborts the requests in flight; the block being delivered, if any, completes. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private pickPeer(local: number): SyncPeer | null {
    const now = Date.now();
    const candidates = this.m.peers().filter((p) => p.height > local && (this.cooldown.get(p.peerId) ?? 0) <= now);
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => b.height - a.height || (a.peerId < b.peerId ? -1 : 1));
    return candidates[0];
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const local = this.m.localHeight();
      const peer = this.pickPeer(local);
      if (!peer) return;
      await this.follow(peer, local);
    }
  }

  /**
   * Fetches from `peer` from local + 1 up to the height it reported and delivers in order.
   * Returns when that height is reached, after a failure (the peer is penalised), or when the
   * local head moved by other means (consensus finalized a block): the caller starts again.
   */
  private async follow(peer: SyncPeer, local: number): Promise<void> {
    const inflight: InFlight<B>[] = [];
    let nextFrom = local + 1;
    const fill = () => {
      while (!this.stopped && inflight.length < 1 + this.opts.prefetch && nextFrom <= peer.height) {
        const count = Math.min(this.opts.maxBatch, peer.height - nextFrom + 1);
        inflight.push(this.startFetch(peer.peerId, nextFrom, count));
        nextFrom += count;
      }
    };
    try {
      fill();
      while (inflight.length > 0) {
        const f = inflight.shift()!;
        const r = await f.result;
        if (this.stopped) return;
        if (!r.ok) {
          this.penalise(peer.peerId, `request failed: ${(r.error as Error)?.message ?? String(r.error)}`);
          return;
        }
        if (r.blocks.length === 0) {
          this.penalise(peer.peerId, 'served no blocks although it reported a higher head');
          return;
        }
        if (r.blocks.length > f.count) {
          this.penalise(peer.peerId, `served ${r.blocks.length} blocks, ${f.count} asked`);
          return;
        }
        if (r.blocks.length < f.count) {
          // a short answer (the peer's byte budget): the requests after it start too high
          for (const g of inflight.splice(0)) g.abort();
          nextFrom = f.from + r.blocks.length;
        }
        fill(); // keep the pipe full while this batch is delivered
        for (let i = 0; i < r.blocks.length; i++) {
          if (this.stopped) return;
          const height = f.from + i;
          const before = this.m.localHeight();
          if (before !== height - 1) return; // the head moved by other means: start again from it
          try {
            await this.m.deliver(r.blocks[i]);
          } catch (e) {
            this.penalise(peer.peerId, `unusable block at height ${height}: ${(e as EdgeError).message}`);
            return;
          }
          const after = this.m.localHeight();
          if (after < height) {
            // the block was refused (bad certificate, wrong height or parent): do not trust this peer
            this.penalise(peer.peerId, `block at height ${height} was not accepted`);
            return;
          }
          if (after > height) return; // consensus finalized blocks meanwhile: ask again from the new head
          this.synced++;
        }
        this.m.logger?.info({ peer: peer.peerId, height: this.m.localHeight(), target: peer.height, blocks: r.blocks.length }, 'synced blocks');
      }
    } finally {
      for (const g of inflight) g.abort();
    }
  }

  /** Starts one request; its result never rejects (a failure is a value), so an abandoned prefetch cannot go unhandled. */
  private startFetch(peerId: string, from: number, count: number): InFlight<B> {
    const own = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, own.signal, AbortSignal.timeout(this.opts.requestTimeoutMs)]);
    let result: Promise<FetchResult<B>>;
    try {
      result = this.m.fetch(peerId, from, count, signal).then(
        (blocks): FetchResult<B> => ({ ok: true, blocks }),
        (error): FetchResult<B> => ({ ok: false, error }),
      );
    } catch (error) {
      result = Promise.resolve({ ok: false, error });
    }
    return { from, count, result, abort: () => own.abort() };
  }

  private penalise(peerId: string, why: string): void {
    this.cooldown.set(peerId, Date.now() + this.opts.cooldownMs);
    this.m.logger?.warn({ peer: peerId, why }, 'sync peer dropped for a while');
  }
}
