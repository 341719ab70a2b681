import { Registry, Gauge, Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import type { HttpRoute } from './server.ts';
import type { P2PCounters } from '../p2p/counters.ts';
import type { Readiness } from './health.ts';

/** What the network reports at scrape time (P2PNetwork.getCounters and its connections). */
export interface P2PMetricsSource {
  counters(): P2PCounters;
  /** Open connections by direction, and open streams by protocol. */
  connections(): { inbound: number; outbound: number; streams: Record<string, number> };
}

export interface BuildInfo {
  version: string;
  chainId: string;
  genesisHash: string;
}

/**
 * A counter whose value is kept elsewhere (a plain number the engine or the network counts) and
 * copied at scrape time: it is still a counter (monotonic, `_total`), as Prometheus expects.
 */
function mirroredCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], read: () => { labels: Record<L, string>; value: number }[]): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of read()) if (r.value > 0) this.inc(r.labels as never, r.value);
    },
  });
}

/**
 * The node's Prometheus metrics (GET /metrics). One registry per node, so tests can run several.
 * Conventions (checked by test/rpc/metrics-conventions.test.ts, and by promtool in CI): one
 * `edgechain_` prefix for the node's own metrics (the standard process_* and nodejs_* metrics
 * keep their usual names, so stock dashboards find them), base units in the name (`_seconds`,
 * `_bytes`), `_total` on counters and only on counters, bounded label values.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly height = new Gauge({ name: 'edgechain_block_height', help: 'Height of the last finalized block', registers: [this.registry] });
  readonly blockTimestamp = new Gauge({ name: 'edgechain_block_timestamp_seconds', help: 'Timestamp (header, Unix seconds) of the last finalized block; alert on time() minus this', registers: [this.registry] });
  readonly lastFinalizedAt = new Gauge({ name: 'edgechain_block_finalized_timestamp_seconds', help: 'When this node finalized its last block (its own clock, Unix seconds)', registers: [this.registry] });
  readonly view = new Gauge({ name: 'edgechain_pbft_view', help: 'Current PBFT view at the height being decided', registers: [this.registry] });
  readonly viewChanges = new Counter({ name: 'edgechain_view_changes_total', help: 'View changes this node took part in', registers: [this.registry] });
  readonly poolSize = new Gauge({ name: 'edgechain_txpool_size', help: 'Transactions in the pool', registers: [this.registry] });
  readonly peers = new Gauge({ name: 'edgechain_peers', help: 'Connected peers', registers: [this.registry] });
  /** The readiness verdict, read at scrape time (edgechain_ready, edgechain_sync_lag_blocks). */
  readiness: (() => Readiness) | null = null;
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
  readonly rejectedMessages: Counter<'source' | 'reason'>;
  readonly rejectedTxs = new Counter({ name: 'edgechain_rejected_txs_total', help: 'Transactions refused by the pool, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly rpcCalls = new Counter({ name: 'edgechain_rpc_calls_total', help: 'JSON-RPC calls by method (unknown methods under "unknown") and outcome', labelNames: ['method', 'ok'], registers: [this.registry] });
  readonly rpcRejected = new Counter({ name: 'edgechain_rpc_rejected_requests_total', help: 'HTTP requests refused by a limit of the RPC server, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly syncedBlocks = new Counter({ name: 'edgechain_synced_blocks_total', help: 'Blocks obtained by sync (not by taking part in consensus)', registers: [this.registry] });
  /** The network, once it exists (libp2p metrics are read from it at scrape time). */
  p2p: P2PMetricsSource | null = null;

  constructor(opts: { defaultMetrics?: boolean; build?: BuildInfo } = {}) {
    const self = this;
    this.rejectedMessages = mirroredCounter(this.registry, 'edgechain_rejected_messages_total', 'Messages rejected at the boundary since start, by source (consensus engine, p2p layer) and reason', ['source', 'reason'], () =>
      self.rejectedSource().map((r) => ({ labels: { source: r.source, reason: r.reason }, value: r.count })),
    );
    const build = opts.build ?? { version: 'unknown', chainId: 'unknown', genesisHash: 'unknown' };
    new Gauge({ name: 'edgechain_build_info', help: 'Always 1; the labels say what runs: version, Node.js version, chain id and genesis hash', labelNames: ['version', 'nodejs', 'chain_id', 'genesis_hash'], registers: [this.registry] }).set(
      { version: build.version, nodejs: process.versions.node, chain_id: build.chainId, genesis_hash: build.genesisHash },
      1,
    );
    this.p2pMetrics();
    new Gauge({
      name: 'edgechain_ready',
      help: '1 when /health/ready answers 200, else 0',
      registers: [this.registry],
      collect() {
        this.set(self.readiness?.().ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'edgechain_sync_lag_blocks',
      help: 'Blocks between this node and the best height its peers report (0 when level or ahead)',
      registers: [this.registry],
      collect() {
        this.set(self.readiness?.().syncLagBlocks ?? 0);
      },
    });
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client's sums of nodejs_active_{handles,requests,resources} are gauges named _total,
      // which breaks the counter convention; the per-type gauges stay (sum them for the total)
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    }
  }

  private p2pMetrics(): void {
    const self = this;
    const c = () => self.p2p?.counters() ?? null;
    const byKind = (pick: (x: P2PCounters) => Record<string, number>, label: string) => () => {
      const x = c();
      return x ? Object.entries(pick(x)).map(([k, value]) => ({ labels: { [label]: k } as Record<string, string>, value })) : [];
    };
    const one = (pick: (x: P2PCounters) => number) => () => {
      const x = c();
      return x ? [{ labels: {}, value: pick(x) }] : [];
    };
    const r = this.registry;
    mirroredCounter(r, 'edgechain_p2p_gossip_received_total', 'Gossip messages received from peers, by topic', ['topic'], byKind((x) => x.messagesIn, 'topic'));
    mirroredCounter(r, 'edgechain_p2p_gossip_accepted_total', 'Received gossip messages accepted and forwarded, by topic', ['topic'], byKind((x) => x.messagesAccepted, 'topic'));
    mirroredCounter(r, 'edgechain_p2p_gossip_ignored_total', 'Received gossip messages ignored, by topic', ['topic'], byKind((x) => x.messagesIgnored, 'topic'));
    mirroredCounter(r, 'edgechain_p2p_gossip_published_total', 'Gossip messages this node published, by topic', ['topic'], byKind((x) => x.messagesOut, 'topic'));
    mirroredCounter(r, 'edgechain_p2p_requests_served_total', 'Inbound requests served, by kind', ['kind'], byKind((x) => x.requestsServed, 'kind'));
    mirroredCounter(r, 'edgechain_p2p_requests_served_failed_total', 'Inbound requests answered with an error or aborted, by kind', ['kind'], byKind((x) => x.requestsFailed, 'kind'));
    mirroredCounter(r, 'edgechain_p2p_requests_sent_total', 'Outbound requests that completed, by kind', ['kind'], byKind((x) => x.requestsSent, 'kind'));
    mirroredCounter(r, 'edgechain_p2p_requests_sent_failed_total', 'Outbound requests that failed or timed out, by kind', ['kind'], byKind((x) => x.requestsSentFailed, 'kind'));
    mirroredCounter(r, 'edgechain_p2p_gater_denied_total', 'Connections refused by the connection gater', [], one((x) => x.gaterDenied));
    mirroredCounter(r, 'edgechain_p2p_dials_total', 'Dials of static peers started', [], one((x) => x.dials));
    mirroredCounter(r, 'edgechain_p2p_dial_failures_total', 'Dials of static peers that failed', [], one((x) => x.dialFailures));
    mirroredCounter(r, 'edgechain_p2p_peer_connects_total', 'Peer connect events', [], one((x) => x.peerConnects));
    mirroredCounter(r, 'edgechain_p2p_peer_disconnects_total', 'Peer disconnect events', [], one((x) => x.peerDisconnects));
    new Gauge({
      name: 'edgechain_p2p_connections',
      help: 'Open libp2p connections, by direction',
      labelNames: ['direction'],
      registers: [r],
      collect() {
        const s = self.p2p?.connections();
        this.set({ direction: 'inbound' }, s?.inbound ?? 0);
        this.set({ direction: 'outbound' }, s?.outbound ?? 0);
      },
    });
    new Gauge({
      name: 'edgechain_p2p_streams',
      help: 'Open libp2p streams, by protocol',
      labelNames: ['protocol'],
      registers: [r],
      collect() {
        this.reset();
        for (const [protocol, n] of Object.entries(self.p2p?.connections().streams ?? {})) this.set({ protocol }, n);
      },
    });
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
export function rejectedCounts(engineVerdicts: Record<string, number>, gossipRejects: ReadonlyMap<string, number>, p2pRejected: Record<string, number>): { source: string; reason: string; count: number }[] {
  const out: { source: string; reason: string; count: number }[] = [];
  for (const [k, count] of Object.entries(engineVerdicts)) {
    const [verdict, kind, reason] = k.split(':');
    if (verdict === 'reject') out.push({ source: 'consensus', reason: `${kind}:${reason}`, count });
  }
  for (const [reason, count] of gossipRejects) out.push({ source: 'consensus', reason: `gossip:${reason}`, count });
  for (const [reason, count] of Object.entries(p2pRejected)) out.push({ source: 'p2p', reason, count });
  return out;
}
