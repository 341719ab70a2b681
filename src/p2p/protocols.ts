import { P2PError } from './errors.ts';

/** Gossip topics and request/response protocol ids of one chain (docs/P2P.md). */
export interface ChainProtocols {
  txTopic: string;
  consensusTopic: string;
  status: string;
  blocks: string;
  txs: string;
}

const CHAIN_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function chainProtocols(chainId: string): ChainProtocols {
  if (!CHAIN_ID_RE.test(chainId)) throw new P2PError('P2P_BAD_OPTIONS', 'chainId must be 1-64 characters of [A-Za-z0-9._-]', { chainId });
  return {
    txTopic: `/edgechain/${chainId}/tx/1`,
    consensusTopic: `/edgechain/${chainId}/consensus/1`,
    status: `/edgechain/${chainId}/status/1`,
    blocks: `/edgechain/${chainId}/blocks/1`,
    txs: `/edgechain/${chainId}/txs/1`,
  };
}

/** First byte of every response frame. */
export const ResultCode = {
  ok: 0,
  invalidRequest: 1,
  serverError: 2,
  unavailable: 3,
} as const;
export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

export function resultName(code: number): string {
  for (const [k, v] of Object.entries(ResultCode)) if (v === code) return k;
  return `unknown(${code})`;
}
