import type { Multiaddr } from '@multiformats/multiaddr';

/**
 * Keeps the static (bootstrap) peers connected: dials each at start; when one is lost or a
 * dial fails, redials after base·2^attempt ms (capped at max, with 50–100 % jitter so
 * restarted peers do not dial in lockstep). The backoff resets only after a connection has
 * stayed up for `stableMs`, so a peer that accepts and then drops us is not hammered.
 * stop() clears every timer and aborts dials in flight.
 */
export interface RedialDeps {
  dial(addr: Multiaddr, signal: AbortSignal): Promise<unknown>;
  isConnected(peerId: string): boolean;
  onDial(peerId: string): void;
  onDialFailure(peerId: string, error: unknown, nextDelayMs: number): void;
  dialTimeoutMs: number;
  baseMs: number;
  maxMs: number;
  /** A connection that lasted this long resets the backoff (ms). */
  stableMs: number;
  random?: () => number;
  now?: () => number;
}

interface Entry {
  peerId: string;
  addr: Multiaddr;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | null;
  dialing: boolean;
  connectedAt: number | null;
}

export class Redialer {
  private readonly entries = new Map<string, Entry>();
  private readonly deps: RedialDeps;
  private readonly controller = new AbortController();
  private stopped = false;

  constructor(deps: RedialDeps, peers: { peerId: string; addr: Multiaddr }[]) {
    this.deps = deps;
    for (const p of peers) this.entries.set(p.peerId, { ...p, attempt: 0, timer: null, dialing: false, connectedAt: null });
  }

  start(): void {
    for (const e of this.entries.values()) this.dialNow(e);
  }

  has(peerId: string): boolean {
    return this.entries.has(peerId);
  }

  /** Static peers with their configured address. */
  list(): { peerId: string; addr: Multiaddr }[] {
    return [...this.entries.values()].map((e) => ({ peerId: e.peerId, addr: e.addr }));
  }

  /** Delay before the next redial after `attempt` consecutive failures (without jitter). */
  static delay(attempt: number, baseMs: number, maxMs: number): number {
    return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  }

  onConnected(peerId: string): void {
    const e = this.entries.get(peerId);
    if (!e) return;
    e.connectedAt = this.now();
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
  }

  onDisconnected(peerId: string): void {
    const e = this.entries.get(peerId);
    if (!e || this.stopped) return;
    if (e.connectedAt !== null && this.now() - e.connectedAt >= this.deps.stableMs) e.attempt = 0;
    e.connectedAt = null;
    if (e.dialing || e.timer) return;
    this.schedule(e);
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort(new Error('p2p network stopped'));
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = null;
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private schedule(e: Entry): number {
    const base = Redialer.delay(e.attempt, this.deps.baseMs, this.deps.maxMs);
    const delay = Math.round(base * (0.5 + 0.5 * (this.deps.random ?? Math.random)()));
    e.attempt++;
    e.timer = setTimeout(() => {
      e.timer = null;
      this.dialNow(e);
    }, delay);
    return delay;
  }

  private dialNow(e: Entry): void {
    if (this.stopped || e.dialing) return;
    if (this.deps.isConnected(e.peerId)) return;
    e.dialing = true;
    this.deps.onDial(e.peerId);
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.deps.dialTimeoutMs)]);
    this.deps.dial(e.addr, signal).then(
      () => {
        e.dialing = false;
        if (this.stopped) return;
        // The connection may already be gone again (e.g. refused by the remote gater).
        if (!this.deps.isConnected(e.peerId) && !e.timer) this.schedule(e);
      },
      (error: unknown) => {
        e.dialing = false;
        if (this.stopped) return;
        if (e.timer) return;
        const next = this.schedule(e);
        this.deps.onDialFailure(e.peerId, error, next);
      },
    );
  }
}
