import { utf8, u64be, concatBytes, fromUtf8, readU64be } from '../util/bytes.ts';

/**
 * State key layout: one prefix byte per record kind, then a fixed or self-delimiting
 * suffix. A prefix is never reused for another kind (docs/STATE.md).
 */
export const KeyPrefix = {
  ACCOUNT: 0x01, // || address (20 bytes)
  DEVICE: 0x02, // || address (20 bytes)
  DEVICE_INFO: 0x03, // || SHA-256(utf8(info)) (32 bytes)
  NODE: 0x04, // || utf8(node id) (1..64 bytes)
  LEASE: 0x05, // || u64be(lease id)
  COUNTER: 0x06, // || counter id (1 byte)
  CHANNEL: 0x07, // || u64be(channel id)
  MEMBERSHIP: 0x08, // || u64be(from height) — governance (docs/GOVERNANCE.md)
  PROPOSAL: 0x09, // || u64be(proposal id)
  LIVENESS: 0x0a, // || address (20 bytes) of a sealer key
  EVIDENCE: 0x10, // || u64be(evidence id)
} as const;
export type KeyPrefix = (typeof KeyPrefix)[keyof typeof KeyPrefix];

export const Counter = {
  /** The last lease id handed out (0 = none yet). */
  LAST_LEASE_ID: 0x01,
  /** The last payment channel id handed out (0 = none yet). */
  LAST_CHANNEL_ID: 0x02,
  /** The last evidence id handed out (0 = none yet). */
  LAST_EVIDENCE_ID: 0x10,
  /** The last governance proposal id handed out (0 = none yet). */
  LAST_PROPOSAL_ID: 0x03,
} as const;

const one = (p: number, rest: Uint8Array) => concatBytes(new Uint8Array([p]), rest);

export const accountKey = (address: Uint8Array) => one(KeyPrefix.ACCOUNT, address);
export const deviceKey = (address: Uint8Array) => one(KeyPrefix.DEVICE, address);
export const deviceInfoKey = (infoHash: Uint8Array) => one(KeyPrefix.DEVICE_INFO, infoHash);
export const nodeKey = (id: string) => one(KeyPrefix.NODE, utf8(id));
export const leaseKey = (id: number) => one(KeyPrefix.LEASE, u64be(id));
export const channelKey = (id: number) => one(KeyPrefix.CHANNEL, u64be(id));
export const evidenceKey = (id: number) => one(KeyPrefix.EVIDENCE, u64be(id));
export const membershipKey = (fromHeight: number) => one(KeyPrefix.MEMBERSHIP, u64be(fromHeight));
export const proposalKey = (id: number) => one(KeyPrefix.PROPOSAL, u64be(id));
export const livenessKey = (address: Uint8Array) => one(KeyPrefix.LIVENESS, address);
export const counterKey = (counter: number) => new Uint8Array([KeyPrefix.COUNTER, counter]);

export const nodeIdOfKey = (key: Uint8Array): string | null => fromUtf8(key.subarray(1));
export const leaseIdOfKey = (key: Uint8Array): number => readU64be(key, 1);
export const channelIdOfKey = (key: Uint8Array): number => readU64be(key, 1);
