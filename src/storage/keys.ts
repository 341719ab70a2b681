import { concatBytes, u32be, u64be, utf8 } from '../util/bytes.ts';

/**
 * One-byte key prefixes, one per kind of record (docs/STORAGE.md has the table).
 * A prefix is never reused: a retired kind keeps its byte, marked retired here.
 */
export const Prefix = {
  /** 0x01 ‖ utf8(name) → meta value (schema version, genesis hash, head, counters). */
  META: 0x01,
  /** 0x02 ‖ u64be(height) → FinalizedBlock bytes. */
  BLOCK_BY_HEIGHT: 0x02,
  /** 0x03 ‖ block hash → u64be(height). */
  HEIGHT_BY_HASH: 0x03,
  /** 0x04 ‖ tx hash → u64be(height) ‖ u32be(index). */
  TX_LOCATION: 0x04,
  /** 0x05 ‖ tx hash → Receipt bytes. */
  RECEIPT: 0x05,
  /** 0x06 ‖ state key → state value. */
  STATE: 0x06,
  /** 0x07 ‖ u64be(seq) → u64be(height) ‖ record bytes. */
  WAL: 0x07,
  /**
   * 0x08 ‖ sender address(20) ‖ u64be(height) ‖ u32be(index) → u64be(block timestamp) ‖
   * block hash(32) ‖ tx bytes: every finalized tx by its sender, newest last, self-contained so
   * a listing reads one small entry per tx and never a block (schema 2).
   */
  TX_BY_SENDER: 0x08,
  /**
   * 0x09 ‖ state key → the row's final value: rows that left the state (ended leases,
   * docs/STATE.md "Retired rows"), written in the batch of the block that retired them.
   */
  RETIRED: 0x09,
} as const;
export type Prefix = (typeof Prefix)[keyof typeof Prefix];

export const MetaKey = {
  SCHEMA: 'schema',
  GENESIS: 'genesis',
  HEAD: 'head',
  COUNTERS: 'counters',
  /** Next WAL sequence number, so sequence numbers are never reused even after pruning everything. */
  WAL_NEXT: 'walNext',
} as const;
export type MetaKey = (typeof MetaKey)[keyof typeof MetaKey];

const one = (p: Prefix) => Uint8Array.of(p);

export const keys = {
  meta: (name: MetaKey) => concatBytes(one(Prefix.META), utf8(name)),
  blockByHeight: (height: number) => concatBytes(one(Prefix.BLOCK_BY_HEIGHT), u64be(height)),
  heightByHash: (hash: Uint8Array) => concatBytes(one(Prefix.HEIGHT_BY_HASH), hash),
  txLocation: (txHash: Uint8Array) => concatBytes(one(Prefix.TX_LOCATION), txHash),
  receipt: (txHash: Uint8Array) => concatBytes(one(Prefix.RECEIPT), txHash),
  state: (stateKey: Uint8Array) => concatBytes(one(Prefix.STATE), stateKey),
  retired: (stateKey: Uint8Array) => concatBytes(one(Prefix.RETIRED), stateKey),
  wal: (seq: number) => concatBytes(one(Prefix.WAL), u64be(seq)),
  txBySender: (sender: Uint8Array, height: number, index: number) => concatBytes(one(Prefix.TX_BY_SENDER), sender, u64be(height), u32be(index)),
  /** Every txBySender key of one sender below `beforeHeight`. */
  txBySenderRange: (sender: Uint8Array, beforeHeight: number) => ({ gte: concatBytes(one(Prefix.TX_BY_SENDER), sender), lt: concatBytes(one(Prefix.TX_BY_SENDER), sender, u64be(beforeHeight)) }),
};

/** [gte, lt) bounds covering every key of one prefix. */
export function prefixRange(p: Prefix): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: one(p), lt: Uint8Array.of(p + 1) };
}
