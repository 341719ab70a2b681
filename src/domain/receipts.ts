import { ReceiptCodec } from '../codec/chain.ts';
import type { MatchResult, Receipt } from '../codec/types.ts';

/** Receipt status codes (Receipt.status). 0 is success; codes are never reused. */
export const ReceiptStatus = {
  OK: 0,
  /** AddNode by an account whose genesis role is not 'company'. */
  NOT_COMPANY: 1,
  /** UpdateNode/RemoveNode of an EN the sender does not own. */
  NOT_OWNER: 2,
  /** AddNode with an id that an existing EN already has. */
  NODE_EXISTS: 3,
  /** UpdateNode/RemoveNode of an unknown EN id. */
  UNKNOWN_NODE: 4,
  /** EdgeMatch by an address that is not a registered device. */
  NOT_DEVICE: 5,
  /** RegisterDevice by an address that already is a device. */
  DEVICE_EXISTS: 6,
  /** RegisterDevice with identity info another device holds. */
  INFO_TAKEN: 7,
  /** RegisterDevice by a proxy or company account. */
  ROLE_NOT_ALLOWED: 8,
  /** EdgeMatch found no EN that is online, offers the type, has the capacity and the price. */
  NO_CANDIDATE: 9,
  /** ReleaseLease of an unknown lease id. */
  UNKNOWN_LEASE: 10,
  /** ReleaseLease of a lease already released or terminated. */
  LEASE_NOT_ACTIVE: 11,
  /** ReleaseLease by neither the lease's device nor its EN's owner. */
  NOT_LEASE_PARTY: 12,
  /** UpdateNode that would set capacity below the slots in use. */
  CAPACITY_BELOW_USED: 13,
  /** Transfer of more than the sender's balance. */
  INSUFFICIENT_BALANCE: 14,
  /** Transfer that would push the recipient's balance past 2^53 − 1. */
  BALANCE_OVERFLOW: 15,
  /** A tx kind or payload the state machine does not know (defensive; decodeTx rejects these). */
  INVALID_TX: 16,
} as const;
export type ReceiptStatus = (typeof ReceiptStatus)[keyof typeof ReceiptStatus];

const NAMES = new Map<number, string>(Object.entries(ReceiptStatus).map(([k, v]) => [v, k]));

/** Symbolic name of a status code ('OK', 'NO_CANDIDATE', …), or 'UNKNOWN_<n>'. */
export function receiptStatusName(status: number): string {
  return NAMES.get(status) ?? `UNKNOWN_${status}`;
}

export interface TxOutcome {
  status: ReceiptStatus;
  reason: string;
  match?: MatchResult;
}

export function buildReceipt(txHash: Uint8Array, height: number, index: number, sender: Uint8Array, o: TxOutcome): Receipt {
  const r: Receipt = { txHash, height, index, status: o.status, reason: o.reason, sender };
  if (o.match) {
    r.result = 'match';
    r.match = o.match;
  }
  return r;
}

export function encodeReceipt(r: Receipt): Uint8Array {
  return ReceiptCodec.encode(r);
}

/** The outcome of a successful tx without a result. */
export const OK: TxOutcome = { status: ReceiptStatus.OK, reason: '' };
export const fail = (status: ReceiptStatus, reason: string): TxOutcome => ({ status, reason });
