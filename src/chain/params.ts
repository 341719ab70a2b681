import type { ChainParams } from '../codec/types.ts';

/** Defaults of the chain parameters a genesis may override (documented in docs/CHAIN.md). */
export const DEFAULT_PARAMS: ChainParams = {
  maxBlockTxs: 5000,
  // A proposal carries its block over gossipsub, whose frames are capped at 4 MiB (docs/P2P.md).
  maxBlockBytes: 3 * 1024 * 1024,
  maxTxBytes: 4 * 1024,
  viewTimeoutMs: 2000,
  maxViewTimeoutMs: 60_000,
  timestampToleranceMs: 5000,
  minBlockIntervalMs: 0,
  // paid leases and payment channels (docs/PAYMENTS.md)
  paymentsFromHeight: 0,
  settleWindowS: 3600,
  maxLeasesPerDevice: 16,
  maxLeaseDurationS: 30 * 24 * 3600,
  // registration against DDoS (docs/GOVERNANCE.md): 0 = registration costs nothing (the demo genesis sets one)
  registrationDeposit: 0,
};

/** Field bounds every transaction must meet (defined with the kinds that use them). */
export { TX_BOUNDS } from '../kinds/fields.ts';
