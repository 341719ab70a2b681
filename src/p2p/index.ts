export {
  P2PNetwork, PER_BLOCK_OVERHEAD_BYTES,
  type Verdict, type GossipHandler, type GossipMeta, type PeerStatus, type StatusProvider, type BlocksProvider, type TxsProvider,
  type P2PLogger, type P2PModules, type PeerInfo, type RequestOptions,
} from './network.ts';
export { P2P_DEFAULTS, GOSSIP_MAX_MESSAGE_BYTES, resolveOptions, type P2POptions, type ResolvedP2POptions } from './options.ts';
export { P2PError, type P2PErrorCode } from './errors.ts';
export { peerIdFromPublicKey, peerIdFromSecretKey, libp2pKeyFromSeed, AllowList } from './identity.ts';
export { chainProtocols, ResultCode, type ChainProtocols } from './protocols.ts';
export { Redialer } from './redial.ts';
export type { P2PCounters, GossipKind, RejectReason, RequestKind } from './counters.ts';
