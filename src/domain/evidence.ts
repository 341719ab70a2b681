import { ConsensusMessageCodec, ConsensusPayloadCodec, envelopeSignBytes, payloadPosition, type ConsensusMessage, type ConsensusPayload } from '../codec/consensus.ts';
import { StateEvidenceCodec, type StateEvidence } from '../codec/state.ts';
import { addressOf, verify as cryptoVerify } from '../crypto/keys.ts';
import { equalBytes, readU64be, toHex } from '../util/bytes.ts';
import { addrBytes, addrHex } from './address.ts';
import type { Counters } from './counters.ts';
import { Counter, KeyPrefix, evidenceKey } from './keys.ts';
import type { BlockEnv } from './leases.ts';
import { OK, ReceiptStatus, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

/** The consensus messages whose conflict is evidence: two of one kind, height, view and sender, for two blocks. */
export type EvidenceKind = 'prePrepare' | 'prepare' | 'commit';
export const EVIDENCE_KINDS: readonly EvidenceKind[] = ['prePrepare', 'prepare', 'commit'];
const KIND_CODE: Record<EvidenceKind, number> = { prePrepare: 1, prepare: 2, commit: 3 };
const KIND_OF_CODE: Record<number, EvidenceKind> = { 1: 'prePrepare', 2: 'prepare', 3: 'commit' };

/** Bounds of one evidence message (an envelope without its block: payload ≈ 50 bytes, signature 64). */
export const EVIDENCE_MESSAGE_MAX_BYTES = 512;

/** Two conflicting signed messages, decoded and checked for everything that needs no state or key. */
export interface Offence {
  readonly kind: EvidenceKind;
  readonly height: number;
  readonly view: number;
  /** Index of the accused in the sealer set of `height`. */
  readonly sender: number;
  readonly envelopes: readonly [ConsensusMessage, ConsensusMessage];
  readonly payloads: readonly [ConsensusPayload, ConsensusPayload];
  readonly hashes: readonly [Uint8Array, Uint8Array];
}

/**
 * The stateless checks of evidence (the kind's bounds, run by decodeTx): both are canonical,
 * size-checked ConsensusMessage envelopes without a block attachment, of one kind among
 * PRE-PREPARE (view 0 only), PREPARE and COMMIT, for the same height ≥ 1, view and sender,
 * and for two different block hashes. Returns the offence, or the reason it is not one.
 */
export function parseEvidence(first: Uint8Array, second: Uint8Array): { ok: true; offence: Offence } | { ok: false; reason: string } {
  const envs: ConsensusMessage[] = [];
  const pays: ConsensusPayload[] = [];
  for (const [i, bytes] of [first, second].entries()) {
    const which = i === 0 ? 'first' : 'second';
    if (bytes.length === 0) return { ok: false, reason: `evidence: the ${which} message is empty` };
    if (bytes.length > EVIDENCE_MESSAGE_MAX_BYTES) return { ok: false, reason: `evidence: the ${which} message is ${bytes.length} bytes, limit ${EVIDENCE_MESSAGE_MAX_BYTES}` };
    const e = ConsensusMessageCodec.decode(bytes);
    if (!e.ok) return { ok: false, reason: `evidence: the ${which} message is not a consensus message (${e.error.message})` };
    if (e.value.block.length > 0) return { ok: false, reason: `evidence: the ${which} message carries a block (strip it)` };
    const p = ConsensusPayloadCodec.decode(e.value.payload);
    if (!p.ok) return { ok: false, reason: `evidence: the ${which} message's payload is malformed (${p.error.message})` };
    envs.push(e.value);
    pays.push(p.value);
  }
  const a = payloadPosition(pays[0]);
  const b = payloadPosition(pays[1]);
  if (!(EVIDENCE_KINDS as readonly string[]).includes(a.kind)) return { ok: false, reason: `evidence: a ${a.kind} message is not evidence (PRE-PREPARE, PREPARE or COMMIT only)` };
  if (a.kind !== b.kind) return { ok: false, reason: `evidence: the messages are of two kinds (${a.kind}, ${b.kind})` };
  if (a.height !== b.height) return { ok: false, reason: `evidence: the messages are for two heights (${a.height}, ${b.height})` };
  if (a.view !== b.view) return { ok: false, reason: `evidence: the messages are for two views (${a.view}, ${b.view})` };
  if (envs[0].sender !== envs[1].sender) return { ok: false, reason: `evidence: the messages are by two senders (${envs[0].sender}, ${envs[1].sender})` };
  if (a.height < 1) return { ok: false, reason: 'evidence: height must be >= 1' };
  if (a.kind === 'prePrepare' && a.view !== 0) return { ok: false, reason: 'evidence: a PRE-PREPARE is only sent in view 0' };
  if (equalBytes(a.blockHash!, b.blockHash!)) return { ok: false, reason: 'evidence: both messages are for the same block (no conflict)' };
  return {
    ok: true,
    offence: {
      kind: a.kind as EvidenceKind,
      height: a.height,
      view: a.view,
      sender: envs[0].sender,
      envelopes: [envs[0], envs[1]],
      payloads: [pays[0], pays[1]],
      hashes: [a.blockHash!, b.blockHash!],
    },
  };
}

/** Whether both signatures of an offence are `publicKey`'s over what sealers of chain `chainId` sign. */
export function offenceSignaturesOk(o: Offence, chainId: string, publicKey: Uint8Array, verify = cryptoVerify): boolean {
  return [0, 1].every((i) => verify(o.envelopes[i].signature, envelopeSignBytes(chainId, o.envelopes[i], o.payloads[i]), publicKey));
}

/** The key of an offence: one record per (sealer, height, view, kind), whichever two messages prove it. */
export const offenceKey = (sealer: string, height: number, view: number, kind: EvidenceKind): string => `${sealer}/${height}/${view}/${kind}`;

export interface EvidenceRec {
  readonly id: number;
  /** Address of the accused sealer (`0x…`). */
  readonly sealer: string;
  readonly sealerKey: Uint8Array;
  readonly sealerIndex: number;
  readonly kind: EvidenceKind;
  readonly height: number;
  readonly view: number;
  readonly first: Uint8Array;
  readonly second: Uint8Array;
  /** Address of the account that submitted it. */
  readonly reporter: string;
  /** Height of the block that recorded it. */
  readonly recordedAt: number;
}

export interface EvidenceView {
  id: number;
  sealer: string;
  sealerKey: string;
  sealerIndex: number;
  kind: EvidenceKind;
  height: number;
  view: number;
  /** The two conflicting block hashes, in the order of the messages. */
  blockHashes: [string, string];
  first: string;
  second: string;
  reporter: string;
  recordedAt: number;
}

/** Where the accused's key comes from: the sealer public keys of a height, in set order (null: unknown). */
export type SealerKeysAt = (height: number) => readonly Uint8Array[] | null;

/**
 * Evidence of equivocation (prefix 0x10 || u64be(id)), one record per offence (sealer, height,
 * view, kind); ids from the LAST_EVIDENCE_ID counter, so a later proposal (remove-sealer) can
 * cite a record by id. Derived: the record of each offence and the ids per sealer.
 */
export class Evidence {
  private readonly byOffence = new Map<string, number>();
  private readonly bySealer = new Map<string, Set<number>>();
  private readonly counters: Counters;
  private readonly chainId: string;
  private readonly sealerKeysAt: SealerKeysAt;

  readonly table = new Table<number, EvidenceRec, StateEvidence>({
    name: 'evidence',
    prefix: KeyPrefix.EVIDENCE,
    key: (id) => evidenceKey(id),
    rowKey: (key) => (key.length === 9 ? readU64be(key, 1) : null),
    codec: StateEvidenceCodec,
    toProto: (r) => ({
      id: r.id,
      sealer: addrBytes(r.sealer),
      sealerKey: r.sealerKey,
      sealerIndex: r.sealerIndex,
      kind: KIND_CODE[r.kind],
      height: r.height,
      view: r.view,
      first: r.first,
      second: r.second,
      reporter: addrBytes(r.reporter),
      recordedAt: r.recordedAt,
    }),
    fromProto: (m) => ({
      id: m.id,
      sealer: addrHex(m.sealer),
      sealerKey: m.sealerKey,
      sealerIndex: m.sealerIndex,
      kind: KIND_OF_CODE[m.kind],
      height: m.height,
      view: m.view,
      first: m.first,
      second: m.second,
      reporter: addrHex(m.reporter),
      recordedAt: m.recordedAt,
    }),
    checkStored: (m, id) => (m.id === id ? null : 'evidence id does not match its key'),
    onChange: (id, old, next) => {
      if (old) {
        this.byOffence.delete(offenceKey(old.sealer, old.height, old.view, old.kind));
        this.bySealer.get(old.sealer)?.delete(id);
      }
      if (next) {
        this.byOffence.set(offenceKey(next.sealer, next.height, next.view, next.kind), id);
        let s = this.bySealer.get(next.sealer);
        if (!s) this.bySealer.set(next.sealer, (s = new Set()));
        s.add(id);
      }
    },
  });

  constructor(opts: { chainId: string; sealerKeysAt: SealerKeysAt }, deps: { counters: Counters }) {
    this.chainId = opts.chainId;
    this.sealerKeysAt = opts.sealerKeysAt;
    this.counters = deps.counters;
  }

  /**
   * Records evidence submitted by `reporter` in the block of `env`: the stateful half of the
   * checks (the offence's height is not ahead of this block, the sender index is a sealer of
   * that height's set, both signatures are that sealer's over this chain's sign bytes, and the
   * offence is not recorded yet). A refusal changes nothing.
   */
  submit(env: BlockEnv, reporter: string, first: Uint8Array, second: Uint8Array, verify = cryptoVerify): TxOutcome {
    const parsed = parseEvidence(first, second);
    if (!parsed.ok) return fail(ReceiptStatus.INVALID_TX, parsed.reason);
    const o = parsed.offence;
    if (o.height > env.height) return fail(ReceiptStatus.EVIDENCE_FUTURE_HEIGHT, `evidence for height ${o.height}, above this block's height ${env.height}`);
    const keys = this.sealerKeysAt(o.height);
    if (!keys) return fail(ReceiptStatus.EVIDENCE_NOT_SEALER, `no sealer set is known for height ${o.height}`);
    if (o.sender >= keys.length) return fail(ReceiptStatus.EVIDENCE_NOT_SEALER, `sender index ${o.sender} is not a sealer at height ${o.height} (${keys.length} sealers)`);
    const key = keys[o.sender];
    const sealer = addressOf(key);
    if (!offenceSignaturesOk(o, this.chainId, key, verify)) return fail(ReceiptStatus.EVIDENCE_BAD_SIGNATURE, `evidence: the signatures are not both sealer ${sealer}'s (index ${o.sender}) for chain "${this.chainId}"`);
    const existing = this.byOffence.get(offenceKey(sealer, o.height, o.view, o.kind));
    if (existing !== undefined) return fail(ReceiptStatus.EVIDENCE_DUPLICATE, `this offence (${o.kind} at height ${o.height}, view ${o.view} by ${sealer}) is already recorded as evidence ${existing}`);
    const id = this.counters.get(Counter.LAST_EVIDENCE_ID) + 1;
    this.counters.set(Counter.LAST_EVIDENCE_ID, id);
    this.table.set(id, { id, sealer, sealerKey: key, sealerIndex: o.sender, kind: o.kind, height: o.height, view: o.view, first, second, reporter, recordedAt: env.height });
    return OK;
  }

  /** The id of the committed record of an offence, if any. */
  offenceId(sealer: string, height: number, view: number, kind: EvidenceKind): number | undefined {
    const id = this.byOffence.get(offenceKey(sealer, height, view, kind));
    return id !== undefined && this.table.committed(id) ? id : undefined;
  }

  get(id: number): EvidenceView | null {
    const r = this.table.committed(id);
    return r ? evidenceView(r) : null;
  }

  /** Committed records, ascending id; of one sealer (address) when given. */
  list(sealer?: string): EvidenceView[] {
    const ids = sealer === undefined ? [...this.table.keys()] : [...(this.bySealer.get(sealer) ?? [])];
    ids.sort((a, b) => a - b);
    const out: EvidenceView[] = [];
    for (const id of ids) {
      const r = this.table.committed(id);
      if (r) out.push(evidenceView(r));
    }
    return out;
  }

  /** Committed record count per sealer address. */
  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const id of this.table.keys()) {
      const r = this.table.committed(id);
      if (r) m.set(r.sealer, (m.get(r.sealer) ?? 0) + 1);
    }
    return m;
  }
}

function evidenceView(r: EvidenceRec): EvidenceView {
  const p = parseEvidence(r.first, r.second);
  const hashes: [string, string] = p.ok ? [toHex(p.offence.hashes[0], true), toHex(p.offence.hashes[1], true)] : ['', ''];
  return {
    id: r.id,
    sealer: r.sealer,
    sealerKey: toHex(r.sealerKey, true),
    sealerIndex: r.sealerIndex,
    kind: r.kind,
    height: r.height,
    view: r.view,
    blockHashes: hashes,
    first: toHex(r.first, true),
    second: toHex(r.second, true),
    reporter: r.reporter,
    recordedAt: r.recordedAt,
  };
}
