import { equalBytes } from '../util/bytes.ts';
import { P2P_LIMITS } from '../codec/p2p.ts';
import { P2PNetwork, PER_BLOCK_OVERHEAD_BYTES, type PeerStatus } from '../p2p/index.ts';
import { serveBlocks } from '../sync/index.ts';
import type { ChainStore } from '../storage/chain-store.ts';
import type { NodeConfig } from './config.ts';
import type { Identity } from './identity.ts';
import type { Logger } from './logger.ts';

/** What the network hands to the node once it exists (until then gossip is ignored and peer statuses are dropped). */
export interface NetworkHandlers {
  onTx(bytes: Uint8Array): 'accept' | 'ignore' | 'reject' | Promise<'accept' | 'ignore' | 'reject'>;
  onConsensus(bytes: Uint8Array, viaPeerId: string): 'accept' | 'ignore' | 'reject';
  onPeerStatus(peerId: string, s: PeerStatus): void;
  /** The txs among `ids` this node holds, for a peer rebuilding a compact proposal. */
  txs(ids: Uint8Array[], maxBytes: number): Uint8Array[];
}

/**
 * The node's libp2p network: the gater admits the genesis sealers, the configured observers and
 * this node; status and block-range requests are answered from the store (blocks read only up to
 * the response's byte budget); txs of compact proposals from the pool and recent blocks.
 */
export function openNetwork(cfg: NodeConfig, id: Identity, store: ChainStore, logger: Logger, handlers: () => NetworkHandlers | null): Promise<P2PNetwork> {
  const allowed = [...id.sealers.sealers.map((s) => s.publicKey), ...cfg.p2p.observers];
  if (!allowed.some((k) => equalBytes(k, id.key.publicKey))) allowed.push(id.key.publicKey);
  return P2PNetwork.create(
    { secretKey: id.key.secretKey, listen: cfg.p2p.listen, bootstrap: cfg.p2p.bootstrap, chainId: id.genesis.chainId, allowedPublicKeys: allowed, maxTxBytes: P2P_LIMITS.txBatch },
    {
      logger: logger.child({ module: 'p2p' }),
      onTx: (bytes) => handlers()?.onTx(bytes) ?? 'ignore',
      onConsensus: (bytes, info) => handlers()?.onConsensus(bytes, info.viaPeerId) ?? 'ignore',
      statusProvider: () => ({ height: store.head()?.height ?? 0, headHash: store.head()?.hash ?? new Uint8Array(32), genesisHash: id.genesisHash }),
      blocksProvider: (from, count, maxBytes) => serveBlocks(store, from, count, maxBytes, PER_BLOCK_OVERHEAD_BYTES),
      onPeerStatus: (peerId, s) => handlers()?.onPeerStatus(peerId, s),
      txsProvider: (ids, maxBytes) => handlers()?.txs(ids, maxBytes) ?? [],
    },
  );
}
