import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile, addressBytes, type KeyPair } from '../crypto/index.ts';
import { toHex, equalBytes } from '../util/bytes.ts';
import { EdgeError, type Result, ok, err } from '../util/errors.ts';
import { FinalizedBlockCodec, type Genesis, type Receipt } from '../codec/index.ts';
import { ReceiptCodec } from '../codec/chain.ts';
import {
  parseGenesis, genesisHash, genesisBlock, genesisSealerSet, TxVerifier, buildBlock, decodeCertificate, encodeCertificate, decodeTx,
  type DecodedBlock, type SealerSet, type SignedTx,
} from '../chain/index.ts';
import { WorldState } from '../state/world.ts';
import type { ExecutionResult } from '../state/interface.ts';
import { LevelDatabase } from '../storage/level.ts';
import { ChainStore } from '../storage/chain-store.ts';
import type { Database } from '../storage/interface.ts';
import { TxPool } from '../txpool/pool.ts';
import { PbftEngine, type EngineInput, type EngineOutput } from '../consensus/index.ts';
import { ConsensusMessageCodec } from '../codec/consensus.ts';
import { TxBatchCodec, P2P_LIMITS } from '../codec/p2p.ts';
import { TxBatcher, batchVerdict } from './tx-batcher.ts';
import { GossipAdmission, type TxOutcome } from './admission.ts';
import { P2PNetwork, PER_BLOCK_OVERHEAD_BYTES, peerIdFromPublicKey, type PeerStatus } from '../p2p/index.ts';
import { RpcServer, rpcMethods, rpcCost, NodeMetrics, EventHub, TxStats, RecentMatches, healthRoutes, readiness, type RpcContext, type HealthSnapshot } from '../rpc/index.ts';
import { explorerRoute } from '../rpc/explorer.ts';
import { openRpcRoute } from '../rpc/openrpc.ts';
import { Syncer } from '../sync/syncer.ts';
import { VerifyPool } from '../crypto/verify-pool.ts';
import { decodeBlock } from '../chain/block.ts';
import type { CommitCertificate } from '../codec/types.ts';
import type { NodeConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';

export const VERSION = '0.1.0';

/** Most synced blocks applied (state advanced) but not yet written to disk: see finalize. */
const SYNC_WRITE_BEHIND = 64;

/** Pool refusals of a gossiped tx that say nothing against its sender (duplicate, nonce, room): ignored, not rejected. */
const GOSSIP_IGNORED_TX_CODES: ReadonlySet<string> = new Set([
  'TXPOOL_DUPLICATE', 'TXPOOL_NONCE_TOO_LOW', 'TXPOOL_FULL', 'TXPOOL_NONCE_TAKEN', 'TXPOOL_NONCE_GAP', 'TXPOOL_SENDER_QUEUE_FULL',
]);

/** A cached execution of one block on top of the committed state (state holds it pending). */
interface PendingExec {
  hashHex: string;
  result: ExecutionResult;
}

/**
 * The composition root: config → storage → state → pool → consensus → p2p → rpc.
 * All engine inputs go through one serial queue; outputs are applied in order, with every
 * WAL record durable before the messages after it are sent (persist-before-send) and every
 * finalized block stored before the next input.
 */
export class EdgeNode {
  readonly cfg: NodeConfig;
  readonly logger: Logger;
  readonly genesis: Genesis;
  readonly genesisHashHex: string;
  private readonly genesisHashBytes: Uint8Array;
  readonly sealers: SealerSet;
  readonly key: KeyPair;
  readonly isSealer: boolean;
  readonly metrics: NodeMetrics;
  readonly events: EventHub;
  readonly txStats = new TxStats();
  readonly matches = new RecentMatches();

  db!: Database;
  store!: ChainStore;
  state!: WorldState;
  pool!: TxPool;
  verifier: TxVerifier;
  engine!: PbftEngine;
  network!: P2PNetwork;
  rpc!: RpcServer;
  syncer!: Syncer<SyncedBlock>;
  /** Verifies the tx signatures of synced blocks off the main thread (workers start on first use). */
  private syncVerifyPool: VerifyPool | null = null;
  /** Writes of synced blocks still in flight, oldest first (see finalize: synced blocks are written behind). */
  private readonly syncWrites: Promise<void>[] = [];
  private readonly txBatcher = new TxBatcher({}, (batch) => {
    this.network.publishTx(batch).catch((e) => this.log.node.debug({ err: (e as Error).message }, 'tx batch publish failed'));
  });
  rpcAddress: { host: string; port: number } | null = null;
  /** Gossiped tx batches, admitted in slices behind consensus (src/node/admission.ts). */
  private gossipAdmission!: GossipAdmission;

  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private pending: PendingExec | null = null;
  private stopping = false;
  private lastWork = false;
  private lastView = 0;
  private viewChangeCount = 0;
  private malformedConsensus = 0;
  private behindSince: number | null = null;
  private peerNames: Map<string, string> | null = null;
  private heightStartedAt = Date.now();
  /** For /health/ready: running, last finalization (or start), since when the pool has had work. */
  private running = false;
  private lastFinalizedAt = Date.now();
  private workSince: number | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly peerStatus = new Map<string, PeerStatus & { at: number }>();
  private readonly accountNames = new Map<string, string>();
  private readonly log: { node: Logger; consensus: Logger; sync: Logger };

  private constructor(cfg: NodeConfig, logger: Logger) {
    this.cfg = cfg;
    this.logger = logger;
    this.log = { node: logger.child({ module: 'node' }), consensus: logger.child({ module: 'consensus' }), sync: logger.child({ module: 'sync' }) };
    let gjson: unknown;
    try {
      gjson = JSON.parse(readFileSync(cfg.genesisPath, 'utf8'));
    } catch (e) {
      throw new EdgeError('CONFIG_INVALID', `cannot read genesis ${cfg.genesisPath}: ${(e as Error).message}`);
    }
    this.genesis = parseGenesis(gjson);
    this.genesisHashBytes = genesisHash(this.genesis);
    this.genesisHashHex = toHex(this.genesisHashBytes, true);
    this.verifier = new TxVerifier(undefined, this.genesisHashBytes);
    this.metrics = new NodeMetrics({ build: { version: VERSION, chainId: this.genesis.chainId, genesisHash: this.genesisHashHex } });
    this.events = new EventHub(cfg.rpc.maxEventStreams, cfg.rpc.maxEventStreamsPerClient);
    this.sealers = genesisSealerSet(this.genesis);
    this.key = readKeyFile(cfg.keyPath);
    const idx = this.sealers.indexOfKey(this.key.publicKey);
    if (cfg.role === 'sealer' && idx < 0) throw new EdgeError('CONFIG_INVALID', `role is "sealer" but the key ${this.key.address} is not in the genesis sealer list`);
    this.isSealer = cfg.role === 'sealer' && idx >= 0;
    for (const s of this.sealers.sealers) this.accountNames.set(s.address, s.name);
    for (const a of this.genesis.accounts) if (a.name) this.accountNames.set(toHex(a.address, true), a.name);
  }

  static async start(cfg: NodeConfig, opts: { logger?: Logger } = {}): Promise<EdgeNode> {
    const logger = opts.logger ?? createLogger({ level: cfg.log.level, name: cfg.name });
    const node = new EdgeNode(cfg, logger);
    try {
      await node.init();
    } catch (e) {
      await node.stop().catch(() => {});
      throw e;
    }
    return node;
  }

  private async init(): Promise<void> {
    const { cfg, genesis } = this;
    const chainId = genesis.chainId;
    mkdirSync(cfg.dataDir, { recursive: true });
    this.db = await LevelDatabase.open(join(cfg.dataDir, 'db'));
    this.store = await ChainStore.open(this.db, { genesisHash: this.genesisHashBytes });
    let head = this.store.head();
    if (!head) {
      const { state, result } = WorldState.fromGenesis(genesis);
      const b0 = genesisBlock(genesis, result.stateRoot);
      await this.store.commitGenesis({ genesisHash: this.genesisHashBytes, block: b0, writes: result.writes, stateRoot: result.stateRoot });
      this.state = state;
      head = this.store.head()!;
      this.log.node.info({ chainId, genesis: this.genesisHashHex }, 'initialised a new chain from genesis');
    } else {
      const entries: [Uint8Array, Uint8Array][] = [];
      for await (const e of this.store.iterateState()) entries.push(e);
      this.state = WorldState.load(entries, { height: head.height, stateRoot: head.stateRoot });
      this.log.node.info({ height: head.height, head: toHex(head.hash, true) }, 'resumed from storage');
    }
    await this.replayIndexers(head.height);

    this.pool = new TxPool({ chainId, maxTxBytes: genesis.params.maxTxBytes }, { state: this.state, verifier: this.verifier });
    this.gossipAdmission = new GossipAdmission({ maxQueuedTxs: cfg.load.gossipBacklogTxs }, (tx) => this.admitGossipTx(tx), batchVerdict);
    this.pool.subscribe({ added: () => this.noteWork(), removed: () => this.noteWork(), promoted: () => this.noteWork() });

    this.metrics.rejectedSource = () => this.rejectedCounts();
    this.engine = new PbftEngine({ chainId, params: genesis.params }, { key: this.isSealer ? this.key : null, sealersAt: () => this.sealers });

    const allowed = [...this.sealers.sealers.map((s) => s.publicKey), ...cfg.p2p.observers];
    if (!allowed.some((k) => equalBytes(k, this.key.publicKey))) allowed.push(this.key.publicKey);
    this.network = await P2PNetwork.create(
      { secretKey: this.key.secretKey, listen: cfg.p2p.listen, bootstrap: cfg.p2p.bootstrap, chainId, allowedPublicKeys: allowed, maxTxBytes: P2P_LIMITS.txBatch },
      {
        logger: this.logger.child({ module: 'p2p' }),
        onTx: (bytes) => this.onGossipTx(bytes),
        onConsensus: (bytes, info) => {
          // cheap structural check at the gossip boundary (garbage is not forwarded and
          // counts against the peer); signatures and protocol rules are the engine's
          if (!ConsensusMessageCodec.decode(bytes).ok) {
            this.malformedConsensus++;
            return 'reject';
          }
          this.enqueue({ type: 'message', now: Date.now(), bytes, from: info.viaPeerId });
          return 'accept';
        },
        statusProvider: () => this.status(),
        blocksProvider: (from, count, maxBytes) => this.serveBlocks(from, count, maxBytes),
        onPeerStatus: (peerId, s) => this.notePeerStatus(peerId, s),
      },
    );
    this.metrics.p2p = { counters: () => this.network.getCounters(), connections: () => this.network.connectionStats() };
    this.syncVerifyPool = new VerifyPool({ workers: cfg.sync.verifyWorkers });
    this.syncer = new Syncer<SyncedBlock>(
      // 128 blocks = the server's maxBlocksPerRequest default; its byte budget may cut a response short
      { maxBatch: 128, prefetch: 1 },
      {
        logger: this.log.sync,
        peers: () => [...this.peerStatus.entries()].map(([peerId, s]) => ({ peerId, height: s.height })),
        // decoding and the signature checks of a batch overlap the delivery of the previous one
        fetch: async (peerId, from, count, signal) => this.prepareSynced(await this.network.requestBlocks(peerId, from, count, { signal })),
        // the applied height: the last synced block may still be being written (finalize)
        localHeight: () => this.state.height,
        deliver: (b) => this.deliverSynced(b),
      },
    );

    // start consensus from storage + WAL
    const wal = (await this.store.walRecords()).map((r) => r.bytes);
    const hb = await this.store.getBlockByHeight(head.height);
    this.metrics.height.set(head.height);
    this.metrics.blockTimestamp.set(hb!.header.timestamp / 1000); // a restarted idle node is not "stalled since 1970"
    this.enqueue({ type: 'start', now: Date.now(), head: { height: head.height, hash: head.hash, timestamp: hb!.header.timestamp }, wal, pending: this.pool.size > 0 });

    // RPC and explorer
    const health = healthRoutes(() => this.healthSnapshot(), cfg.health);
    this.metrics.readiness = () => readiness(this.healthSnapshot(), cfg.health);
    this.rpc = new RpcServer(cfg.rpc, {
      methods: rpcMethods(this.rpcContext()),
      cost: rpcCost,
      routes: [health, this.metrics.route(), openRpcRoute(VERSION), explorerRoute()],
      streams: [this.events.handler()],
      onCall: (method, okCall) => this.metrics.rpcCalls.inc({ method, ok: String(okCall) }),
      onReject: (reason) => this.metrics.rpcRejected.inc({ reason }),
      logger: this.logger.child({ module: 'rpc' }),
    });
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
    const outputs = this.engine.step(input);
    await this.apply(outputs);
  }

  private async apply(outputs: EngineOutput[]): Promise<void> {
    for (const o of outputs) {
      if (this.stopping) return;
      switch (o.type) {
        case 'persist':
          await this.store.walAppend(o.record, this.engine.status().height);
          break;
        case 'broadcast':
        case 'send':
          this.network.publishConsensus(o.bytes).catch((e) => this.log.consensus.debug({ err: (e as Error).message }, 'publish failed'));
          break;
        case 'set-timer':
          this.setTimer(o.at);
          break;
        case 'request-build':
          await this.apply(this.engine.step({ type: 'built', now: Date.now(), height: o.height, view: o.view, block: this.build(o.height, o.view, o.parentHash, o.timestamp) }));
          break;
        case 'request-validate': {
          const v = this.validate(o.block);
          await this.apply(this.engine.step({ type: 'validated', now: Date.now(), hash: o.block.hash, ...v }));
          break;
        }
        case 'request-sync':
          this.syncer.request(o.fromHeight);
          break;
        case 'finalize':
          await this.finalize(o.block, encodeCertificate(o.certificate), o.viaSync);
          break;
      }
    }
    const view = this.engine.status().view;
    if (view > this.lastView) {
      this.metrics.viewChanges.inc(view - this.lastView);
      this.viewChangeCount += view - this.lastView;
    }
    this.lastView = view;
    this.metrics.view.set(view);
  }

  /** Rejected messages: the engine's verdicts (consensus) and the network's boundary checks (p2p). */
  private rejectedCounts(): { source: string; reason: string; count: number }[] {
    const out: { source: string; reason: string; count: number }[] = [];
    for (const [k, count] of Object.entries(this.engine.verdictCounts())) {
      const [verdict, kind, reason] = k.split(':');
      if (verdict === 'reject') out.push({ source: 'consensus', reason: `${kind}:${reason}`, count });
    }
    if (this.malformedConsensus) out.push({ source: 'consensus', reason: 'gossip:malformed', count: this.malformedConsensus });
    const rej: Record<string, number> = this.network?.getCounters().rejected ?? {};
    for (const [reason, count] of Object.entries(rej)) out.push({ source: 'p2p', reason, count });
    return out;
  }

  private setTimer(at: number | null): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (at === null || this.stopping) return;
    this.timer = setTimeout(() => this.enqueue({ type: 'timer', now: Date.now() }), Math.max(0, at - Date.now()));
  }

  private noteWork(): void {
    this.metrics.poolSize.set(this.pool.size);
    const work = this.pool.size > 0;
    if (work !== this.lastWork) {
      this.lastWork = work;
      this.workSince = work ? Date.now() : null;
      this.enqueue({ type: 'work', now: Date.now(), pending: work });
    }
  }

  /** Drops the pending execution, if any (the state returns to the committed one). */
  private dropPending(): void {
    if (!this.pending) return;
    this.state.revert();
    this.pending = null;
  }

  /** Executes a block on the committed state and keeps it pending; the pending execution of the same block is reused. */
  private executeBlock(block: DecodedBlock): Result<ExecutionResult, EdgeError> {
    if (this.pending?.hashHex === block.hashHex) return ok(this.pending.result);
    this.dropPending();
    const h = block.header;
    const r = this.state.execute({ height: h.height, timestamp: h.timestamp, proposer: toHex(h.proposer, true) }, block.txs);
    if (r.ok) this.pending = { hashHex: block.hashHex, result: r.value };
    return r;
  }

  private build(height: number, view: number, parentHash: Uint8Array, timestamp: number): DecodedBlock | null {
    const params = this.genesis.params;
    const txs = this.pool.select({ maxTxs: Math.min(params.maxBlockTxs, this.cfg.load.proposalMaxTxs), maxBytes: params.maxBlockBytes - 4096 });
    if (txs.length === 0) return null;
    this.dropPending();
    const r = this.state.execute({ height, timestamp, proposer: this.key.address }, txs);
    if (!r.ok) {
      this.log.consensus.warn({ err: r.error.message, height }, 'could not execute the selected txs; proposing nothing');
      this.pool.recheckAll();
      return null;
    }
    const block = buildBlock(
      { chainId: this.genesis.chainId, height, parentHash, timestamp, proposer: addressBytes(this.key.publicKey), view, stateRoot: r.value.stateRoot, receiptRoot: r.value.receiptRoot },
      txs,
    );
    this.pending = { hashHex: block.hashHex, result: r.value };
    return block;
  }

  private validate(block: DecodedBlock): { valid: boolean; stateRoot: Uint8Array | null; reason?: string } {
    for (const tx of block.txs) if (!this.verifier.verify(tx)) return { valid: false, stateRoot: null, reason: `bad signature on tx ${tx.hashHex}` };
    const r = this.executeBlock(block);
    if (!r.ok) return { valid: false, stateRoot: null, reason: r.error.message };
    if (!equalBytes(r.value.receiptRoot, block.header.receiptRoot)) return { valid: false, stateRoot: r.value.stateRoot, reason: 'receipt root differs' };
    return { valid: true, stateRoot: r.value.stateRoot };
  }

  private async finalize(block: DecodedBlock, certificate: Uint8Array, viaSync: boolean): Promise<void> {
    const t0 = Date.now();
    const height = block.header.height;
    // a block finalized here was validated by a quorum (this node's own validation already hit the
    // verifier); a synced block is only known by its certificate, so its signatures are checked
    if (viaSync) for (const tx of block.txs) if (!this.verifier.verify(tx)) throw new EdgeError('NODE_DIVERGED', `synced block ${height} has a tx with a bad signature despite a valid certificate`);
    const r = this.executeBlock(block);
    if (!r.ok) throw new EdgeError('NODE_DIVERGED', `finalized block ${height} does not execute here: ${r.error.message}`);
    const res = r.value;
    if (!equalBytes(res.stateRoot, block.header.stateRoot)) throw new EdgeError('NODE_DIVERGED', `state root of finalized block ${height} differs from ours`);
    const commit = { block, certificate, receipts: res.receiptBytes, writes: res.writes, stateRoot: res.stateRoot, failed: res.failed, pruneWalThroughHeight: height - 1 };
    let durable: Promise<void> | null = null;
    if (viaSync) {
      // Write-behind for synced blocks: a block's batch (atomic, fsynced) is written while the
      // next synced blocks are checked and executed, with at most SYNC_WRITE_BEHIND of them
      // applied but not yet on disk; the store writes the commits that queue up meanwhile as
      // one group (one fsync). It writes in call order, so a later WAL append (made before any
      // message is sent) or block commit is never on disk ahead of them. The 'block' event
      // waits for the write; a failed write is fatal.
      while (this.syncWrites.length >= SYNC_WRITE_BEHIND) await this.syncWrites.shift();
      durable = this.store.commitBlock(commit);
      this.syncWrites.push(durable);
      durable.catch((e) => this.fatal(e));
    } else await this.store.commitBlock(commit);
    this.state.commit();
    this.pending = null;
    this.pool.onCommit(block.txs);
    this.noteWork();
    this.txStats.add(block.header.timestamp, block.txs.length, res.failed);
    this.matches.addBlock(height, block.header.timestamp, block.txs, res.receipts, (id) => this.state.edgeNode(id));
    this.metrics.height.set(height);
    this.lastFinalizedAt = Date.now();
    this.metrics.blockTimestamp.set(block.header.timestamp / 1000);
    this.metrics.lastFinalizedAt.set(this.lastFinalizedAt / 1000);
    this.metrics.committedTxs.inc(block.txs.length);
    this.metrics.failedTxs.inc(res.failed);
    if (viaSync) this.metrics.syncedBlocks.inc();
    else this.metrics.commitLatency.observe((Date.now() - this.heightStartedAt) / 1000);
    this.heightStartedAt = Date.now();
    const st = this.engine.status();
    // synced blocks are logged at debug: the syncer logs its progress per batch at info
    this.log.consensus[viaSync ? 'debug' : 'info']({ height, txs: block.txs.length, failed: res.failed, view: block.header.view, ms: Date.now() - t0, sync: viaSync || undefined, hash: block.hashHex.slice(0, 18) }, 'finalized block');
    const event = { number: height, hash: block.hashHex, txCount: block.txs.length, timestamp: block.header.timestamp, view: st.view };
    if (durable) durable.then(() => this.events.publish('block', event), () => {});
    else this.events.publish('block', event);
  }

  /**
   * Decodes a batch of synced FinalizedBlocks (untrusted bytes: every canonical and structural
   * check of decodeBlock applies) and checks their tx signatures in the verify pool's worker
   * threads, which fills the verifier's cache: finalize() then finds them verified. The verdicts
   * themselves are not acted on here: a block with a bad signature is refused by finalize() (or
   * earlier, by its certificate). Decoding stops at the first unusable block.
   */
  private async prepareSynced(raw: Uint8Array[]): Promise<SyncedBlock[]> {
    const out: SyncedBlock[] = [];
    const txs: SignedTx[] = [];
    const opts = { chainId: this.genesis.chainId, params: this.genesis.params };
    for (const bytes of raw) {
      const s = decodeSynced(bytes, opts);
      out.push(s);
      if ('error' in s) break;
      txs.push(...s.block.txs);
    }
    if (this.syncVerifyPool && txs.length > 0) await this.verifier.verifyMany(txs, this.syncVerifyPool);
    return out;
  }

  private async deliverSynced(s: SyncedBlock): Promise<void> {
    if ('error' in s) throw s.error;
    // processed in the engine queue like every other input; a failure there is fatal (queue catch)
    const input: EngineInput = { type: 'synced', now: Date.now(), block: s.block.bytes, decoded: s.block, certificate: s.certificate };
    this.enqueue(input);
    await this.queue;
  }

  private fatal(e: unknown): void {
    if (this.stopping) return;
    this.log.node.fatal({ err: (e as Error).message, code: (e as EdgeError).code }, 'fatal error; stopping the node');
    void this.stop().finally(() => {
      process.exitCode = 1;
    });
  }

  // ---------------------------------------------------------------- network glue

  /** Admits a tx into the pool, counting a refusal by its code. */
  private admitTx(bytes: Uint8Array): Result<{ hash: string }, EdgeError> {
    const r = this.pool.add(bytes);
    if (!r.ok) this.metrics.rejectedTxs.inc({ reason: r.error.code });
    return r;
  }

  /**
   * A gossiped TxBatch: its txs go through pool admission in slices, behind consensus
   * (admission.ts); the verdict (batchVerdict) decides whether it is forwarded.
   */
  private onGossipTx(bytes: Uint8Array): 'accept' | 'ignore' | 'reject' | Promise<'accept' | 'ignore' | 'reject'> {
    const b = TxBatchCodec.decode(bytes);
    if (!b.ok) return 'reject';
    const before = this.gossipAdmission.shed;
    const v = this.gossipAdmission.enqueue(b.value.txs);
    if (this.gossipAdmission.shed > before) this.metrics.rejectedTxs.inc({ reason: 'GOSSIP_BACKLOG' }, b.value.txs.length);
    return v;
  }

  private admitGossipTx(tx: Uint8Array): TxOutcome {
    const r = this.admitTx(tx);
    if (r.ok) return 'new';
    return GOSSIP_IGNORED_TX_CODES.has(r.error.code) ? 'known' : 'bad';
  }

  /**
   * A tx from a client (RPC). Refused with NODE_BUSY, before any other check, while the
   * pool holds `load.busyPoolTxs` txs or `load.busyBacklogTxs` gossiped txs wait for
   * admission: past that point the chain cannot take more and every accepted tx would only
   * wait longer (docs/NODE.md, "Overload").
   */
  submitTx(bytes: Uint8Array): Result<{ hash: string }, EdgeError> {
    const busy = this.busy();
    if (busy) {
      this.metrics.rejectedTxs.inc({ reason: 'NODE_BUSY' });
      return err(new EdgeError('NODE_BUSY', busy, { retryAfterMs: 1000 }));
    }
    const r = this.admitTx(bytes);
    if (!r.ok) return err(r.error);
    this.txBatcher.push(bytes);
    return ok({ hash: r.value.hash });
  }

  /** Why the node refuses client txs now, or null. */
  private busy(): string | null {
    const { busyPoolTxs, busyBacklogTxs } = this.cfg.load;
    if (this.pool.size >= busyPoolTxs) return `node busy: ${this.pool.size} txs pending (limit ${busyPoolTxs}); retry later`;
    const backlog = this.gossipAdmission.backlog;
    if (backlog >= busyBacklogTxs) return `node busy: ${backlog} gossiped txs waiting for admission (limit ${busyBacklogTxs}); retry later`;
    return null;
  }

  private status(): PeerStatus {
    const h = this.store.head();
    return { height: h?.height ?? 0, headHash: h?.hash ?? new Uint8Array(32), genesisHash: this.genesisHashBytes };
  }

  /** Blocks for a peer, read only up to the response's byte budget (never 128 × 3 MiB). */
  private async serveBlocks(from: number, count: number, maxBytes: number): Promise<Uint8Array[]> {
    const head = this.store.head()?.height ?? 0;
    return this.store.getFinalizedRange(from, Math.max(0, Math.min(count, head - from + 1)), maxBytes, PER_BLOCK_OVERHEAD_BYTES);
  }

  private notePeerStatus(peerId: string, s: PeerStatus): void {
    if (!equalBytes(s.genesisHash, this.genesisHashBytes)) return;
    this.peerStatus.set(peerId, { ...s, at: Date.now() });
    const mine = this.store.head()?.height ?? 0;
    const best = Math.max(...[...this.peerStatus.values()].map((p) => p.height));
    // A peer one block ahead is normal while a height is being finalized; sync when it lasts
    // (a missed block with no traffic after it) or when we are 2+ behind.
    if (best <= mine) this.behindSince = null;
    else if (best >= mine + 2) this.syncer.request(mine + 1);
    else if (this.behindSince === null) this.behindSince = Date.now();
    else if (Date.now() - this.behindSince > 1500) this.syncer.request(mine + 1);
  }

  private pollPeers(): void {
    const peers = this.network.connectedPeers();
    this.metrics.peers.set(peers.length);
    this.events.publish('status', { height: this.store.head()?.height ?? 0, view: this.engine.status().view, pending: this.pool.size, peers: peers.length });
    for (const p of peers) {
      this.network
        .requestStatus(p, { signal: AbortSignal.timeout(1500) })
        .then((s) => this.notePeerStatus(p, s))
        .catch(() => {});
    }
  }

  // ---------------------------------------------------------------- RPC

  private rpcContext(): RpcContext {
    return {
      chainId: this.genesis.chainId,
      genesisHash: this.genesisHashHex,
      nodeName: this.cfg.name,
      role: this.isSealer ? 'sealer' : 'observer',
      version: VERSION,
      store: this.store,
      state: this.state,
      pool: this.pool,
      sealers: () => this.sealers,
      observers: () => this.observers(),
      consensusStatus: () => this.consensusStatus(),
      syncStatus: () => this.syncStatus(),
      peers: () => this.peersJson(),
      submitTx: (b) => this.submitTx(b),
      accountName: (a) => this.accountNames.get(a) ?? null,
      txStats: this.txStats,
      matches: this.matches,
      now: () => Date.now(),
    };
  }

  consensusStatus(): Record<string, unknown> {
    const s = this.engine.status();
    const head = this.store.head()?.height ?? 0;
    return {
      nodeName: this.cfg.name,
      role: this.isSealer ? 'sealer' : 'observer',
      height: head,
      deciding: s.height,
      view: s.view,
      phase: s.phase,
      leader: this.sealers.sealers[s.leaderIndex]?.name ?? null,
      leaderIndex: s.leaderIndex,
      lockedHash: s.lockedHash,
      pending: s.pending,
      viewChanges: this.viewChangeCount,
      timerAt: s.timerAt,
    };
  }

  private syncStatus(): Record<string, unknown> {
    const h = this.store.head();
    const peers = [...this.peerStatus.entries()].map(([peerId, s]) => ({ peerId, name: this.nameOfPeer(peerId), height: s.height, headHash: toHex(s.headHash, true) }));
    const highest = Math.max(h?.height ?? 0, ...peers.map((p) => p.height));
    return { syncing: this.syncer.active, height: h?.height ?? 0, headHash: h ? toHex(h.hash, true) : null, highestPeerHeight: highest, peers };
  }

  /** Names of the known peers: genesis sealers, and observers by their order in the config. */
  private nameOfPeer(peerId: string): string | null {
    if (!this.peerNames) {
      this.peerNames = new Map(this.sealers.sealers.map((s) => [peerIdFromPublicKey(s.publicKey), s.name]));
      this.cfg.p2p.observers.forEach((k, i) => this.peerNames!.set(peerIdFromPublicKey(k), `observer-${i + 1}`));
    }
    return this.peerNames.get(peerId) ?? null;
  }

  private peersJson(): Record<string, unknown>[] {
    return this.network.peers().map((p) => {
      const st = this.peerStatus.get(p.peerId);
      const name = this.nameOfPeer(p.peerId);
      const isSealer = this.sealers.sealers.some((s) => s.name === name);
      return { ...p, name, role: isSealer ? 'sealer' : 'observer', height: st?.height ?? null, headHash: st ? toHex(st.headHash, true) : null };
    });
  }

  private observers(): Record<string, unknown>[] {
    const connected = new Set(this.network.connectedPeers());
    return this.cfg.p2p.observers.map((pk, i) => {
      const peerId = peerIdFromPublicKey(pk);
      return { name: `observer-${i + 1}`, publicKey: toHex(pk), peerId, connected: connected.has(peerId) || peerId === this.network.peerId.toString() };
    });
  }

  private healthSnapshot(): HealthSnapshot {
    const heights = [...this.peerStatus.values()].map((p) => p.height);
    return {
      started: this.running && !this.stopping,
      height: this.store.head()?.height ?? 0,
      bestPeerHeight: heights.length ? Math.max(...heights) : null,
      executableTxs: this.pool.stats().pending,
      lastFinalizedAt: this.lastFinalizedAt,
      workSince: this.workSince,
      now: Date.now(),
    };
  }

  /** Rebuilds the explorer aggregates from the recent blocks (bounded: the last 15 days or 2,000 blocks). */
  private async replayIndexers(head: number): Promise<void> {
    const cutoff = Date.now() - 16 * 86_400_000;
    const blocks = [];
    for (let h = head; h >= 1 && blocks.length < 2000; h--) {
      const b = await this.store.getBlockByHeight(h);
      if (!b || b.header.timestamp < cutoff) break;
      blocks.push(b);
    }
    for (const b of blocks.reverse()) {
      const receipts: Receipt[] = [];
      const txs: SignedTx[] = [];
      for (const t of b.txs) {
        const d = decodeTx(t, { chainId: this.genesis.chainId, maxTxBytes: Number.MAX_SAFE_INTEGER });
        if (!d.ok) continue;
        txs.push(d.value);
        const rb = await this.store.getReceipt(d.value.hash);
        const rc = rb ? ReceiptCodec.decode(rb, Number.MAX_SAFE_INTEGER) : null;
        receipts.push(rc && rc.ok ? rc.value : ({ status: 1 } as Receipt));
      }
      this.txStats.add(b.header.timestamp, txs.length, receipts.filter((r) => r.status !== 0).length);
      this.matches.addBlock(b.height, b.header.timestamp, txs, receipts, (id) => this.state.edgeNode(id));
    }
  }

  // ---------------------------------------------------------------- shutdown

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.syncer?.stop();
    void this.syncVerifyPool?.close();
    if (this.network) this.txBatcher.close();
    this.gossipAdmission?.close();
    this.events.close();
    await this.rpc?.stop().catch(() => {});
    await this.network?.stop().catch(() => {});
    await this.queue.catch(() => {});
    await this.store?.close().catch(() => {});
    if (!this.store) await this.db?.close().catch(() => {});
    this.log.node.info('node stopped');
  }
}

/** A synced block decoded ahead of delivery (or why it is unusable). */
type SyncedBlock = { block: DecodedBlock; certificate: CommitCertificate } | { error: EdgeError };

/** One encoded FinalizedBlock: its block decoded (every check of decodeBlock) and its certificate, or why it is unusable. */
function decodeSynced(bytes: Uint8Array, opts: Parameters<typeof decodeBlock>[1]): SyncedBlock {
  const bad = (why: string): SyncedBlock => ({ error: new EdgeError('SYNC_BAD_BLOCK', why) });
  const f = FinalizedBlockCodec.decode(bytes);
  if (!f.ok) return bad(f.error.message);
  const c = decodeCertificate(f.value.certificate);
  if (!c.ok) return bad(c.error.message);
  const b = decodeBlock(plainBytes(f.value.block), opts);
  if (!b.ok) return bad(b.error.message);
  return { block: b.value, certificate: c.value };
}

/** A plain Uint8Array over the same memory (protobufjs decodes bytes fields as Buffers on Node). */
function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
