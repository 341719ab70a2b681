import { EdgeError } from '../util/errors.ts';

/** Every reason the chain layer refuses a transaction, block, certificate or genesis. */
export const ChainErrorCode = {
  TX_MALFORMED: 'TX_MALFORMED',
  TX_TOO_LARGE: 'TX_TOO_LARGE',
  TX_WRONG_CHAIN: 'TX_WRONG_CHAIN',
  TX_BAD_SIGNATURE: 'TX_BAD_SIGNATURE',
  TX_BAD_PUBLIC_KEY: 'TX_BAD_PUBLIC_KEY',
  TX_INVALID_FIELD: 'TX_INVALID_FIELD',
  BLOCK_MALFORMED: 'BLOCK_MALFORMED',
  BLOCK_TOO_LARGE: 'BLOCK_TOO_LARGE',
  BLOCK_TOO_MANY_TXS: 'BLOCK_TOO_MANY_TXS',
  BLOCK_WRONG_CHAIN: 'BLOCK_WRONG_CHAIN',
  BLOCK_BAD_TX_ROOT: 'BLOCK_BAD_TX_ROOT',
  BLOCK_BAD_TX_COUNT: 'BLOCK_BAD_TX_COUNT',
  BLOCK_DUPLICATE_TX: 'BLOCK_DUPLICATE_TX',
  BLOCK_BAD_TX: 'BLOCK_BAD_TX',
  CERT_MALFORMED: 'CERT_MALFORMED',
  CERT_WRONG_BLOCK: 'CERT_WRONG_BLOCK',
  CERT_UNKNOWN_SEALER: 'CERT_UNKNOWN_SEALER',
  CERT_DUPLICATE_SEALER: 'CERT_DUPLICATE_SEALER',
  CERT_BAD_SIGNATURE: 'CERT_BAD_SIGNATURE',
  CERT_NO_QUORUM: 'CERT_NO_QUORUM',
  GENESIS_INVALID: 'GENESIS_INVALID',
} as const;
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode];

export class ChainError extends EdgeError<ChainErrorCode> {}

export function chainError(code: ChainErrorCode, message: string, data: Record<string, unknown> = {}): ChainError {
  return new ChainError(code, message, data);
}
