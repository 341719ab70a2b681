import { messageCodec } from './codec.ts';
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
