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
};

/** Field bounds every transaction must meet before it reaches the state machine. */
export const TX_BOUNDS = {
  deviceInfoMaxBytes: 256,
  nodeIdMaxBytes: 64,
  serviceTypesMax: 16,
  serviceTypeMaxBytes: 32,
  capacityMax: 1_000_000,
  latMax: 90_000_000,
  lonMax: 180_000_000,
} as const;
