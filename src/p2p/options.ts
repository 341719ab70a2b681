import { P2P_LIMITS } from '../codec/p2p.ts';
import { P2PError } from './errors.ts';

/** Options of the p2p network and their defaults (docs/P2P.md). */

export interface P2POptions {
  /** 32-byte Ed25519 seed: the node's consensus key is also its libp2p identity. */
  secretKey: Uint8Array;
  /** Multiaddrs to listen on, e.g. '/ip4/0.0.0.0/tcp/30303' (port 0 = ephemeral). */
  listen: string[];
  /** Static peers dialled at start and redialled when lost; each ends in /p2p/<peer id>. */
  bootstrap: string[];
  /** Chain id: part of every topic and protocol id. */
  chainId: string;
  /** 32-byte Ed25519 public keys admitted by the connection gater (sealers + observers). */
  allowedPublicKeys: Uint8Array[];

  /** Largest gossiped transaction message (bytes), checked before the handler. */
  maxTxBytes?: number;
  /** Largest gossiped consensus message (bytes), checked before the handler. */
  maxConsensusBytes?: number;
  /** Most blocks one blocks request may ask for; larger requests are refused. */
  maxBlocksPerRequest?: number;
  /** Byte budget of one blocks response; the server sends a shorter prefix rather than exceed it. */
  maxBlocksResponseBytes?: number;
  /** Byte budget of one txs (compact-proposal fetch) response; the server sends fewer txs rather than exceed it. */
  maxTxsResponseBytes?: number;
  /** Default timeout of an outgoing request when the caller gives no signal (ms). */
  requestTimeoutMs?: number;
  /** Time the server gives a peer to send its request, and itself to answer (ms). */
  serverTimeoutMs?: number;
  /** Concurrent inbound streams per connection and request protocol. */
  maxInboundRequestStreams?: number;
  /** First redial delay after a static peer is lost (ms); doubles per failure. */
  redialBaseMs?: number;
  /** Cap of the redial delay (ms). */
  redialMaxMs?: number;
  /** Gossipsub heartbeat (ms): mesh maintenance and gossip emission. */
  heartbeatMs?: number;
  /** Timeout of one outbound dial (ms). */
  dialTimeoutMs?: number;
  /**
   * A consensus message whose content (the bytes after the publish nonce) was accepted less
   * than this many ms ago is ignored: not delivered again and not forwarded, so a replay by a
   * peer goes no further than one hop. 0 turns it off.
   */
  consensusReplayWindowMs?: number;
}

export type ResolvedP2POptions = Required<P2POptions>;

/**
 * Hard ceiling of one gossip message: @libp2p/gossipsub 17 frames every outgoing RPC with
 * it-length-prefixed's 4 MiB limit (not configurable) and silently drops larger RPCs, so a
 * message plus its RPC envelope (signature, key, topic, piggybacked control) must stay below
 * 4 MiB. 64 KiB is left for the envelope.
 */
export const GOSSIP_MAX_MESSAGE_BYTES = 4 * 1024 * 1024 - 64 * 1024;

export const P2P_DEFAULTS = {
  maxTxBytes: 64 * 1024,
  // A proposal carries a whole block: chains must keep maxBlockBytes (plus certificate and
  // envelope) below this, or move blocks off gossip.
  maxConsensusBytes: GOSSIP_MAX_MESSAGE_BYTES,
  maxBlocksPerRequest: 128,
  maxBlocksResponseBytes: 16 * 1024 * 1024,
  maxTxsResponseBytes: 4 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  serverTimeoutMs: 10_000,
  maxInboundRequestStreams: 4,
  redialBaseMs: 500,
  redialMaxMs: 30_000,
  heartbeatMs: 700,
  dialTimeoutMs: 5_000,
  consensusReplayWindowMs: 2_000,
} as const;

export function resolveOptions(opts: P2POptions): ResolvedP2POptions {
  const out: ResolvedP2POptions = { ...P2P_DEFAULTS, ...stripUndefined(opts) } as ResolvedP2POptions;
  for (const k of ['maxTxBytes', 'maxConsensusBytes'] as const) {
    if (!Number.isSafeInteger(out[k]) || out[k] < 1 || out[k] > GOSSIP_MAX_MESSAGE_BYTES) {
      throw new P2PError('P2P_BAD_OPTIONS', `${k} must be 1..${GOSSIP_MAX_MESSAGE_BYTES} (gossipsub frames RPCs at 4 MiB)`, { [k]: out[k] });
    }
  }
  for (const k of ['maxBlocksPerRequest', 'maxBlocksResponseBytes', 'maxTxsResponseBytes', 'requestTimeoutMs', 'serverTimeoutMs', 'maxInboundRequestStreams', 'redialBaseMs', 'redialMaxMs', 'heartbeatMs', 'dialTimeoutMs'] as const) {
    if (!Number.isSafeInteger(out[k]) || out[k] < 1) throw new P2PError('P2P_BAD_OPTIONS', `${k} must be a positive integer`, { [k]: out[k] });
  }
  if (!Number.isSafeInteger(out.consensusReplayWindowMs) || out.consensusReplayWindowMs < 0) {
    throw new P2PError('P2P_BAD_OPTIONS', 'consensusReplayWindowMs must be a non-negative integer', { consensusReplayWindowMs: out.consensusReplayWindowMs });
  }
  if (out.maxBlocksResponseBytes > P2P_LIMITS.blocksResponse - 1024) {
    throw new P2PError('P2P_BAD_OPTIONS', `maxBlocksResponseBytes must be at most ${P2P_LIMITS.blocksResponse - 1024}`);
  }
  if (out.maxTxsResponseBytes > P2P_LIMITS.txsResponse - 1024) {
    throw new P2PError('P2P_BAD_OPTIONS', `maxTxsResponseBytes must be at most ${P2P_LIMITS.txsResponse - 1024}`);
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
