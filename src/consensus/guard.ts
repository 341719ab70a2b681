import { ConsensusMessageCodec, ConsensusPayloadCodec, payloadPosition } from '../codec/consensus.ts';
import { sha256 } from '../crypto/hash.ts';
import { toHex } from '../util/bytes.ts';

/**
 * The double-sign guard: what this sealer last signed, kept outside the chain database (like
 * CometBFT's priv-validator state) and made durable before a signed message leaves the node.
 * Pure: the node keeps the state in a file (src/node/sign-guard.ts); docs/CONSENSUS.md,
 * "The double-sign guard".
 */

export type GuardKind = 'proposal' | 'prepare' | 'commit' | 'viewChange';

/** One signed message: its position and the hash of what it signs (block hash; VIEW-CHANGE: payload hash). */
export interface GuardItem {
  kind: GuardKind;
  height: number;
  view: number;
  hash: string;
}

/** Everything signed at the highest height signed so far (lower heights are refused outright). */
export interface GuardState {
  height: number;
  signed: { kind: GuardKind; view: number; hash: string }[];
}

export type GuardDecision = { ok: true; changed: boolean; next: GuardState } | { ok: false; reason: 'height-below-last-signed' | 'conflicting-vote' | 'view-left' | 'wal-lost' };

/** At most this many entries are kept for one height (the lowest views are dropped first). */
export const GUARD_MAX_ENTRIES = 64;

/**
 * The guard item of an outgoing consensus message signed by sealer `me`, or null when the
 * message is not a signature of ours that the guard orders (another sender, a certificate
 * announcement, undecodable bytes).
 */
export function guardItemOf(bytes: Uint8Array, me: number): GuardItem | null {
  const e = ConsensusMessageCodec.decode(bytes);
  if (!e.ok || e.value.sender !== me) return null;
  const p = ConsensusPayloadCodec.decode(e.value.payload);
  if (!p.ok) return null;
  const pos = payloadPosition(p.value);
  switch (pos.kind) {
    case 'prePrepare':
    case 'newView':
      return { kind: 'proposal', height: pos.height, view: pos.view, hash: toHex(pos.blockHash!) };
    case 'prepare':
    case 'commit':
      return { kind: pos.kind, height: pos.height, view: pos.view, hash: toHex(pos.blockHash!) };
    case 'viewChange':
      return { kind: 'viewChange', height: pos.height, view: pos.view, hash: toHex(sha256(e.value.payload)) };
    default:
      return null;
  }
}

/**
 * May this node send `item`, given what it signed before (`state`, null if never)?
 *  - a height below the last signed one: never (`height-below-last-signed`);
 *  - the same (height, kind, view) as before: only the same hash, i.e. a re-send (`conflicting-vote`);
 *  - a proposal or vote at a view below a VIEW-CHANGE it signed at this height (`view-left`);
 *  - anything new at `amnesicHeight`, the height at which it signed before but whose WAL
 *    records it no longer has (data dir wiped or restored): its lock is lost, so it signs
 *    nothing new there and takes part again from the next height (`wal-lost`).
 * `changed`: the state must be made durable before the message is sent.
 */
export function guardDecide(state: GuardState | null, item: GuardItem, amnesicHeight: number | null = null): GuardDecision {
  const entry = { kind: item.kind, view: item.view, hash: item.hash };
  if (!state || item.height > state.height) return { ok: true, changed: true, next: { height: item.height, signed: [entry] } };
  if (item.height < state.height) return { ok: false, reason: 'height-below-last-signed' };
  const same = state.signed.find((s) => s.kind === item.kind && s.view === item.view);
  if (same) return same.hash === item.hash ? { ok: true, changed: false, next: state } : { ok: false, reason: 'conflicting-vote' };
  if (item.kind !== 'viewChange' && state.signed.some((s) => s.kind === 'viewChange' && s.view > item.view)) return { ok: false, reason: 'view-left' };
  if (amnesicHeight !== null && item.height === amnesicHeight) return { ok: false, reason: 'wal-lost' };
  const signed = [...state.signed, entry].sort((a, b) => a.view - b.view);
  return { ok: true, changed: true, next: { height: state.height, signed: signed.slice(Math.max(0, signed.length - GUARD_MAX_ENTRIES)) } };
}

/**
 * The height at which a restarted sealer must not sign anything new: the guard's height when
 * it is above the stored head (not finalized here) and the WAL handed to the engine holds no
 * record of it (`walHeights`: heights of the WAL records). Null otherwise.
 */
export function amnesicHeightOf(state: GuardState | null, headHeight: number, walHeights: readonly (number | null)[]): number | null {
  if (!state || state.height <= headHeight) return null;
  return walHeights.includes(state.height) ? null : state.height;
}

const KINDS: readonly GuardKind[] = ['proposal', 'prepare', 'commit', 'viewChange'];

/** The file format: JSON with the chain it belongs to. */
export function encodeGuardState(chain: { chainId: string; genesisHash: string }, state: GuardState): string {
  return JSON.stringify({ version: 1, chainId: chain.chainId, genesisHash: chain.genesisHash, height: state.height, signed: state.signed }) + '\n';
}

/** Parses a guard file; an error string if it is corrupt or belongs to another chain. */
export function parseGuardState(text: string, chain: { chainId: string; genesisHash: string }): GuardState | string {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  const o = j as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || o.version !== 1) return 'unknown format (version 1 expected)';
  if (o.chainId !== chain.chainId || o.genesisHash !== chain.genesisHash) return `it belongs to chain ${String(o.chainId)} (genesis ${String(o.genesisHash)}), not to this one`;
  if (!Number.isSafeInteger(o.height) || (o.height as number) < 0 || !Array.isArray(o.signed)) return 'bad height or entries';
  const signed: GuardState['signed'] = [];
  for (const s of o.signed as Record<string, unknown>[]) {
    if (typeof s !== 'object' || s === null || !KINDS.includes(s.kind as GuardKind) || !Number.isSafeInteger(s.view) || typeof s.hash !== 'string') return 'bad entry';
    signed.push({ kind: s.kind as GuardKind, view: s.view as number, hash: s.hash });
  }
  return { height: o.height as number, signed };
}
