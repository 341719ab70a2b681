import { ConsensusMessageCodec, ConsensusPayloadCodec, ConsensusWalRecordCodec, payloadPosition, type ConsensusKind } from '../codec/consensus.ts';
import { toHex } from '../util/bytes.ts';

/** A human/debug view of one consensus WAL record (storage treats records as opaque bytes). */
export interface WalRecordInfo {
  height: number;
  kind: ConsensusKind;
  view: number;
  blockHash: string | null;
  locked: boolean;
}

/** Describes a WAL record, or returns null for a torn or garbage record (which restore ignores). */
export function describeWalRecord(bytes: Uint8Array): WalRecordInfo | null {
  const r = ConsensusWalRecordCodec.decode(bytes);
  if (!r.ok) return null;
  const e = ConsensusMessageCodec.decode(r.value.message);
  if (!e.ok) return null;
  const p = ConsensusPayloadCodec.decode(e.value.payload);
  if (!p.ok) return null;
  const pos = payloadPosition(p.value);
  return { height: r.value.height, kind: pos.kind, view: pos.view, blockHash: pos.blockHash ? toHex(pos.blockHash, true) : null, locked: !!r.value.prepared };
}

/** Records below `height` are obsolete once that height is finalized: storage may prune them. */
export function walRecordHeight(bytes: Uint8Array): number | null {
  const r = ConsensusWalRecordCodec.decode(bytes);
  return r.ok ? r.value.height : null;
}
