import { EdgeError } from '../util/errors.ts';
import type { ChainErrorCode } from '../chain/errors.ts';

/** Every reason the pool itself refuses a transaction (decode and signature refusals keep their chain codes). */
export const TxPoolErrorCode = {
  /** A tx with the same hash is already in the pool. */
  TXPOOL_DUPLICATE: 'TXPOOL_DUPLICATE',
  /** The nonce is below the next nonce the committed state expects from the sender. */
  TXPOOL_NONCE_TOO_LOW: 'TXPOOL_NONCE_TOO_LOW',
  /** Another tx of the same sender with the same nonce is in the pool (no replacement in this version). */
  TXPOOL_NONCE_TAKEN: 'TXPOOL_NONCE_TAKEN',
  /** The nonce is too far above the sender's next executable nonce (maxNonceGap). */
  TXPOOL_NONCE_GAP: 'TXPOOL_NONCE_GAP',
  /** The sender already has maxQueuedPerSender future (non-executable) txs. */
  TXPOOL_SENDER_QUEUE_FULL: 'TXPOOL_SENDER_QUEUE_FULL',
  /** The pool is at maxCount or maxBytes and nothing may be evicted for this tx. */
  TXPOOL_FULL: 'TXPOOL_FULL',
  /** Invalid pool options (configuration error, thrown by the constructor). */
  TXPOOL_BAD_OPTIONS: 'TXPOOL_BAD_OPTIONS',
} as const;
export type TxPoolErrorCode = (typeof TxPoolErrorCode)[keyof typeof TxPoolErrorCode];

export class TxPoolError extends EdgeError<TxPoolErrorCode> {}

/**
 * A pool refusal. Refusals are expected outcomes (a duplicate from gossip, a nonce already
 * taken), not faults: they carry no stack trace, whose capture cost more than the rest of a
 * duplicate's refusal (docs/PERFORMANCE.md, round 3). A configuration error keeps its stack.
 */
export function txPoolError(code: TxPoolErrorCode, message: string, data: Record<string, unknown> = {}): TxPoolError {
  if (code === 'TXPOOL_BAD_OPTIONS') return new TxPoolError(code, message, data);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new TxPoolError(code, message, data);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * What `TxPool.add` may refuse with: a pool code, or the chain code of a decode/signature
 * failure (TX_MALFORMED, TX_TOO_LARGE, TX_WRONG_CHAIN, TX_BAD_PUBLIC_KEY, TX_INVALID_FIELD, TX_BAD_SIGNATURE).
 */
export type AddTxError = EdgeError<TxPoolErrorCode | ChainErrorCode>;
