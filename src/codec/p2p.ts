import { messageCodec } from './codec.ts';

import type { StatusRequest, StatusResponse, BlocksRequest, BlocksResponse, TxBatch, TxsRequest, TxsResponse } from './proto-types.ts';

/** Shapes of proto/p2p.proto (generated, proto-types.ts): request/response protocols of the p2p layer, docs/P2P.md. */
export type { StatusRequest, StatusResponse, BlocksRequest, BlocksResponse, TxBatch, TxsRequest, TxsResponse };

/** Codec ceilings of the p2p messages; the network's options set the working limits below them. */
export const P2P_LIMITS = {
  statusRequest: 256,
  statusResponse: 256,
  blocksRequest: 64,
  /** A blocks response never exceeds this, whatever the options say. */
  blocksResponse: 64 * 1024 * 1024,
  /** A gossiped tx batch (a gossipsub frame is at most 4 MiB). */
  txBatch: 1024 * 1024,
  /** Tx ids in one fetch request (a compact proposal's missing txs; 35 bytes each on the wire). */
  txsRequestIds: 8192,
  txsRequest: 8192 * 35 + 16,
  /** A txs response never exceeds this, whatever the options say. */
  txsResponse: 16 * 1024 * 1024,
} as const;

const HASH_LENGTH = 32;

function checkStatus(s: StatusRequest | StatusResponse): string | null {
  if (!(s.headHash instanceof Uint8Array) || s.headHash.length !== HASH_LENGTH) return 'headHash must be 32 bytes';
  if (!(s.genesisHash instanceof Uint8Array) || s.genesisHash.length !== HASH_LENGTH) return 'genesisHash must be 32 bytes';
  return null;
}

export const StatusRequestCodec = messageCodec<StatusRequest>('StatusRequest', { maxBytes: P2P_LIMITS.statusRequest, check: checkStatus });
export const StatusResponseCodec = messageCodec<StatusResponse>('StatusResponse', { maxBytes: P2P_LIMITS.statusResponse, check: checkStatus });
export const BlocksRequestCodec = messageCodec<BlocksRequest>('BlocksRequest', { maxBytes: P2P_LIMITS.blocksRequest });
export const BlocksResponseCodec = messageCodec<BlocksResponse>('BlocksResponse', {
  maxBytes: P2P_LIMITS.blocksResponse,
  check: (r) => (Array.isArray(r.blocks) && r.blocks.every((b) => b instanceof Uint8Array && b.length > 0) ? null : 'blocks must be non-empty byte strings'),
});

export const TxBatchCodec = messageCodec<TxBatch>('TxBatch', {
  maxBytes: P2P_LIMITS.txBatch,
  check: (b) => (b.txs.length > 0 && b.txs.every((t) => t.length > 0) ? null : 'a batch holds at least one non-empty tx'),
});

export const TxsRequestCodec = messageCodec<TxsRequest>('TxsRequest', {
  maxBytes: P2P_LIMITS.txsRequest,
  check: (r) => {
    if (r.ids.length === 0 || r.ids.length > P2P_LIMITS.txsRequestIds) return `a txs request holds 1..${P2P_LIMITS.txsRequestIds} ids`;
    return r.ids.every((id) => id.length === HASH_LENGTH) ? null : 'tx ids must be 32 bytes';
  },
});

export const TxsResponseCodec = messageCodec<TxsResponse>('TxsResponse', {
  maxBytes: P2P_LIMITS.txsResponse,
  check: (r) => (r.txs.every((t) => t.length > 0) ? null : 'txs must be non-empty byte strings'),
});
