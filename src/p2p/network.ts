import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { gossipsub, TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub';
import { createTopicScoreParams } from '@libp2p/gossipsub/score';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import {
  StatusRequestCodec, StatusResponseCodec, BlocksRequestCodec, BlocksResponseCodec, TxsRequestCodec, TxsResponseCodec, P2P_LIMITS,
  type StatusResponse,
} from '../codec/p2p.ts';
import { toHex, utf8, fromUtf8, concatBytes, equalBytes } from '../util/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import { randomBytes } from 'node:crypto';
import { P2PError } from './errors.ts';
import { resolveOptions, type P2POptions, type ResolvedP2POptions } from './options.ts';
import { AllowList, libp2pKeyFromSeed, publicKeyOfPeer } from './identity.ts';
import { allowListGater } from './gater.ts';
import { Redialer } from './redial.ts';
import { withCoalescedWrites } from './coalesce.ts';
import { withQuietFrameDecoder } from './quiet-decoder.ts';
import { chainProtocols, ResultCode, resultName, type ChainProtocols } from './protocols.ts';
import { newCounters, snapshotCounters, type GossipKind, type P2PCounters, type RejectReason, type RequestKind } from './counters.ts';

/** Result of a gossip handler; feeds gossipsub validation (forwarding and peer scoring). */
export type Verdict = 'accept' | 'ignore' | 'reject';

export interface GossipMeta {
  /** Peer id of the neighbour that passed the message to us (authenticated by Noise, admitted by the gater). */
  viaPeerId: string;
  /** That neighbour's 32-byte Ed25519 public key. */
  viaPublicKey: Uint8Array;
}

/**
 * Called once per new gossip message, after the size and peer checks, before the message is
 * forwarded. Gossip messages carry no libp2p author signature (`StrictNoSign`): what matters
 * is signed inside the payload (every tx, every consensus message), and a message is
 * attributed, for scoring, to the neighbour that delivered it. Should answer quickly
 * (gossipsub waits for it before forwarding); a throw counts as reject.
 */
export type GossipHandler = (data: Uint8Array, meta: GossipMeta) => Verdict | Promise<Verdict>;

/** A node's view of its chain, exchanged by the status protocol. Hashes are 32 bytes. */
export interface PeerStatus {
  height: number;
  headHash: Uint8Array;
  genesisHash: Uint8Array;
}

export type StatusProvider = () => PeerStatus | Promise<PeerStatus>;
/** Encoded FinalizedBlocks from..from+count-1 (fewer if the node has fewer). */
/**
 * Encoded blocks from `fromHeight`, at most `count`; `maxBytes` is the response budget (each
 * block counted with PER_BLOCK_OVERHEAD_BYTES more): a provider stops reading once the next
 * block would not fit (ChainStore.getFinalizedRange), so a request never loads more than that.
 */
export type BlocksProvider = (fromHeight: number, count: number, maxBytes: number) => Promise<Uint8Array[]>;
/**
 * The encoded txs among `ids` (32-byte hashes) this node holds, at most `maxBytes` in all (each
 * counted with PER_BLOCK_OVERHEAD_BYTES more): the compact-proposal fetch (docs/P2P.md).
 */
export type TxsProvider = (ids: Uint8Array[], maxBytes: number) => Uint8Array[] | Promise<Uint8Array[]>;

/** Minimal logger shape; a pino child logger fits. */
export interface P2PLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface P2PModules {
  logger?: P2PLogger | null;
  onTx?: GossipHandler;
  onConsensus?: GossipHandler;
  statusProvider?: StatusProvider;
  blocksProvider?: BlocksProvider;
  txsProvider?: TxsProvider;
  /** The status a peer sent with its status request (lets sync learn who is ahead). */
  onPeerStatus?: (peerId: string, status: PeerStatus) => void;
  onPeerConnected?: (peerId: string, publicKey: Uint8Array) => void;
  onPeerDisconnected?: (peerId: string, publicKey: Uint8Array) => void;
}

export interface PeerInfo {
  peerId: string;
  /** Hex of the peer's 32-byte Ed25519 public key (no 0x). */
  publicKey: string;
  addrs: string[];
  connected: boolean;
  /** Configured as a static (bootstrap) peer. */
  static: boolean;
}

export interface RequestOptions {
  /** Aborts the request; without one, the `requestTimeoutMs` option applies. */
  signal?: AbortSignal;
}

type Services = { identify: Identify; pubsub: GossipSub };

/** Room for the gossipsub RPC envelope (topic, piggybacked control) around one message. */
const RPC_OVERHEAD = 64 * 1024;
/** Room for the length varints and field tags around the blocks of one response. */
/** Framing bytes per block in a BlocksResponse, counted against the byte budget. */
export const PER_BLOCK_OVERHEAD_BYTES = 8;
const PER_BLOCK_OVERHEAD = PER_BLOCK_OVERHEAD_BYTES;
const ZERO_HASH = new Uint8Array(32);
/** Length of the publish nonce in front of every gossip message (see nextPublishNonce). */
const PUBLISH_NONCE_BYTES = 8;

/**
 * The networking layer: libp2p (TCP + Noise + Yamux, identify, gossipsub), a gater that
 * admits only the chain's known keys, two gossip topics (transactions, consensus), the
 * status and blocks request/response protocols, and static peers kept connected with
 * capped exponential backoff. It moves bytes only: validation is up to the handlers.
 */
export class P2PNetwork {
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  readonly protocols: ChainProtocols;
  private readonly node: Libp2p<Services>;
  private readonly opts: ResolvedP2POptions;
  private readonly allow: AllowList;
  private readonly modules: P2PModules;
  private readonly log: P2PLogger | null;
  private readonly counters: P2PCounters;
  private readonly redialer: Redialer;
  /** Counter behind nextPublishNonce; starts at a random value so a restarted node does not repeat ids. */
  private publishNonce = randomBytes(8).readBigUInt64BE(0);
  /** Consensus contents accepted within the replay window: SHA-256 hex -> ms accepted (oldest first). */
  private readonly recentContent = new Map<string, number>();
  private readonly stopController = new AbortController();
  private state: 'created' | 'started' | 'stopped' = 'created';

  private constructor(args: {
    node: Libp2p<Services>;
    opts: ResolvedP2POptions;
    allow: AllowList;
    modules: P2PModules;
    counters: P2PCounters;
    publicKey: Uint8Array;
    protocols: ChainProtocols;
  }) {
    this.node = args.node;
    this.opts = args.opts;
    this.allow = args.allow;
    this.modules = { ...args.modules };
    this.log = args.modules.logger ?? null;
    this.counters = args.counters;
    this.publicKey = args.publicKey;
    this.protocols = args.protocols;
    this.peerId = this.node.peerId.toString();
    const statics: { peerId: string; addr: Multiaddr }[] = [];
    for (const s of this.opts.bootstrap) {
      const addr = multiaddr(s);
      const peerId = addr.getComponents().find((c) => c.name === 'p2p')?.value;
      if (peerId === undefined) throw new P2PError('P2P_BAD_OPTIONS', 'bootstrap address must end in /p2p/<peer id>', { addr: s });
      if (peerId === this.peerId) continue; // a shared peer list may include this node
      if (!this.allow.has(peerId)) throw new P2PError('P2P_BAD_OPTIONS', 'bootstrap peer is not in the allowed keys', { addr: s });
      statics.push({ peerId, addr });
    }
    this.redialer = new Redialer(
      {
        dial: (addr, signal) => this.node.dial(addr, { signal }),
        isConnected: (id) => this.node.getConnections(peerIdFromString(id)).length > 0,
        onDial: () => {
          this.counters.dials++;
        },
        onDialFailure: (peerId, error, nextDelayMs) => {
          this.counters.dialFailures++;
          this.log?.debug({ peerId, err: errMsg(error), nextDelayMs }, 'dial failed');
        },
        dialTimeoutMs: this.opts.dialTimeoutMs,
        baseMs: this.opts.redialBaseMs,
        maxMs: this.opts.redialMaxMs,
        stableMs: Math.max(this.opts.redialMaxMs, 5_000),
      },
      statics,
    );
  }

  /** Builds the libp2p node and starts it: listening, handlers registered, static peers dialled. */
  static async create(opts: P2POptions, modules: P2PModules = {}): Promise<P2PNetwork> {
    const o = resolveOptions(opts);
    if (!Array.isArray(o.listen) || !Array.isArray(o.bootstrap) || !Array.isArray(o.allowedPublicKeys)) {
      throw new P2PError('P2P_BAD_OPTIONS', 'listen, bootstrap and allowedPublicKeys must be arrays');
    }
    const protocols = chainProtocols(o.chainId);
    const privateKey = await libp2pKeyFromSeed(o.secretKey);
    const allow = new AllowList(o.allowedPublicKeys);
    const counters = newCounters();
    const log = modules.logger ?? null;
    const gater = allowListGater(allow, (peer, hook) => {
      counters.gaterDenied++;
      log?.warn({ peerId: peer, hook }, 'connection refused: unknown peer');
    });

    // Only the invalid-message counter (P4) scores peers: a consortium chain is quiet at
    // times, so delivery-rate penalties (P3) would punish honest idle peers.
    const topicScore = createTopicScoreParams({
      topicWeight: 1,
      timeInMeshWeight: 0,
      firstMessageDeliveriesWeight: 0,
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      invalidMessageDeliveriesWeight: -5,
      invalidMessageDeliveriesDecay: 0.5,
    });

    const node = await createLibp2p<Services>({
      privateKey,
      start: false,
      addresses: { listen: o.listen },
      transports: [withCoalescedWrites(tcp())],
      connectionEncrypters: [withQuietFrameDecoder(noise())],
      streamMuxers: [yamux()],
      connectionGater: gater,
      connectionManager: {
        dialTimeout: o.dialTimeoutMs,
        // Static peers are redialled by this layer (redial.ts), not by libp2p.
        reconnectRetries: 0,
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          // Small consortium networks (4–20 nodes): a mesh of 4 (2..8) per topic, and a
          // node's own messages flood to every subscribed peer, so with 2–4 peers each
          // message goes straight to all of them without waiting for the mesh.
          D: 4,
          Dlo: 2,
          Dhi: 8,
          Dout: 1,
          Dscore: 2,
          Dlazy: 4,
          heartbeatInterval: o.heartbeatMs,
          floodPublish: true,
          // Consensus keeps working on its own timers: a publish with no peer yet is not an error.
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          fallbackToFloodsub: false,
          doPX: false,
          emitSelf: false,
          // No libp2p envelope signature: txs and consensus messages are signed inside, and
          // signing + verifying every gossip message again cost ~6 % of a loaded sealer's CPU
          // (docs/PERFORMANCE.md). A message's id is the SHA-256 of its bytes, so the copies a
          // node receives in a full mesh are dropped by the seen-cache before validation.
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => sha256(m.data),
          allowedTopics: [protocols.txTopic, protocols.consensusTopic],
          maxInboundDataLength: Math.max(o.maxConsensusBytes, o.maxTxBytes) + RPC_OVERHEAD,
          scoreParams: {
            IPColocationFactorWeight: 0, // peers are gated by key; several may share a host
            topics: { [protocols.txTopic]: topicScore, [protocols.consensusTopic]: topicScore },
          },
        }),
      },
    });
    const net = new P2PNetwork({
      node,
      opts: o,
      allow,
      modules,
      counters,
      publicKey: privateKey.publicKey.raw,
      protocols,
    });
    try {
      await net.start();
    } catch (e) {
      await net.stop().catch(() => {});
      throw e;
    }
    return net;
  }

  private async start(): Promise<void> {
    const node = this.node;
    node.addEventListener('peer:connect', (evt) => {
      const id = evt.detail.toString();
      this.counters.peerConnects++;
      this.redialer.onConnected(id);
      const pk = publicKeyOfPeer(evt.detail);
      this.log?.info({ peerId: id }, 'peer connected');
      if (pk) safeCall(() => this.modules.onPeerConnected?.(id, pk), this.log);
    });
    node.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString();
      this.counters.peerDisconnects++;
      this.log?.info({ peerId: id }, 'peer disconnected');
      if (this.state === 'started') this.redialer.onDisconnected(id);
      const pk = publicKeyOfPeer(evt.detail);
      if (pk) safeCall(() => this.modules.onPeerDisconnected?.(id, pk), this.log);
    });

    const pubsub = node.services.pubsub;
    pubsub.topicValidators.set(this.protocols.txTopic, (peer, msg) => this.validate('tx', peer, msg));
    pubsub.topicValidators.set(this.protocols.consensusTopic, (peer, msg) => this.validate('consensus', peer, msg));

    const handlerOpts = { maxInboundStreams: this.opts.maxInboundRequestStreams, maxOutboundStreams: this.opts.maxInboundRequestStreams * 4 };
    await node.handle(this.protocols.status, (stream, conn) => this.serveStatus(stream, conn), handlerOpts);
    await node.handle(this.protocols.blocks, (stream, conn) => this.serveBlocks(stream, conn), handlerOpts);
    await node.handle(this.protocols.txs, (stream, conn) => this.serveTxs(stream, conn), handlerOpts);

    await node.start();
    pubsub.subscribe(this.protocols.txTopic);
    pubsub.subscribe(this.protocols.consensusTopic);
    this.state = 'started';
    this.redialer.start();
    this.log?.info({ peerId: this.peerId, addrs: this.listenAddrs(), statics: this.redialer.list().length }, 'p2p started');
  }

  /**
   * Replaces the admitted keys (the on-chain members changed, docs/GOVERNANCE.md): a newly
   * admitted peer may connect at once; the connections of a peer no longer admitted are closed
   * now, and the gater refuses it from then on. This node's own key stays admitted.
   */
  async setAllowedPublicKeys(publicKeys: Uint8Array[]): Promise<{ removed: string[]; added: string[] }> {
    const keys = publicKeys.some((k) => equalBytes(k, this.publicKey)) ? publicKeys : [...publicKeys, this.publicKey];
    const change = this.allow.replace(keys);
    if (change.removed.length || change.added.length) this.log?.info({ removed: change.removed, added: change.added }, 'admitted peers changed');
    if (this.state !== 'started') return change;
    for (const id of change.removed) {
      try {
        await this.node.hangUp(peerIdFromString(id));
      } catch (e) {
        this.log?.debug({ peerId: id, err: errMsg(e) }, 'hang-up of a removed peer failed');
      }
    }
    return change;
  }

  /** How many keys are admitted now. */
  get allowedCount(): number {
    return this.allow.size;
  }

  /** Whether a peer id is admitted now. */
  isAllowed(peerId: string): boolean {
    return this.allow.has(peerId);
  }

  /** Stops redialling, aborts requests in flight, closes every connection and listener. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.redialer.stop();
    this.stopController.abort(new P2PError('P2P_NOT_STARTED', 'p2p network stopped'));
    await this.node.stop();
    this.log?.info({ peerId: this.peerId }, 'p2p stopped');
  }

  get started(): boolean {
    return this.state === 'started';
  }

  /** The underlying libp2p node: for diagnostics and tests, not for the node's logic. */
  get libp2p(): Libp2p<Services> {
    return this.node;
  }

  // ------------------------------------------------------------------ handlers

  onTx(handler: GossipHandler): void {
    this.modules.onTx = handler;
  }

  onConsensus(handler: GossipHandler): void {
    this.modules.onConsensus = handler;
  }

  setStatusProvider(provider: StatusProvider): void {
    this.modules.statusProvider = provider;
  }

  setBlocksProvider(provider: BlocksProvider): void {
    this.modules.blocksProvider = provider;
  }

  setTxsProvider(provider: TxsProvider): void {
    this.modules.txsProvider = provider;
  }

  // ------------------------------------------------------------------ gossip

  /** Publishes a transaction; resolves to the number of peers it was sent to. */
  publishTx(data: Uint8Array): Promise<number> {
    return this.publish('tx', data);
  }

  /** Publishes a consensus message; resolves to the number of peers it was sent to. */
  publishConsensus(data: Uint8Array): Promise<number> {
    return this.publish('consensus', data);
  }

  /** Connected peers subscribed to a topic (a node is ready to gossip when this is > 0). */
  topicPeers(kind: GossipKind): string[] {
    if (this.state !== 'started') return [];
    return this.node.services.pubsub.getSubscribers(this.topic(kind)).map((p) => p.toString()).sort();
  }

  private topic(kind: GossipKind): string {
    return kind === 'tx' ? this.protocols.txTopic : this.protocols.consensusTopic;
  }

  private limit(kind: GossipKind): number {
    return kind === 'tx' ? this.opts.maxTxBytes : this.opts.maxConsensusBytes;
  }

  private async publish(kind: GossipKind, data: Uint8Array): Promise<number> {
    if (this.state !== 'started') throw new P2PError('P2P_NOT_STARTED', 'p2p network is not running');
    if (!(data instanceof Uint8Array)) throw new P2PError('P2P_PUBLISH_FAILED', 'data must be bytes');
    if (data.length > this.limit(kind)) {
      throw new P2PError('P2P_MESSAGE_TOO_LARGE', `${kind} message of ${data.length} bytes > ${this.limit(kind)}`, { kind, size: data.length });
    }
    try {
      const r = await this.node.services.pubsub.publish(this.topic(kind), concatBytes(this.nextPublishNonce(), data));
      this.counters.messagesOut[kind]++;
      return r.recipients.length;
    } catch (e) {
      throw new P2PError('P2P_PUBLISH_FAILED', errMsg(e), { kind });
    }
  }

  /**
   * The 8 bytes every published message starts with: a counter from a random start. Message
   * ids are content hashes (StrictNoSign), so without it a message published again with the
   * same bytes (a consensus message re-sent on a timer: Ed25519 signatures are
   * deterministic) would be a duplicate of the first, in our own seen-cache (gossipsub
   * silently drops the publish) and in every peer's, for the cache's lifetime — a sealer
   * restarted during a view change would never get the VIEW-CHANGEs it needs.
   */
  private nextPublishNonce(): Uint8Array {
    this.publishNonce = (this.publishNonce + 1n) & 0xffff_ffff_ffff_ffffn;
    const b = new Uint8Array(PUBLISH_NONCE_BYTES);
    new DataView(b.buffer).setBigUint64(0, this.publishNonce);
    return b;
  }

  /** Remembers an accepted consensus content; entries older than the window (or past 65,536) go first. */
  private rememberContent(id: string, window: number): void {
    const now = Date.now();
    this.recentContent.delete(id);
    this.recentContent.set(id, now);
    for (const [k, at] of this.recentContent) {
      if (now - at < window && this.recentContent.size <= 65_536) break;
      this.recentContent.delete(k);
    }
  }

  /** gossipsub topic validator: envelope policy, size, the delivering peer, then the handler's verdict. */
  private async validate(kind: GossipKind, via: PeerId, msg: Message): Promise<TopicValidatorResult> {
    this.counters.messagesIn[kind]++;
    const reject = (reason: RejectReason, data: Record<string, unknown> = {}): TopicValidatorResult => {
      this.counters.rejected[reason]++;
      this.log?.debug({ kind, reason, via: via.toString(), ...data }, 'gossip message rejected');
      return TopicValidatorResult.Reject;
    };
    if (msg.type !== 'unsigned') return reject('signed');
    if (msg.data.length < PUBLISH_NONCE_BYTES) return reject('no_nonce', { size: msg.data.length });
    if (msg.data.length - PUBLISH_NONCE_BYTES > this.limit(kind)) return reject('too_large', { size: msg.data.length - PUBLISH_NONCE_BYTES });
    const viaKey = this.allow.publicKey(via);
    if (viaKey === undefined) return reject('unknown_peer');
    const handler = kind === 'tx' ? this.modules.onTx : this.modules.onConsensus;
    if (!handler) {
      this.counters.messagesIgnored[kind]++;
      return TopicValidatorResult.Ignore;
    }
    const payload = msg.data.subarray(PUBLISH_NONCE_BYTES);
    // De-duplication by content: ids include the publish nonce, so a peer replaying a
    // consensus message under a new nonce would otherwise have it forwarded by everyone.
    const window = kind === 'consensus' ? this.opts.consensusReplayWindowMs : 0;
    const contentId = window > 0 ? toHex(sha256(payload)) : '';
    if (window > 0) {
      const at = this.recentContent.get(contentId);
      if (at !== undefined && Date.now() - at < window) {
        this.counters.messagesReplayed[kind]++;
        return TopicValidatorResult.Ignore;
      }
    }
    let verdict: Verdict;
    try {
      verdict = await handler(payload, { viaPeerId: via.toString(), viaPublicKey: viaKey });
    } catch (e) {
      return reject('handler_error', { err: errMsg(e) });
    }
    if (verdict === 'accept') {
      this.counters.messagesAccepted[kind]++;
      if (window > 0) this.rememberContent(contentId, window);
      return TopicValidatorResult.Accept;
    }
    if (verdict === 'ignore') {
      this.counters.messagesIgnored[kind]++;
      return TopicValidatorResult.Ignore;
    }
    return reject('handler_reject');
  }

  // ------------------------------------------------------------------ request / response

  /** Asks a peer for its status (sending ours). Throws P2PError on failure or timeout. */
  async requestStatus(peerId: string, options: RequestOptions = {}): Promise<PeerStatus> {
    const own = await this.ownStatus();
    const req = StatusRequestCodec.encode({ height: own.height, headHash: own.headHash, genesisHash: own.genesisHash });
    const payload = await this.request('status', peerId, this.protocols.status, req, P2P_LIMITS.statusResponse + 1, options);
    const r = StatusResponseCodec.decode(payload);
    if (!r.ok) {
      this.counters.requestsSentFailed.status++;
      throw new P2PError('P2P_BAD_RESPONSE', r.error.message, { peerId });
    }
    this.counters.requestsSent.status++;
    return toStatus(r.value);
  }

  /**
   * Asks a peer for up to `count` encoded FinalizedBlocks from `fromHeight` on. The answer
   * may hold fewer (the peer has fewer, or its byte budget was reached); continue from the
   * last height received. Throws P2PError on failure or timeout.
   */
  async requestBlocks(peerId: string, fromHeight: number, count: number, options: RequestOptions = {}): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(fromHeight) || fromHeight < 0) throw new P2PError('P2P_BAD_REQUEST', 'fromHeight must be a non-negative integer');
    if (!Number.isSafeInteger(count) || count < 1 || count > this.opts.maxBlocksPerRequest) {
      throw new P2PError('P2P_BAD_REQUEST', `count must be 1..${this.opts.maxBlocksPerRequest}`, { count });
    }
    const req = BlocksRequestCodec.encode({ fromHeight, count });
    const maxResponse = Math.min(P2P_LIMITS.blocksResponse, this.opts.maxBlocksResponseBytes + 1024);
    const payload = await this.request('blocks', peerId, this.protocols.blocks, req, maxResponse + 1, options);
    const r = BlocksResponseCodec.decode(payload, maxResponse);
    if (!r.ok || r.value.blocks.length > count) {
      this.counters.requestsSentFailed.blocks++;
      throw new P2PError('P2P_BAD_RESPONSE', r.ok ? `${r.value.blocks.length} blocks > ${count} asked` : r.error.message, { peerId });
    }
    this.counters.requestsSent.blocks++;
    return r.value.blocks.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }

  /**
   * Asks a peer for the encoded txs among `ids` (1..P2P_LIMITS.txsRequestIds 32-byte hashes) it
   * holds. The answer is only bounded here (at most as many txs as ids, at most
   * `maxTxsResponseBytes`): which of them are the txs asked for is the caller's check
   * (ledger/compact.ts keeps a tx only if its hash is one it lacks). Throws P2PError on failure,
   * timeout or an answer over those bounds.
   */
  async requestTxs(peerId: string, ids: Uint8Array[], options: RequestOptions = {}): Promise<Uint8Array[]> {
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > P2P_LIMITS.txsRequestIds || !ids.every((id) => id instanceof Uint8Array && id.length === 32)) {
      throw new P2PError('P2P_BAD_REQUEST', `ids must be 1..${P2P_LIMITS.txsRequestIds} hashes of 32 bytes`, { count: Array.isArray(ids) ? ids.length : null });
    }
    const req = TxsRequestCodec.encode({ ids });
    const maxResponse = Math.min(P2P_LIMITS.txsResponse, this.opts.maxTxsResponseBytes + 1024);
    const payload = await this.request('txs', peerId, this.protocols.txs, req, maxResponse + 1, options);
    const r = TxsResponseCodec.decode(payload, maxResponse);
    if (!r.ok || r.value.txs.length > ids.length) {
      this.counters.requestsSentFailed.txs++;
      throw new P2PError('P2P_BAD_RESPONSE', r.ok ? `${r.value.txs.length} txs > ${ids.length} asked` : r.error.message, { peerId });
    }
    this.counters.requestsSent.txs++;
    return r.value.txs.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }

  /** One request frame out, one response frame back; returns the payload after the result byte. */
  private async request(kind: RequestKind, peerId: string, protocol: string, body: Uint8Array, maxFrame: number, options: RequestOptions): Promise<Uint8Array> {
    if (this.state !== 'started') throw new P2PError('P2P_NOT_STARTED', 'p2p network is not running');
    let peer: PeerId;
    try {
      peer = peerIdFromString(peerId);
    } catch {
      throw new P2PError('P2P_UNKNOWN_PEER', 'not a peer id', { peerId });
    }
    if (!this.allow.has(peer)) throw new P2PError('P2P_UNKNOWN_PEER', 'peer is not in the allowed keys', { peerId });
    const callerSignal = options.signal ?? AbortSignal.timeout(this.opts.requestTimeoutMs);
    const signal = AbortSignal.any([callerSignal, this.stopController.signal]);
    let stream: Stream | undefined;
    try {
      stream = await this.node.dialProtocol(peer, protocol, { signal });
      const lp = lpStream(stream, { maxDataLength: maxFrame, maxBufferSize: maxFrame + 16 });
      await lp.write(body, { signal });
      await stream.close({ signal });
      const frame = (await lp.read({ signal })).subarray();
      if (frame.length === 0) throw new P2PError('P2P_BAD_RESPONSE', 'empty response frame', { peerId });
      const code = frame[0];
      if (code !== ResultCode.ok) {
        const reason = fromUtf8(frame.subarray(1)) ?? '';
        throw new P2PError('P2P_REMOTE_ERROR', `${resultName(code)}: ${reason}`.slice(0, 300), { peerId, result: resultName(code), reason: reason.slice(0, 200) });
      }
      return frame.subarray(1);
    } catch (e) {
      this.counters.requestsSentFailed[kind]++;
      stream?.abort(e instanceof Error ? e : new Error(String(e)));
      if (e instanceof P2PError) throw e;
      if (signal.aborted) {
        const timedOut = (callerSignal.reason as Error | undefined)?.name === 'TimeoutError';
        throw new P2PError(timedOut ? 'P2P_REQUEST_TIMEOUT' : 'P2P_REQUEST_FAILED', timedOut ? `${kind} request timed out` : `${kind} request aborted`, { peerId });
      }
      throw new P2PError('P2P_REQUEST_FAILED', errMsg(e), { peerId });
    }
  }

  private async ownStatus(): Promise<PeerStatus> {
    const p = this.modules.statusProvider;
    if (!p) return { height: 0, headHash: ZERO_HASH, genesisHash: ZERO_HASH };
    return p();
  }

  private async serveStatus(stream: Stream, conn: Connection): Promise<void> {
    await this.serve('status', stream, conn, P2P_LIMITS.statusRequest, async (bytes, signal) => {
      const req = StatusRequestCodec.decode(bytes);
      if (!req.ok) return fail(ResultCode.invalidRequest, req.error.message);
      const peerId = conn.remotePeer.toString();
      safeCall(() => this.modules.onPeerStatus?.(peerId, toStatus(req.value)), this.log);
      const provider = this.modules.statusProvider;
      if (!provider) return fail(ResultCode.unavailable, 'no status yet');
      const s = await withSignal(Promise.resolve(provider()), signal);
      return [ResultCode.ok, StatusResponseCodec.encode({ height: s.height, headHash: s.headHash, genesisHash: s.genesisHash })];
    });
  }

  private async serveBlocks(stream: Stream, conn: Connection): Promise<void> {
    await this.serve('blocks', stream, conn, P2P_LIMITS.blocksRequest, async (bytes, signal) => {
      const req = BlocksRequestCodec.decode(bytes);
      if (!req.ok) return fail(ResultCode.invalidRequest, req.error.message);
      const { fromHeight, count } = req.value;
      if (!Number.isSafeInteger(count) || count < 1 || count > this.opts.maxBlocksPerRequest) {
        return fail(ResultCode.invalidRequest, `count must be 1..${this.opts.maxBlocksPerRequest}`);
      }
      const provider = this.modules.blocksProvider;
      if (!provider) return fail(ResultCode.unavailable, 'blocks not served');
      const all = await withSignal(provider(fromHeight, count, this.opts.maxBlocksResponseBytes), signal);
      const blocks: Uint8Array[] = [];
      let size = 0;
      for (const b of all.slice(0, count)) {
        if (!(b instanceof Uint8Array) || b.length === 0) break;
        if (size + b.length + PER_BLOCK_OVERHEAD > this.opts.maxBlocksResponseBytes) break;
        blocks.push(b);
        size += b.length + PER_BLOCK_OVERHEAD;
      }
      if (blocks.length === 0 && all.length > 0) return fail(ResultCode.unavailable, 'block too large for one response');
      return [ResultCode.ok, BlocksResponseCodec.encode({ blocks })];
    });
  }

  private async serveTxs(stream: Stream, conn: Connection): Promise<void> {
    await this.serve('txs', stream, conn, P2P_LIMITS.txsRequest, async (bytes, signal) => {
      const req = TxsRequestCodec.decode(bytes);
      if (!req.ok) return fail(ResultCode.invalidRequest, req.error.message);
      const provider = this.modules.txsProvider;
      if (!provider) return fail(ResultCode.unavailable, 'txs not served');
      const all = await withSignal(Promise.resolve(provider(req.value.ids, this.opts.maxTxsResponseBytes)), signal);
      const txs: Uint8Array[] = [];
      let size = 0;
      for (const t of all.slice(0, req.value.ids.length)) {
        if (!(t instanceof Uint8Array) || t.length === 0) break;
        if (size + t.length + PER_BLOCK_OVERHEAD > this.opts.maxTxsResponseBytes) break;
        txs.push(t);
        size += t.length + PER_BLOCK_OVERHEAD;
      }
      return [ResultCode.ok, TxsResponseCodec.encode({ txs })];
    });
  }

  /**
   * Reads one request frame (bounded), runs `answer` under the server timeout and writes one
   * response frame. A frame over the limit, a stream error or a timeout resets the stream;
   * nothing here throws.
   */
  private async serve(
    kind: RequestKind,
    stream: Stream,
    conn: Connection,
    maxRequest: number,
    answer: (bytes: Uint8Array, signal: AbortSignal) => Promise<[number, Uint8Array]>,
  ): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.serverTimeoutMs), this.stopController.signal]);
    const lp = lpStream(stream, { maxDataLength: maxRequest, maxBufferSize: maxRequest + 16 });
    try {
      const bytes = (await lp.read({ signal })).subarray();
      let code: number;
      let payload: Uint8Array;
      try {
        [code, payload] = await answer(bytes, signal);
      } catch (e) {
        if (signal.aborted) throw e;
        this.log?.warn({ kind, peerId: conn.remotePeer.toString(), err: errMsg(e) }, 'request handler failed');
        [code, payload] = fail(ResultCode.serverError, 'internal error');
      }
      await lp.write(concatBytes(new Uint8Array([code]), payload), { signal });
      await stream.close({ signal });
      if (code === ResultCode.ok) this.counters.requestsServed[kind]++;
      else this.counters.requestsFailed[kind]++;
    } catch (e) {
      this.counters.requestsFailed[kind]++;
      this.log?.debug({ kind, peerId: conn.remotePeer.toString(), err: errMsg(e) }, 'request stream failed');
      stream.abort(e instanceof Error ? e : new Error(String(e)));
    }
  }

  // ------------------------------------------------------------------ peers and counters

  /** Addresses this node listens on, each ending in /p2p/<peer id>. */
  listenAddrs(): string[] {
    return this.node.getMultiaddrs().map((a) => a.toString());
  }

  /** Static peers and connected peers, sorted by peer id (for RPC getPeers). */
  peers(): PeerInfo[] {
    const byId = new Map<string, PeerInfo>();
    for (const s of this.redialer.list()) {
      byId.set(s.peerId, { peerId: s.peerId, publicKey: this.allow.publicKeyHex(s.peerId) ?? '', addrs: [s.addr.toString()], connected: false, static: true });
    }
    if (this.state === 'started') {
      for (const c of this.node.getConnections()) {
        const id = c.remotePeer.toString();
        const pk = publicKeyOfPeer(c.remotePeer);
        const info = byId.get(id) ?? { peerId: id, publicKey: pk ? toHex(pk) : '', addrs: [], connected: false, static: false };
        info.connected = true;
        const addr = c.remoteAddr.toString();
        if (!info.addrs.includes(addr)) info.addrs.push(addr);
        byId.set(id, info);
      }
    }
    return [...byId.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
  }

  /** Peer ids with an open connection, sorted. */
  connectedPeers(): string[] {
    if (this.state !== 'started') return [];
    return [...new Set(this.node.getConnections().map((c) => c.remotePeer.toString()))].sort();
  }

  /** Open connections by direction and open streams by protocol (for metrics). */
  connectionStats(): { inbound: number; outbound: number; streams: Record<string, number> } {
    const out = { inbound: 0, outbound: 0, streams: {} as Record<string, number> };
    if (this.state !== 'started') return out;
    for (const c of this.node.getConnections()) {
      out[c.direction === 'inbound' ? 'inbound' : 'outbound']++;
      for (const st of c.streams) {
        const p = st.protocol ?? 'unnegotiated';
        out.streams[p] = (out.streams[p] ?? 0) + 1;
      }
    }
    return out;
  }

  /** A copy of the counters (docs/P2P.md). */
  getCounters(): P2PCounters {
    return snapshotCounters(this.counters);
  }
}

function fail(code: number, reason: string): [number, Uint8Array] {
  return [code, utf8(reason.slice(0, 200))];
}

function toStatus(s: StatusResponse): PeerStatus {
  return { height: s.height, headHash: new Uint8Array(s.headHash), genesisHash: new Uint8Array(s.genesisHash) };
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function safeCall(fn: () => void, log: P2PLogger | null): void {
  try {
    fn();
  } catch (e) {
    log?.warn({ err: errMsg(e) }, 'p2p callback threw');
  }
}

/** Resolves like `p`, or rejects when `signal` aborts first (without leaking a listener). */
function withSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
