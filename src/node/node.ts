import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPair } from '../crypto/index.ts';
import { toHex, fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import type { Genesis } from '../codec/index.ts';
import { TxVerifier, type SealerSet } from '../chain/index.ts';
import type { WorldState } from '../state/world.ts';
import { LevelDatabase } from '../storage/level.ts';
import { ChainStore } from '../storage/chain-store.ts';
import { TxPool } from '../txpool/pool.ts';
import { PbftEngine, SignatureMemo, gossipCheck, type EngineInput } from '../consensus/index.ts';
import { Ledger, CompactProposals, openState, prepareSynced, type FinalizedOutput, type LedgerOutput, type SyncedBlock } from '../ledger/index.ts';
import { ProposalIntake } from './proposals.ts';
import { TxBatcher } from './tx-batcher.ts';
import { TxIntake } from './admission.ts';
import { peerIdFromPublicKey, type P2PNetwork, type PeerStatus } from '../p2p/index.ts';
import { NodeMetrics, EventHub, TxStats, RecentMatches, StatusJson, replayIndexers, rejectedCounts, readiness, type RpcServer, type RpcContext, type HealthSnapshot } from '../rpc/index.ts';
import { ChainFeed } from '../rpc/chain-feed.ts';
import { Syncer, PeerHeights } from '../sync/index.ts';
import { VerifyPool } from '../crypto/verify-pool.ts';
import type { NodeConfig } from './config.ts';
import { readIdentity, type Identity } from './identity.ts';
import { createLogger, type Logger } from './logger.ts';
import { openNetwork } from './network.ts';
import { nodeRpcServer } from './rpc.ts';
import { SignGuard } from './sign-guard.ts';
import { EvidenceReporter } from './evidence-reporter.ts';

export const VERSION = '0.1.0';

/**
 * Synced signatures fewer than this are checked on the main thread, not in the sync workers: a
 * sealer that fell a block or two behind checks them sooner than a worker starts, and does not
 * start a worker isolate (~40 MB of RSS) for it (docs/PERFORMANCE.md "Memory: round 10").
 */
const SYNC_MIN_WORKER_BATCH = 256;

/**
 * The composition root: config → storage → state → pool → consensus engine → ledger → p2p
 * → sync → rpc, then start and stop. The block life cycle is the ledger's (src/ledger);
 * this class drives the engine: every input goes through one serial queue and the outputs
 * are applied in order, every WAL record durable before the messages after it are sent
 * (persist-before-send) and every finalized block handed to the ledger's write in order.
 */
export class EdgeNode {
  readonly cfg: NodeConfig;
  readonly logger: Logger;
  readonly genesis: Genesis;
  readonly genesisHashHex: string;
  readonly sealers: SealerSet;
  readonly key: KeyPair;
  readonly isSealer: boolean;
  readonly metrics: NodeMetrics;
  readonly events: EventHub;
  readonly txStats = new TxStats();
  readonly matches = new RecentMatches();
  readonly store: ChainStore;
  readonly state: WorldState;
  readonly verifier: TxVerifier;
  readonly pool: TxPool;
  readonly engine: PbftEngine;
  readonly ledger: Ledger;
  readonly network: P2PNetwork;
  readonly syncer: Syncer<SyncedBlock>;
  readonly rpc: RpcServer;
  readonly status: StatusJson;
  readonly intake: TxIntake;
  /** Turns the engine's equivocation outputs into evidence txs from the node's own account. */
  readonly evidence: EvidenceReporter;
  /** Compact proposals: rewriting own proposals, rebuilding received ones, serving txs (ledger/compact.ts). */
  readonly compact: CompactProposals;
  /** Received proposals waiting for the txs fetched from peers (node/proposals.ts). */
  readonly proposals: ProposalIntake;
  rpcAddress: { host: string; port: number } | null = null;
  /** Verifies the tx signatures of synced blocks off the main thread (workers start on first use). */
  private readonly syncVerifyPool: VerifyPool;
  private readonly txBatcher: TxBatcher;
  private readonly peers: PeerHeights;
  private readonly accountNames = new Map<string, string>();
  private readonly log: { node: Logger; consensus: Logger; sync: Logger };
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Consensus gossip refused at the boundary (not delivered, not forwarded), by reason. */
  private readonly gossipRejects = new Map<string, number>();
  /** Signatures verified at the gossip boundary, shared with the engine (verified once). */
  private readonly sigMemo = new SignatureMemo();
  /** Sealers: the double-sign guard every outgoing signed consensus message passes. */
  private signGuard: SignGuard | null = null;
  /** Metrics, explorer indexers, block events and readiness, fed by the driver (rpc/chain-feed.ts). */
  private readonly feed: ChainFeed;
  /** The admitted keys last handed to the network (sorted hex, comma-joined; '' before the first). */
  private admittedSig = '';
  /** Whether this node's key is in the sealer set of the next height. */
  private memberNow = false;
  private running = false;

  static async start(cfg: NodeConfig, opts: { logger?: Logger } = {}): Promise<EdgeNode> {
    const logger = opts.logger ?? createLogger({ level: cfg.log.level, name: cfg.name });
    const id = readIdentity(cfg);
    const chainId = id.genesis.chainId;
    mkdirSync(cfg.dataDir, { recursive: true });
    const db = await LevelDatabase.open(join(cfg.dataDir, 'db'));
    let store: ChainStore | null = null;
    let network: P2PNetwork | null = null;
    let node: EdgeNode | null = null;
    try {
      store = await ChainStore.open(db, { genesisHash: id.genesisHash });
      const { state, fresh } = await openState(store, id.genesis);
      state.setRetention(cfg.proofs);
      const head = store.head()!;
      logger.child({ module: 'node' }).info(fresh ? { chainId, genesis: toHex(id.genesisHash, true) } : { height: head.height, head: toHex(head.hash, true) }, fresh ? 'initialised a new chain from genesis' : 'resumed from storage');
      network = await openNetwork(cfg, id, store, logger, () =>
        node && { onTx: (b) => node!.intake.onGossip(b), onConsensus: (b, from) => node!.onConsensus(b, from), onPeerStatus: (p, st) => node!.notePeerStatus(p, st), txs: (ids, max) => node!.compact.serve(ids, max) },
      );
      node = new EdgeNode(cfg, logger, id, store, state, network);
      await node.begin();
      return node;
    } catch (e) {
      if (node) await node.stop().catch(() => {});
      else {
        await network?.stop().catch(() => {});
        await (store ?? db).close().catch(() => {});
      }
      throw e;
    }
  }

  private constructor(cfg: NodeConfig, logger: Logger, id: Identity, store: ChainStore, state: WorldState, network: P2PNetwork) {
    this.cfg = cfg;
    this.logger = logger;
    this.log = { node: logger.child({ module: 'node' }), consensus: logger.child({ module: 'consensus' }), sync: logger.child({ module: 'sync' }) };
    this.genesis = id.genesis;
    this.genesisHashHex = toHex(id.genesisHash, true);
    this.sealers = id.sealers;
    this.key = id.key;
    this.isSealer = id.isSealer;
    this.store = store;
    this.state = state;
    this.network = network;
    this.verifier = new TxVerifier(undefined, id.genesisHash);
    this.metrics = new NodeMetrics({ build: { version: VERSION, chainId: this.genesis.chainId, genesisHash: this.genesisHashHex } });
    this.events = new EventHub(cfg.rpc.maxEventStreams, cfg.rpc.maxEventStreamsPerClient);
    this.metrics.p2p = { counters: () => network.getCounters(), connections: () => network.connectionStats() };
    this.feed = new ChainFeed({ metrics: this.metrics, txStats: this.txStats, matches: this.matches, events: this.events, state });
    for (const s of this.sealers.sealers) this.accountNames.set(s.address, s.name);
    for (const a of this.genesis.accounts) if (a.name) this.accountNames.set(toHex(a.address, true), a.name);
    const { chainId, params } = this.genesis;

    this.pool = new TxPool({ chainId, maxTxBytes: params.maxTxBytes }, { state, verifier: this.verifier });
    this.engine = new PbftEngine({ chainId, params, blockPeriodMs: cfg.consensus.blockPeriodMs }, { key: this.isSealer ? this.key : null, sealersAt: (h) => this.ledger.sealersAt(h), verify: this.sigMemo.verify });
    this.ledger = new Ledger(
      { genesis: this.genesis, proposalMaxTxs: cfg.load.proposalMaxTxs },
      { state, store, pool: this.pool, engine: this.engine, verifier: this.verifier, key: this.isSealer ? this.key : null, now: Date.now, onWork: () => this.onWork(), logger: this.log.consensus },
    );
    // only the leader's proposals of heights not yet decided are rebuilt and fetched for
    const wanted = (h: number, v: number, sender: number) => {
      if (h < this.engine.status().height) return false;
      try {
        return this.ledger.sealersAt(h).leaderIndex(h, v) === sender;
      } catch {
        return false; // a height whose sealer set is not known here yet: the engine decides (buffers or ignores it)
      }
    };
    this.compact = new CompactProposals({ chainId, params, wanted }, this.pool);
    this.proposals = new ProposalIntake(
      { deadlineMs: Math.max(1_000, params.viewTimeoutMs * 1.5) },
      {
        compact: this.compact,
        request: (peerId, ids, signal) => this.network.requestTxs(peerId, ids, { signal }),
        peersFor: (sender, via) => this.fetchPeers(sender, via),
        // at most 4,096 waiting txs hashed (~2 µs each) per proposal that lacks txs
        backlog: () => this.intake.gossipAdmission.waiting(4096),
        deliver: (bytes, block) => this.enqueue({ type: 'message', now: Date.now(), bytes, from: undefined, block }),
        logger: this.log.consensus,
      },
    );
    this.txBatcher = new TxBatcher({}, (batch) => {
      this.network.publishTx(batch).catch((e) => this.log.node.debug({ err: (e as Error).message }, 'tx batch publish failed'));
    });
    this.intake = new TxIntake(cfg.load, { pool: this.pool, gossip: (tx) => this.txBatcher.push(tx), refused: (reason, n = 1) => this.metrics.rejectedTxs.inc({ reason }, n) });
    this.evidence = new EvidenceReporter({
      key: this.key,
      chainId,
      genesisHash: id.genesisHash,
      state,
      pool: this.pool,
      gossip: (tx) => this.txBatcher.push(tx.bytes),
      sealersAt: (h) => this.ledger.sealersAt(h),
      log: (level, fields, msg) => this.log.consensus[level](fields, msg),
    });
    this.metrics.rejectedSource = () => rejectedCounts(this.engine.verdictCounts(), this.gossipRejects, this.network.getCounters().rejected ?? {});

    this.syncVerifyPool = new VerifyPool({ workers: cfg.sync.verifyWorkers, minBatch: SYNC_MIN_WORKER_BATCH });
    const decodeOpts = { chainId, params };
    this.peers = new PeerHeights({ genesisHash: id.genesisHash });
    this.syncer = new Syncer<SyncedBlock>(
      // 128 blocks = the server's maxBlocksPerRequest default; its byte budget may cut a response short
      { maxBatch: 128, prefetch: 1 },
      {
        logger: this.log.sync,
        peers: () => [...this.peers.statuses.entries()].map(([peerId, s]) => ({ peerId, height: s.height })),
        // decoding and the signature checks of a batch overlap the delivery of the previous one
        fetch: async (peerId, from, count, signal) => prepareSynced(await this.network.requestBlocks(peerId, from, count, { signal }), decodeOpts, this.verifier, this.syncVerifyPool, {
            sealersAt: (h) => this.ledger.sealersAt(h),
            remember: (sig, msg, pub) => this.sigMemo.remember(sig, msg, pub),
          }),
        // the applied height: the last synced block may still be being written (Ledger.write)
        localHeight: () => this.state.height,
        deliver: (b) => this.deliverSynced(b),
      },
    );

    this.status = new StatusJson({
      nodeName: cfg.name,
      role: this.isSealer ? 'sealer' : 'observer',
      sealers: () => this.ledger.sealersAt(this.state.height + 1),
      observerKeys: cfg.p2p.observers,
      store,
      engine: () => this.engine.status(),
      viewChanges: () => this.feed.viewChanges,
      compactProposals: () => ({ enabled: cfg.p2p.compactProposals, waiting: this.compact.waiting, ...this.compact.stats, fetchRequests: this.proposals.stats.requests, fetchRequestFailures: this.proposals.stats.requestFailures }),
      syncing: () => this.syncer.active,
      peerStatus: this.peers.statuses,
      network,
    });
    this.metrics.readiness = () => readiness(this.healthSnapshot(), cfg.health);
    const rpcContext: RpcContext = {
      chainId,
      genesisHash: this.genesisHashHex,
      nodeName: cfg.name,
      role: this.isSealer ? 'sealer' : 'observer',
      version: VERSION,
      store,
      state,
      pool: this.pool,
      sealers: () => this.ledger.sealersAt(this.state.height + 1),
      sealersAt: (h) => this.ledger.sealersAt(h),
      ...this.status.context(),
      submitTx: (b) => this.intake.submit(b),
      accountName: (a) => this.accountNames.get(a) ?? null,
      txStats: this.txStats,
      matches: this.matches,
      now: () => Date.now(),
    };
    this.rpc = nodeRpcServer(cfg, rpcContext, { metrics: this.metrics, events: this.events, health: () => this.healthSnapshot(), version: VERSION, logger });
  }

  /** Replays the explorer aggregates, starts consensus from storage + WAL, then RPC and the peer poll. */
  private async begin(): Promise<void> {
    const head = this.store.head()!;
    await replayIndexers(this.store, { chainId: this.genesis.chainId, head: head.height, nowMs: Date.now(), txStats: this.txStats, matches: this.matches, nodeLocation: (id) => this.state.edgeNode(id) });
    const wal = (await this.store.walRecords()).map((r) => r.bytes);
    if (this.isSealer) {
      // the double-sign guard (src/node/sign-guard.ts): its own file, outside the database
      this.signGuard = SignGuard.open(this.cfg.signStatePath, { chainId: this.genesis.chainId, genesisHash: this.genesisHashHex });
      const lost = this.signGuard.noteWal(head.height, wal);
      if (lost !== null) this.log.consensus.warn({ height: lost, file: this.cfg.signStatePath }, 'signed at this height before but its WAL records are gone: signing nothing new there');
    }
    const hb = await this.store.getBlockByHeight(head.height);
    this.feed.started(head.height, hb!.header.timestamp);
    this.enqueue({ type: 'start', now: Date.now(), head: { height: head.height, hash: head.hash, timestamp: hb!.header.timestamp }, wal });
    await this.followMembership();
    this.rpcAddress = await this.rpc.start();
    this.running = true;
    this.statusTimer = setInterval(() => this.pollPeers(), 2000);
    this.statusTimer.unref();
    this.log.node.info({ rpc: `http://${this.rpcAddress.host}:${this.rpcAddress.port}`, p2p: this.network.listenAddrs(), role: this.isSealer ? 'sealer' : 'observer', peerId: this.network.peerId.toString() }, 'node started');
  }

  // ---------------------------------------------------------------- engine driver

  private enqueue(input: EngineInput): void {
    if (this.stopping) return;
    this.queue = this.queue.then(() => this.process(input)).catch((e) => this.fatal(e));
  }

  private async process(input: EngineInput): Promise<void> {
    if (this.stopping) return;
    input.now = Date.now();
    const outputs: LedgerOutput[] = [];
    this.ledger.step(input, (o) => void outputs.push(o));
    for (const o of outputs) {
      if (this.stopping) return;
      switch (o.type) {
        case 'persist':
          await this.store.walAppend(o.record, this.engine.status().height);
          break;
        case 'broadcast':
        case 'send': {
          const g = this.signGuard ? this.signGuard.allow(o.bytes, this.engine.status().sealerIndex) : null;
          if (g && !g.ok) {
            this.log.consensus.warn({ reason: g.reason, kind: o.kind, height: o.height, view: o.view }, 'double-sign guard: not sent');
            break;
          }
          // own proposals go out compact (header + tx ids): peers rebuild them from their pools
          const wire = this.cfg.p2p.compactProposals ? this.compact.compact(o.bytes, o.kind) : o.bytes;
          this.network.publishConsensus(wire).catch((e) => this.log.consensus.debug({ err: (e as Error).message }, 'publish failed'));
          break;
        }
        case 'equivocation':
          // two conflicting signed messages of one sealer (o.messages): reported on chain as an evidence tx
          this.log.consensus.warn({ sealer: this.ledger.sealersAt(o.height).sealers[o.sender]?.name, kind: o.kind, height: o.height, view: o.view }, 'equivocation: a sealer signed two blocks at one height and view');
          this.evidence.report(o);
          break;
        case 'set-timer':
          this.setTimer(o.at);
          break;
        case 'request-sync':
          this.syncer.request(o.fromHeight);
          break;
        case 'finalized':
          await this.finalized(o);
          break;
      }
    }
    this.feed.view(this.engine.status().view);
  }

  /** A block the ledger finalized: stored (a synced one written behind), then the feed (metrics, indexers, the 'block' event) and the log. */
  private async finalized(f: FinalizedOutput): Promise<void> {
    const { block, result: res, viaSync } = f;
    const { durable } = await this.ledger.write(f);
    durable.catch((e) => this.fatal(e));
    this.evidence.onBlock();
    this.metrics.poolSize.set(this.pool.size);
    this.feed.finalized(block, res, viaSync, this.engine.status().view, durable);
    // synced blocks are logged at debug: the syncer logs its progress per batch at info
    this.log.consensus[viaSync ? 'debug' : 'info']({ height: block.header.height, txs: block.txs.length, failed: res.failed, view: block.header.view, sync: viaSync || undefined, hash: block.hashHex.slice(0, 18) }, 'finalized block');
    await this.followMembership();
  }

  /**
   * Live membership (docs/GOVERNANCE.md): the peers admitted are the sealers and observers of
   * the next two heights on chain (a change passed in block H is in effect from H + 2, so an
   * admitted sealer can connect before the height it votes at), plus the config's extra
   * observers. Called at start and after every finalized block: a removed member is hung up on
   * within the block that takes it out.
   */
  private async followMembership(): Promise<void> {
    const h = this.state.height;
    const keys = new Map<string, Uint8Array>();
    const add = (hex: string) => keys.set(hex, fromHex(hex)!);
    for (const at of [h + 1, h + 2]) {
      const m = this.state.membershipAt(at);
      if (m) {
        for (const s of m.sealers) add(s.publicKey);
        for (const o of m.observers) add(o.publicKey);
      } else for (const s of this.ledger.sealersAt(at).sealers) add(toHex(s.publicKey));
    }
    for (const o of this.cfg.p2p.observers) keys.set(toHex(o), o);
    const sig = [...keys.keys()].sort().join(',');
    if (sig === this.admittedSig) return;
    const first = this.admittedSig === '';
    this.admittedSig = sig;
    const mine = toHex(this.key.publicKey);
    const wasMember = this.memberNow;
    this.memberNow = this.ledger.sealersAt(h + 1).indexOfKey(this.key.publicKey) >= 0;
    if (this.isSealer && !first && wasMember !== this.memberNow) {
      this.log.consensus.warn({ height: h + 1, key: mine }, this.memberNow ? 'this node is a sealer from this height on: it votes' : 'this node was removed from the sealer set: it stops voting and keeps serving as a plain node');
    }
    await this.network.setAllowedPublicKeys([...keys.values()]);
  }

  /**
   * A gossiped consensus message at the gossip boundary: structure, sender and signature are
   * checked before it is delivered or forwarded (a forged one stops at the first honest node and
   * counts against the peer); protocol rules are the engine's.
   */
  private onConsensus(bytes: Uint8Array, from: string): 'accept' | 'reject' | 'ignore' {
    const c = gossipCheck(bytes, { chainId: this.genesis.chainId, sealersAt: (h) => this.ledger.sealersAt(h), verify: this.sigMemo.verify, decidedThrough: this.state.height + 2, staleBelow: this.state.height + 1 });
    if (!c.ok) {
      // a finalized height's certificate or re-sent vote: no signature check, no relay, no blame
      if (c.reason === 'stale-height') return 'ignore';
      this.gossipRejects.set(c.reason, (this.gossipRejects.get(c.reason) ?? 0) + 1);
      // a lagging node cannot judge a height whose sealer set it does not know yet: no blame
      return c.reason === 'undecided-set' ? 'ignore' : 'reject';
    }
    // a compact proposal reaches the engine once its block is rebuilt (node/proposals.ts)
    this.proposals.onMessage(bytes, from, c.envelope);
    return 'accept';
  }

  /** Whom to ask for a compact proposal's missing txs: its sender (the leader), the peer that delivered it, then every other peer. */
  private fetchPeers(sender: number, via: string): string[] {
    const out: string[] = [];
    const s = this.ledger.sealersAt(this.engine.status().height).sealers[sender];
    if (s) out.push(peerIdFromPublicKey(s.publicKey).toString());
    out.push(via, ...this.network.connectedPeers());
    const self = this.network.peerId.toString();
    return [...new Set(out)].filter((p) => p !== self);
  }

  private async deliverSynced(s: SyncedBlock): Promise<void> {
    if ('error' in s) throw s.error;
    // processed in the engine queue like every other input; a failure there is fatal (queue catch)
    this.enqueue({ type: 'synced', now: Date.now(), block: s.block.bytes, decoded: s.block, certificate: s.certificate });
    await this.queue;
  }

  private setTimer(at: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (at === null || this.stopping) return;
    this.timer = setTimeout(() => this.enqueue({ type: 'timer', now: Date.now() }), Math.max(0, at - Date.now()));
  }

  private fatal(e: unknown): void {
    if (this.stopping) return;
    this.log.node.fatal({ err: (e as Error).message, code: (e as EdgeError).code }, 'fatal error; stopping the node');
    void this.stop().finally(() => {
      process.exitCode = 1;
    });
  }

  // ---------------------------------------------------------------- peers and sync

  private notePeerStatus(peerId: string, s: PeerStatus): void {
    const from = this.peers.note(peerId, s, this.store.head()?.height ?? 0, Date.now());
    if (from !== null) this.syncer.request(from);
  }

  /** Every 2 s: peer statuses, the status event, and the pool's housekeeping (queued txs past their TTL). */
  private pollPeers(): void {
    this.ledger.housekeeping();
    const peers = this.network.connectedPeers();
    this.metrics.peers.set(peers.length);
    this.metrics.poolSize.set(this.pool.size);
    this.events.publish('status', { height: this.store.head()?.height ?? 0, view: this.engine.status().view, pending: this.pool.size, peers: peers.length });
    for (const p of peers) {
      this.network
        .requestStatus(p, { signal: AbortSignal.timeout(1500) })
        .then((s) => this.notePeerStatus(p, s))
        .catch(() => {});
    }
  }

  /** The consensus part of the status JSON (also `getConsensusStatus`). */
  consensusStatus(): Record<string, unknown> {
    return this.status.consensus();
  }

  /** The ledger's executable work changed: tell the engine, and note since when there is work (readiness). */
  private onWork(): void {
    const input = this.ledger.workInput();
    if (input.type === 'work') this.feed.work(input.pending);
    this.enqueue(input);
  }

  /** What /health/ready and the readiness gauge judge (rpc/health.ts). */
  private healthSnapshot(): HealthSnapshot {
    const heights = [...this.peers.statuses.values()].map((p) => p.height);
    const bestPeerHeight = heights.length ? Math.max(...heights) : null;
    return this.feed.snapshot({ started: this.running && !this.stopping, height: this.store.head()?.height ?? 0, bestPeerHeight, executableTxs: this.pool.stats().pending });
  }

  /** A client tx, as `sendRawTransaction` takes it (see TxIntake.submit). */
  submitTx(bytes: Uint8Array): ReturnType<TxIntake['submit']> {
    return this.intake.submit(bytes);
  }

  // ---------------------------------------------------------------- shutdown

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.syncer.stop();
    void this.syncVerifyPool.close();
    this.txBatcher.close();
    this.proposals.close();
    this.intake.close();
    this.events.close();
    await this.rpc.stop().catch(() => {});
    await this.network.stop().catch(() => {});
    await this.queue.catch(() => {});
    this.ledger.close();
    this.signGuard?.close();
    await this.store.close().catch(() => {});
    this.log.node.info('node stopped');
  }
}
