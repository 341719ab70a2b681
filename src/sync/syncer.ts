import { EdgeError } from '../util/errors.ts';

export interface SyncPeer {
  peerId: string;
  height: number;
}

export interface SyncerOptions {
  /** Blocks asked per request (the server may answer fewer). */
  maxBatch: number;
  /** How long a peer that failed or served unusable blocks is left alone (ms). */
  cooldownMs?: number;
  /** Timeout of one request (ms). */
  requestTimeoutMs?: number;
}

export interface SyncerModules {
  logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; debug(o: object, m?: string): void } | null;
  /** Peers with the heights they last reported. */
  peers(): SyncPeer[];
  /** Blocks-by-range request to one peer: encoded FinalizedBlocks from `from` on. */
  fetch(peerId: string, from: number, count: number, signal: AbortSignal): Promise<Uint8Array[]>;
  localHeight(): number;
  /**
   * Hands one encoded FinalizedBlock (the next height) to the node, which verifies its
   * certificate against that height's sealers, re-executes it and checks the state root.
   * Rejects if the bytes are unusable.
   */
  deliver(finalized: Uint8Array): Promise<void>;
}

/**
 * Catching up: while a peer reports a higher head, fetch blocks from the next height on and
 * deliver them in order. A peer that times out, errors, or serves blocks that do not advance
 * the local head (bad bytes, bad certificate) is put on cooldown and another peer is tried.
 */
export class Syncer {
  private readonly opts: Required<SyncerOptions>;
  private readonly m: SyncerModules;
  private readonly cooldown = new Map<string, number>();
  private running = false;
  private stopped = false;
  private abort = new AbortController();
  /** Blocks obtained by sync since start (for metrics/tests). */
  synced = 0;

  constructor(opts: SyncerOptions, modules: SyncerModules) {
    this.opts = { cooldownMs: 30_000, requestTimeoutMs: 10_000, ...opts };
    this.m = modules;
  }

  get active(): boolean {
    return this.running;
  }

  /** Starts catching up (no-op if already running); `fromHeight` is a hint, the local head decides. */
  request(_fromHeight?: number): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

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
      const count = Math.min(this.opts.maxBatch, peer.height - local);
      let blocks: Uint8Array[];
      try {
        const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.requestTimeoutMs)]);
        blocks = await this.m.fetch(peer.peerId, local + 1, count, signal);
      } catch (e) {
        if (this.stopped) return;
        this.penalise(peer.peerId, `request failed: ${(e as Error).message}`);
        continue;
      }
      if (blocks.length === 0) {
        this.penalise(peer.peerId, 'served no blocks although it reported a higher head');
        continue;
      }
      for (const b of blocks) {
        if (this.stopped) return;
        const before = this.m.localHeight();
        try {
          await this.m.deliver(b);
        } catch (e) {
          this.penalise(peer.peerId, `unusable block: ${(e as EdgeError).message}`);
          break;
        }
        const after = this.m.localHeight();
        if (after <= before) {
          // the block was refused (bad certificate, wrong height or parent): do not trust this peer
          this.penalise(peer.peerId, `block at height ${before + 1} was not accepted`);
          break;
        }
        if (after > before + 1) break; // consensus finalized blocks meanwhile: ask again from the new head
        this.synced++;
      }
      this.m.logger?.debug({ peer: peer.peerId, height: this.m.localHeight(), target: peer.height }, 'sync progress');
    }
  }

  private penalise(peerId: string, why: string): void {
    this.cooldown.set(peerId, Date.now() + this.opts.cooldownMs);
    this.m.logger?.warn({ peer: peerId, why }, 'sync peer dropped for a while');
  }
}
