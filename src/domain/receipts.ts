import { ReceiptCodec } from '../codec/chain.ts';
import type { ChannelResult, LeaseResult, MatchResult, ProposalResult, Receipt } from '../codec/types.ts';

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
  /** EdgeMatch (or UnregisterDevice) by an address that is not a registered device. */
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
  // ---- paid leases and payment channels (issue 13, docs/PAYMENTS.md)
  /** A lock of funds above the sender's balance: a lease's cost (price × demand × seconds) at EdgeMatch or RenewLease (nothing reserved), a channel's deposit or top-up. */
  INSUFFICIENT_FUNDS: 17,
  /** EdgeMatch without a term (0 s) or a term/extension over params.maxLeaseDurationS. */
  BAD_DURATION: 18,
  /** EdgeMatch by a device that already holds params.maxLeasesPerDevice active leases. */
  LEASE_CAP: 19,
  /** RenewLease by someone other than the lease's device. */
  NOT_LEASE_DEVICE: 20,
  /** RenewLease of a lease without a term (made before params.paymentsFromHeight). */
  LEASE_NOT_RENEWABLE: 21,
  /** A channel tx naming an unknown channel id. */
  UNKNOWN_CHANNEL: 22,
  /** Top-up, refund (or a payer's close) by someone other than the channel's payer. */
  NOT_PAYER: 23,
  /** Claim by someone other than the channel's payee. */
  NOT_PAYEE: 24,
  /** A channel tx on a closed channel (refunded or closed by the payee). */
  CHANNEL_CLOSED: 25,
  /** A voucher whose signature is not the payer's over (chain id, channel id, amount). */
  BAD_VOUCHER: 26,
  /** A voucher whose cumulative amount does not exceed what was already claimed. */
  STALE_VOUCHER: 27,
  /** A voucher for more than the channel's deposit. */
  VOUCHER_OVER_DEPOSIT: 28,
  /** Refund before the channel expired and before a payer's settle window ended. */
  CHANNEL_NOT_EXPIRED: 29,
  /** Top-up of a channel that has expired or is closing. */
  CHANNEL_EXPIRED: 30,
  /** ChannelOpen with oneself as the payee. */
  SELF_CHANNEL: 31,
  /** A payer's close of a channel already in its settle window. */
  CHANNEL_CLOSING: 32,
  // ---- consortium governance (issue 12, docs/GOVERNANCE.md)
  /** A proposal or vote by an account that is not a company of the consortium at that height. */
  NOT_MEMBER: 33,
  /** A vote on a proposal id that does not exist. */
  UNKNOWN_PROPOSAL: 34,
  /** A vote on a proposal that already passed or was rejected. */
  PROPOSAL_CLOSED: 35,
  /** A vote on a proposal past its last voting height. */
  PROPOSAL_EXPIRED: 36,
  /** A second vote of a company on one proposal. */
  ALREADY_VOTED: 37,
  /** A removal of a company, sealer or observer that is not a member. */
  UNKNOWN_MEMBER: 38,
  /** An addition of a member (or a name) that is already there. */
  MEMBER_EXISTS: 39,
  /** A change the quorum guard refuses (too few sealers, a quorum the recent proposers cannot reach, the last company). */
  MEMBERSHIP_GUARD: 40,
  /** A proposal for the same action and member as another open proposal. */
  DUPLICATE_PROPOSAL: 41,
  /** UnregisterDevice by a device that still holds active leases. */
  DEVICE_HAS_LEASES: 42,
  // ---- evidence of equivocation (issue 11, docs/CONSENSUS.md "Evidence on chain"); 43..47 left for governance
  /** Evidence whose sender index is not a sealer of the offence's height (or no set is known for it). */
  EVIDENCE_NOT_SEALER: 48,
  /** Evidence whose two signatures are not both the accused sealer's over this chain's sign bytes. */
  EVIDENCE_BAD_SIGNATURE: 49,
  /** Evidence of an offence (sealer, height, view, kind) already recorded. */
  EVIDENCE_DUPLICATE: 50,
  /** Evidence for a height above the block that would record it. */
  EVIDENCE_FUTURE_HEIGHT: 51,
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
  lease?: LeaseResult;
  channel?: ChannelResult;
  proposal?: ProposalResult;
}

export function buildReceipt(txHash: Uint8Array, height: number, index: number, sender: Uint8Array, o: TxOutcome): Receipt {
  const r: Receipt = { txHash, height, index, status: o.status, reason: o.reason, sender };
  if (o.match) {
    r.result = 'match';
    r.match = o.match;
  } else if (o.lease) {
    r.result = 'lease';
    r.lease = o.lease;
  } else if (o.channel) {
    r.result = 'channel';
    r.channel = o.channel;
  } else if (o.proposal) {
    r.result = 'proposal';
    r.proposal = o.proposal;
  }
  return r;
}

export function encodeReceipt(r: Receipt): Uint8Array {
  return ReceiptCodec.encode(r);
}

/** The outcome of a successful tx without a result. */
export const OK: TxOutcome = { status: ReceiptStatus.OK, reason: '' };
export const fail = (status: ReceiptStatus, reason: string): TxOutcome => ({ status, reason });
