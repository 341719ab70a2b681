import { messageCodec } from './codec.ts';
import { LIMITS } from './chain.ts';
import type { CommitCertificate, CommitSeal } from './types.ts';

/**
 * TypeScript shapes of proto/consensus.proto (see docs/CONSENSUS.md) and their
 * size-checked, canonical codecs.
 */

export interface ConsensusMessage {
  payload: Uint8Array;
  sender: number;
  signature: Uint8Array;
  block: Uint8Array;
}

export interface PrePrepare { height: number; view: number; blockHash: Uint8Array }
export interface Vote { height: number; view: number; blockHash: Uint8Array }
export interface PreparedCertificate { view: number; blockHash: Uint8Array; prepares: CommitSeal[] }
export interface ViewChange { height: number; newView: number; prepared?: PreparedCertificate | null }
export interface NewView { height: number; view: number; viewChanges: Uint8Array[]; blockHash: Uint8Array }

export const CONSENSUS_KINDS = ['prePrepare', 'prepare', 'commit', 'viewChange', 'newView', 'certificate'] as const;
export type ConsensusKind = (typeof CONSENSUS_KINDS)[number];

export interface ConsensusPayload {
  kind?: ConsensusKind;
  prePrepare?: PrePrepare | null;
  prepare?: Vote | null;
  commit?: Vote | null;
  viewChange?: ViewChange | null;
  newView?: NewView | null;
  certificate?: CommitCertificate | null;
}

export interface ConsensusWalRecord {
  height: number;
  message: Uint8Array;
  prepared?: PreparedCertificate | null;
  preparedBlock: Uint8Array;
}

/** Ceilings of the consensus codecs (chain parameters set the tighter block limit). */
export const CONSENSUS_LIMITS = {
  /** An envelope may carry one block plus a NEW-VIEW justification. */
  message: LIMITS.block + 1024 * 1024,
  payload: 1024 * 1024,
  walRecord: 2 * LIMITS.block + 1024 * 1024,
} as const;

const hash32 = (b: Uint8Array) => b.length === 32;

function checkCert(c: PreparedCertificate | null | undefined): string | null {
  if (!c) return null;
  if (!hash32(c.blockHash)) return 'prepared certificate block hash must be 32 bytes';
  if (c.prepares.length === 0) return 'prepared certificate without prepares';
  return null;
}

export const ConsensusMessageCodec = messageCodec<ConsensusMessage>('ConsensusMessage', {
  maxBytes: CONSENSUS_LIMITS.message,
  check: (m) => (m.signature.length === 64 ? null : 'signature must be 64 bytes'),
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
