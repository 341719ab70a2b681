import type { DecodedBlock } from '../chain/index.ts';
import type { ExecutionResult } from '../state/interface.ts';
import type { WorldState } from '../state/world.ts';
import type { EventHub } from './events.ts';
import type { HealthSnapshot } from './health.ts';
import type { RecentMatches, TxStats } from './indexers.ts';
import type { NodeMetrics } from './metrics.ts';

/**
 * What the node's readers see of its chain as it moves: every finalized block goes to the
 * metrics, the explorer's indexers and the `block` event (once it is durable); view changes
 * to the metrics; and what /health/ready judges (last finalization, since when there is work).
 * The node's driver calls it; it decides nothing about the chain.
 */
export class ChainFeed {
  private readonly m: { metrics: NodeMetrics; txStats: TxStats; matches: RecentMatches; events: EventHub; state: WorldState; now: () => number };
  private lastView = 0;
  private heightStartedAt: number;
  private lastFinalizedAt: number;
  private workSince: number | null = null;
  /** View changes seen since start (`getConsensusStatus.viewChanges`). */
  viewChanges = 0;

  constructor(modules: { metrics: NodeMetrics; txStats: TxStats; matches: RecentMatches; events: EventHub; state: WorldState; now?: () => number }) {
    this.m = { ...modules, now: modules.now ?? Date.now };
    this.heightStartedAt = this.m.now();
    this.lastFinalizedAt = this.m.now();
  }

  /** At start: the stored head (a restarted idle node is not "stalled since 1970"). */
  started(height: number, timestamp: number): void {
    this.m.metrics.height.set(height);
    this.m.metrics.blockTimestamp.set(timestamp / 1000);
  }

  /** A finalized block (stored, or a synced one being written: `durable` resolves when it is on disk). */
  finalized(block: DecodedBlock, res: ExecutionResult, viaSync: boolean, view: number, durable: Promise<void>): void {
    const { metrics } = this.m;
    const height = block.header.height;
    const now = this.m.now();
    this.m.txStats.add(block.header.timestamp, block.txs.length, res.failed);
    this.m.matches.addBlock(height, block.header.timestamp, block.txs, res.receipts, (id) => this.m.state.edgeNode(id));
    metrics.height.set(height);
    this.lastFinalizedAt = now;
    metrics.blockTimestamp.set(block.header.timestamp / 1000);
    metrics.lastFinalizedAt.set(now / 1000);
    metrics.committedTxs.inc(block.txs.length);
    metrics.failedTxs.inc(res.failed);
    if (viaSync) metrics.syncedBlocks.inc();
    else metrics.commitLatency.observe((now - this.heightStartedAt) / 1000);
    this.heightStartedAt = now;
    const event = { number: height, hash: block.hashHex, txCount: block.txs.length, timestamp: block.header.timestamp, view };
    durable.then(() => this.m.events.publish('block', event), () => {});
  }

  /** The engine's view after an input. */
  view(view: number): void {
    if (view > this.lastView) {
      this.m.metrics.viewChanges.inc(view - this.lastView);
      this.viewChanges += view - this.lastView;
    }
    this.lastView = view;
    this.m.metrics.view.set(view);
  }

  /** Whether the pool holds executable work now (the ledger's work signal). */
  work(pending: boolean): void {
    this.workSince = pending ? (this.workSince ?? this.m.now()) : null;
  }

  /** What /health/ready and the readiness gauge judge, with the node's own parts of it. */
  snapshot(node: { started: boolean; height: number; bestPeerHeight: number | null; executableTxs: number }): HealthSnapshot {
    return { ...node, lastFinalizedAt: this.lastFinalizedAt, workSince: this.workSince, now: this.m.now() };
  }
}
