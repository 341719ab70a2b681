import type { DecodedBlock } from '../chain/index.ts';
import type { CompactProposals, Supplied } from '../ledger/compact.ts';
import { P2P_LIMITS } from '../codec/p2p.ts';
import type { ConsensusMessage } from '../codec/consensus.ts';
import { sha256 } from '../crypto/hash.ts';
import { toHex } from '../util/bytes.ts';
import type { Logger } from './logger.ts';

export interface ProposalIntakeOptions {
  /** One fetch request's bound (ms). */
  requestTimeoutMs: number;
  /** The whole fetch's bound (ms): past it the proposal is abandoned (the view timer handles it). */
  deadlineMs: number;
  /** How often the pool is looked at again while txs are missing (ms). */
  recheckMs: number;
}

export const PROPOSAL_INTAKE_DEFAULTS: ProposalIntakeOptions = { requestTimeoutMs: 1_000, deadlineMs: 3_000, recheckMs: 20 };

export interface ProposalIntakeModules {
  compact: CompactProposals;
  /** Asks one peer for txs by id (P2PNetwork.requestTxs). */
  request(peerId: string, ids: Uint8Array[], signal: AbortSignal): Promise<Uint8Array[]>;
  /** The peers to ask, in order: the proposal's sender (sealer index) first, then the peer that delivered it, then the others. */
  peersFor(sender: number, via: string): string[];
  /** Txs this node received by gossip and has not admitted yet (TxIntake's backlog): looked at before asking peers. */
  backlog?: () => Iterable<Uint8Array>;
  /** Hands a message to the engine queue (with its rebuilt block, if compact). */
  deliver(bytes: Uint8Array, block?: DecodedBlock): void;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  now?: () => number;
}

/** What the fetches did (metrics, status). */
export interface ProposalFetchStats {
  fetches: number;
  /** Requests sent / that failed (error, timeout, bad answer). */
  requests: number;
  requestFailures: number;
  /** Proposals abandoned at the deadline, or whose fetched txs did not make the announced block. */
  abandoned: number;
  invalid: number;
}

/**
 * The node's side of compact proposals: a consensus message that passed the gossip boundary is
 * expanded (ledger/compact.ts); a full one or one rebuilt from the pool goes to the engine at
 * once; one that lacks txs is held while they are fetched over the p2p txs protocol — from the
 * proposal's sender (the leader), then the peer that delivered it, then every other peer, one
 * request at a time, each bounded by `requestTimeoutMs`, all by `deadlineMs`. Each answer is
 * checked by CompactProposals.supply (a tx is kept only if it is one still missing), so a peer
 * that answers with wrong, short or too many txs costs a request, not a wrong block; the next
 * peer is asked for what is still missing; the pool is looked at again every `recheckMs` (the
 * node's own gossip admission may deliver the txs first). When the deadline passes the proposal is dropped:
 * the engine never sees it, votes nothing, and its view timer moves on as for a lost proposal.
 */
export class ProposalIntake {
  private readonly opts: ProposalIntakeOptions;
  private readonly m: ProposalIntakeModules;
  private readonly now: () => number;
  private closed = false;
  private readonly aborts = new Set<AbortController>();
  readonly stats: ProposalFetchStats = { fetches: 0, requests: 0, requestFailures: 0, abandoned: 0, invalid: 0 };

  constructor(opts: Partial<ProposalIntakeOptions>, modules: ProposalIntakeModules) {
    this.opts = { ...PROPOSAL_INTAKE_DEFAULTS, ...opts };
    this.m = modules;
    this.now = modules.now ?? Date.now;
  }

  /** A consensus message accepted at the gossip boundary (`envelope`: its decoding there), delivered by peer `via`. */
  onMessage(bytes: Uint8Array, via: string, envelope?: ConsensusMessage): void {
    const x = this.m.compact.expand(bytes, envelope);
    switch (x.type) {
      case 'full':
        return this.m.deliver(bytes);
      case 'ready':
        return this.m.deliver(bytes, x.block);
      case 'invalid':
        this.stats.invalid++;
        this.m.logger?.debug({ reason: x.reason, via }, 'compact proposal dropped: not a block of this chain');
        return;
      case 'missing': {
        if (!x.fresh) return;
        const local = this.fromBacklog(x.key, x.ids);
        if (local === null) return;
        void this.fetch(x.key, local, this.m.peersFor(x.sender, via));
      }
    }
  }

  /**
   * Under load the node's own gossip admission lags: the missing txs are often in its backlog,
   * received but not admitted. Those whose hash is a missing id are taken from there (checked
   * like fetched ones; their signatures by validation). Null when that completed the proposal.
   */
  private fromBacklog(key: string, ids: Uint8Array[]): Uint8Array[] | null {
    if (!this.m.backlog) return ids;
    const want = new Set(ids.map((id) => toHex(id)));
    const found: Uint8Array[] = [];
    for (const tx of this.m.backlog()) {
      if (want.has(toHex(sha256(tx)))) found.push(tx);
      if (found.length === want.size) break;
    }
    if (found.length === 0) return ids;
    const r = this.m.compact.supply(key, found, 'local');
    if (r.type === 'missing') return r.ids;
    if (r.type === 'ready') {
      this.m.logger?.info({ txs: ids.length, of: r.block.txs.length, ms: 0, requests: 0, from: 'backlog' }, 'compact proposal: missing txs found');
      this.m.deliver(r.bytes, r.block);
    } else if (r.type === 'invalid') {
      this.stats.invalid++;
      this.m.logger?.warn({ reason: r.reason, from: 'backlog' }, 'compact proposal: its txs do not make the announced block');
    }
    return null;
  }

  /**
   * The fetch of one proposal's missing txs (resolves when it is delivered or abandoned; never
   * throws). Meanwhile the pool is looked at again every `recheckMs`: under load this node's own
   * tx gossip admission lags, and the txs often arrive here before any peer answers.
   */
  async fetch(key: string, ids: Uint8Array[], peers: string[]): Promise<void> {
    this.stats.fetches++;
    const t0 = this.now();
    const deadline = t0 + this.opts.deadlineMs;
    let missing = ids;
    const requests0 = this.stats.requests;
    let done = false;
    let inFlight: AbortController | null = null;
    const finish = (r: Supplied, from: string): boolean => {
      if (r.type === 'missing') return false;
      done = true;
      inFlight?.abort(new Error('no longer needed'));
      if (r.type === 'invalid') {
        this.stats.invalid++;
        this.m.logger?.warn({ reason: r.reason, from }, 'compact proposal: its txs do not make the announced block');
      } else if (r.type === 'ready') {
        this.m.logger?.info({ txs: ids.length, of: r.block.txs.length, ms: this.now() - t0, requests: this.stats.requests - requests0, from }, 'compact proposal: missing txs found');
        this.m.deliver(r.bytes, r.block);
      }
      return true;
    };
    const poll = setInterval(() => {
      if (!done && !this.closed) finish(this.m.compact.recheck(key), 'pool');
    }, this.opts.recheckMs);
    this.m.logger?.debug({ missing: ids.length, peers: peers.length }, 'compact proposal: waiting for txs');
    try {
      for (const peer of peers) {
        // the same peer again while it keeps sending useful txs (its byte budget cut it short)
        for (;;) {
          if (done) return;
          const left = deadline - this.now();
          if (this.closed || left <= 0) return this.abandon(key, missing.length);
          const ac = new AbortController();
          inFlight = ac;
          const timer = setTimeout(() => ac.abort(new DOMException('fetch timed out', 'TimeoutError')), Math.min(left, this.opts.requestTimeoutMs));
          this.aborts.add(ac);
          let got: Uint8Array[];
          this.stats.requests++;
          try {
            got = await this.m.request(peer, missing.slice(0, P2P_LIMITS.txsRequestIds), ac.signal);
          } catch (e) {
            if (done || this.closed) return;
            this.stats.requestFailures++;
            this.m.logger?.debug({ peer, err: (e as Error).message }, 'tx fetch failed');
            break;
          } finally {
            clearTimeout(timer);
            this.aborts.delete(ac);
            inFlight = null;
          }
          if (done || this.closed) return;
          const r = this.m.compact.supply(key, got);
          if (finish(r, peer)) return;
          if (r.type !== 'missing') return;
          missing = r.ids;
          if (r.useful === 0) break;
        }
      }
      if (!done) {
        // the peers are exhausted: the pool may still fill up before the deadline
        while (!done && !this.closed && this.now() < deadline) await new Promise((res) => setTimeout(res, this.opts.recheckMs));
        if (!done) this.abandon(key, missing.length);
      }
    } finally {
      clearInterval(poll);
    }
  }

  private abandon(key: string, missing: number): void {
    this.m.compact.abandon(key);
    this.stats.abandoned++;
    if (!this.closed) this.m.logger?.warn({ missing }, 'compact proposal abandoned: txs not found in time (no vote; the view timer handles it)');
  }

  close(): void {
    this.closed = true;
    for (const ac of this.aborts) ac.abort(new Error('closed'));
    this.aborts.clear();
  }
}
