import { messageCodec } from './codec.ts';
import { concatBytes, u32be, u64be, utf8 } from '../util/bytes.ts';
import { LIMITS } from './chain.ts';
import {
  ConsensusPayloadKinds,
  type CompactBlock,
  type ConsensusMessage,
  type ConsensusPayload,
  type ConsensusPayloadKind,
  type ConsensusWalRecord,
  type NewView,
  type PrePrepare,
  type PreparedCertificate,
  type ViewChange,
  type Vote,
} from './proto-types.ts';

/** Shapes of proto/consensus.proto (generated, proto-types.ts; see docs/CONSENSUS.md) and their size-checked, canonical codecs. */
export type { CompactBlock, ConsensusMessage, ConsensusPayload, ConsensusWalRecord, NewView, PrePrepare, PreparedCertificate, ViewChange, Vote };

export const CONSENSUS_KINDS = ConsensusPayloadKinds;
export type ConsensusKind = ConsensusPayloadKind;

/** Ceilings of the consensus codecs (chain parameters set the tighter block limit). */
export const CONSENSUS_LIMITS = {
  /** An envelope may carry one block plus a NEW-VIEW justification. */
  message: LIMITS.block + 1024 * 1024,
  payload: 1024 * 1024,
  walRecord: 2 * LIMITS.block + 1024 * 1024,
  /** Tx ids in one compact block (the chain's maxBlockTxs is the working limit). */
  compactTxIds: 65_536,
} as const;

const hash32 = (b: Uint8Array) => b.length === 32;

function checkCert(c: PreparedCertificate | null | undefined): string | null {
  if (!c) return null;
  if (!hash32(c.blockHash)) return 'prepared certificate block hash must be 32 bytes';
  if (c.prepares.length === 0) return 'prepared certificate without prepares';
  return null;
}

/** A compact attachment: a header and 32-byte tx ids, never next to a full block. */
function checkCompact(m: ConsensusMessage): string | null {
  const c = m.compact;
  if (!c) return null;
  if (m.block.length > 0) return 'a message carries a block or a compact block, not both';
  if (c.header.length === 0) return 'compact block without a header';
  if (c.txIds.length > CONSENSUS_LIMITS.compactTxIds) return `compact block lists more than ${CONSENSUS_LIMITS.compactTxIds} tx ids`;
  for (const id of c.txIds) if (id.length !== 32) return 'tx ids must be 32 bytes';
  return null;
}

export const ConsensusMessageCodec = messageCodec<ConsensusMessage>('ConsensusMessage', {
  maxBytes: CONSENSUS_LIMITS.message,
  check: (m) => (m.signature.length === 64 ? checkCompact(m) : 'signature must be 64 bytes'),
});

export const ConsensusPayloadCodec = messageCodec<ConsensusPayload>('ConsensusPayload', {
  maxBytes: CONSENSUS_LIMITS.payload,
  check: (p) => {
    switch (p.kind) {
      case 'prePrepare':
        return hash32(p.prePrepare!.blockHash) ? null : 'block hash must be 32 bytes';
      case 'prepare':
        return hash32(p.prepare!.blockHash) ? null : 'block hash must be 32 bytes';
      case 'commit':
        return hash32(p.commit!.blockHash) ? null : 'block hash must be 32 bytes';
      case 'viewChange':
        return checkCert(p.viewChange!.prepared);
      case 'newView':
        return hash32(p.newView!.blockHash) ? null : 'block hash must be 32 bytes';
      case 'certificate':
        if (!hash32(p.certificate!.blockHash)) return 'block hash must be 32 bytes';
        return p.certificate!.seals.length === 0 ? 'certificate without seals' : null;
      default:
        return 'no consensus message kind set';
    }
  },
});

export const ConsensusWalRecordCodec = messageCodec<ConsensusWalRecord>('ConsensusWalRecord', {
  maxBytes: CONSENSUS_LIMITS.walRecord,
  check: (r) => checkCert(r.prepared),
});

/** The payload's height and view (for VIEW-CHANGE: the new view). */
export function payloadPosition(p: ConsensusPayload): { kind: ConsensusKind; height: number; view: number; blockHash: Uint8Array | null } {
  const kind = p.kind ?? CONSENSUS_KINDS.find((k) => p[k]);
  switch (kind) {
    case 'prePrepare':
      return { kind: 'prePrepare', height: p.prePrepare!.height, view: p.prePrepare!.view, blockHash: p.prePrepare!.blockHash };
    case 'prepare':
      return { kind: 'prepare', height: p.prepare!.height, view: p.prepare!.view, blockHash: p.prepare!.blockHash };
    case 'commit':
      return { kind: 'commit', height: p.commit!.height, view: p.commit!.view, blockHash: p.commit!.blockHash };
    case 'viewChange':
      return { kind: 'viewChange', height: p.viewChange!.height, view: p.viewChange!.newView, blockHash: p.viewChange!.prepared?.blockHash ?? null };
    case 'certificate':
      return { kind: 'certificate', height: p.certificate!.height, view: p.certificate!.view, blockHash: p.certificate!.blockHash };
    default:
      return { kind: 'newView', height: p.newView!.height, view: p.newView!.view, blockHash: p.newView!.blockHash };
  }
}

// ---------------------------------------------------------------- what consensus signatures cover
// The byte layouts below are the messages sealers sign. They live here, below chain/ and
// kinds/, because the evidence kind (kinds/evidence.ts) checks consensus signatures too;
// chain/certificate.ts and consensus/engine.ts re-export them.

export type VoteKind = 'prepare' | 'commit';

const VOTE_DOMAIN: Record<VoteKind, Uint8Array> = {
  prepare: utf8('edgechain/prepare/v1'),
  commit: utf8('edgechain/commit/v1'),
};

/**
 * The exact bytes a sealer signs for a PREPARE or COMMIT vote: a fixed layout, not a
 * protobuf encoding, so any verifier rebuilds them bit for bit:
 *   domain || u8 len(chainId) || chainId || u64be height || u32be view || blockHash(32)
 */
export function voteBytes(kind: VoteKind, chainId: string, height: number, view: number, blockHash: Uint8Array): Uint8Array {
  const cid = utf8(chainId);
  return concatBytes(VOTE_DOMAIN[kind], new Uint8Array([cid.length & 0xff]), cid, u64be(height), u32be(view), blockHash);
}

/** Domain tag of every consensus signature that is not a PREPARE/COMMIT vote. */
export const CONSENSUS_SIGN_DOMAIN = utf8('edgechain/consensus/v1');

/** What a non-vote consensus message's signature covers: the domain tag, then the encoded payload. */
export function signedBytes(payload: Uint8Array): Uint8Array {
  return concatBytes(CONSENSUS_SIGN_DOMAIN, payload);
}

/** The bytes an envelope's signature covers: votes over voteBytes, every other kind over signedBytes(payload). */
export function envelopeSignBytes(chainId: string, env: ConsensusMessage, p: ConsensusPayload): Uint8Array {
  const pos = payloadPosition(p);
  return pos.kind === 'prepare' || pos.kind === 'commit' ? voteBytes(pos.kind, chainId, pos.height, pos.view, pos.blockHash!) : signedBytes(env.payload);
}
