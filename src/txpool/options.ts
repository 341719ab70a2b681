import { DEFAULT_PARAMS } from '../chain/params.ts';
import { txPoolError } from './errors.ts';

export interface TxPoolOptions {
  /** Only txs of this chain are admitted. */
  chainId: string;
  /** Largest encoded tx accepted (the chain parameter of the same name). */
  maxTxBytes: number;
  /** Cap on the number of txs held (pending + queued). */
  maxCount: number;
  /** Cap on the sum of encoded tx sizes held (pending + queued). */
  maxBytes: number;
  /** Cap on a sender's future (non-executable) txs. */
  maxQueuedPerSender: number;
  /** A future tx's nonce may exceed the sender's next executable nonce by at most this much. */
  maxNonceGap: number;
  /** A queued (future) tx is removed by expireQueued once it has waited this long (ms) for the nonce before it. */
  queuedTtlMs: number;
}

export const DEFAULT_TXPOOL_OPTIONS: Omit<TxPoolOptions, 'chainId'> = {
  maxTxBytes: DEFAULT_PARAMS.maxTxBytes,
  maxCount: 100_000,
  maxBytes: 64 * 1024 * 1024,
  maxQueuedPerSender: 64,
  maxNonceGap: 64,
  queuedTtlMs: 10 * 60_000,
};

/** What a caller passes: the chain id, and any option it wants to override. */
export type TxPoolInit = Partial<TxPoolOptions> & { chainId: string };

/** Fills in defaults and checks the options; throws TXPOOL_BAD_OPTIONS on a configuration error. */
export function resolveTxPoolOptions(init: TxPoolInit): TxPoolOptions {
  const o: TxPoolOptions = { ...DEFAULT_TXPOOL_OPTIONS, ...stripUndefined(init) } as TxPoolOptions;
  if (typeof o.chainId !== 'string' || o.chainId === '') throw txPoolError('TXPOOL_BAD_OPTIONS', 'chainId must be a non-empty string');
  for (const k of ['maxTxBytes', 'maxCount', 'maxBytes', 'queuedTtlMs'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw txPoolError('TXPOOL_BAD_OPTIONS', `${k} must be a positive integer`, { [k]: o[k] });
  }
  for (const k of ['maxQueuedPerSender', 'maxNonceGap'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 0) throw txPoolError('TXPOOL_BAD_OPTIONS', `${k} must be a non-negative integer`, { [k]: o[k] });
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
