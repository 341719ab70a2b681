import { Registry, Gauge, Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import type { HttpRoute } from './server.ts';

/** The node's Prometheus metrics (GET /metrics). One registry per node, so tests can run several. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly height = new Gauge({ name: 'edgechain_block_height', help: 'Height of the last finalized block', registers: [this.registry] });
  readonly view = new Gauge({ name: 'edgechain_pbft_view', help: 'Current PBFT view at the height being decided', registers: [this.registry] });
  readonly viewChanges = new Counter({ name: 'edgechain_view_changes_total', help: 'View changes this node took part in', registers: [this.registry] });
  readonly poolSize = new Gauge({ name: 'edgechain_txpool_size', help: 'Transactions in the pool', registers: [this.registry] });
  readonly peers = new Gauge({ name: 'edgechain_peers', help: 'Connected peers', registers: [this.registry] });
  readonly committedTxs = new Counter({ name: 'edgechain_committed_txs_total', help: 'Transactions in finalized blocks', registers: [this.registry] });
  readonly failedTxs = new Counter({ name: 'edgechain_failed_txs_total', help: 'Finalized transactions with a failed receipt', registers: [this.registry] });
  readonly commitLatency = new Histogram({
    name: 'edgechain_commit_latency_seconds',
    help: 'From the start of a height (proposal) to its finalization on this node',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Filled at scrape time from the counters the consensus engine and the network keep (see rejectedSource). */
  rejectedSource: () => { source: string; reason: string; count: number }[] = () => [];
  readonly rejectedMessages: Gauge<'source' | 'reason'>;
  readonly rejectedTxs = new Counter({ name: 'edgechain_rejected_txs_total', help: 'Transactions refused by the pool, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly rpcCalls = new Counter({ name: 'edgechain_rpc_calls_total', help: 'JSON-RPC calls by method and outcome', labelNames: ['method', 'ok'], registers: [this.registry] });
  readonly syncedBlocks = new Counter({ name: 'edgechain_synced_blocks_total', help: 'Blocks obtained by sync (not by taking part in consensus)', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const self = this;
    this.rejectedMessages = new Gauge({
      name: 'edgechain_rejected_messages_total',
      help: 'Messages rejected at the boundary since start, by source (consensus engine, p2p layer) and reason',
      labelNames: ['source', 'reason'],
      registers: [this.registry],
      collect() {
        for (const r of self.rejectedSource()) this.set({ source: r.source, reason: r.reason }, r.count);
      },
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'edgechain_process_' });
  }

  route(): HttpRoute {
    return async (path) => {
      if (path !== '/metrics') return null;
      return { type: this.registry.contentType, body: await this.registry.metrics() };
    };
  }
}

/**
 * The rows of `edgechain_rejected_messages_total`: the consensus engine's `reject` verdicts
 * (keyed `verdict:kind:reason`), malformed consensus gossip, and the p2p boundary's refusals.
 */
export function rejectedCounts(engineVerdicts: Record<string, number>, malformedConsensus: number, p2pRejected: Record<string, number>): { source: string; reason: string; count: number }[] {
  const out: { source: string; reason: string; count: number }[] = [];
  for (const [k, count] of Object.entries(engineVerdicts)) {
    const [verdict, kind, reason] = k.split(':');
    if (verdict === 'reject') out.push({ source: 'consensus', reason: `${kind}:${reason}`, count });
  }
  if (malformedConsensus) out.push({ source: 'consensus', reason: 'gossip:malformed', count: malformedConsensus });
  for (const [reason, count] of Object.entries(p2pRejected)) out.push({ source: 'p2p', reason, count });
  return out;
}
