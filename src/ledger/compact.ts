import { sha256 } from '../crypto/hash.ts';
import { BlockCodec } from '../codec/chain.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, payloadPosition } from '../codec/consensus.ts';
import type { ConsensusKind, ConsensusMessage } from '../codec/consensus.ts';
import { assembleBlock, decodeTx, type BlockCheckOptions, type DecodedBlock, type SignedTx } from '../chain/index.ts';
import { toHex } from '../util/bytes.ts';

/**
 * Compact proposals (docs/CONSENSUS.md, "Compact proposals"): a proposal (PRE-PREPARE, NEW-VIEW)
 * travels with its block as `compact` — the header and the tx ids — instead of the whole block,
 * and each receiver rebuilds the block from the txs its pool already holds (admitted, signature
 * checked, decoded once, from tx gossip). The txs it lacks it fetches from the leader or another
 * peer (the driver's I/O: node/proposals.ts over the p2p txs protocol, the simulator's network);
 * what arrives is decoded and kept only if it is one of the ids still missing. The rebuilt block
 * goes to the engine with the envelope (EngineInput 'message' `block`): chain/block.ts
 * `assembleBlock` checks it as `decodeBlock` would, so a tx root that does not match the ids'
 * txs, or a hash that is not the signed one, is refused like a bad full block.
 *
 * Deterministic and I/O-free: the same calls give the same answers (no clock: the driver bounds
 * the fetch in time and calls `abandon`). The block stored, its hash, the certificate and sync
 * are unchanged; WAL records carry full blocks (the engine signs and persists full envelopes;
 * `compact` rewrites only what goes on the wire).
 */

/** The txs the rebuild needs: a pool that finds an admitted tx by hash (`0x…` hex). */
export interface TxSource {
  get(hashHex: string): SignedTx | undefined;
}

export interface CompactOptions extends BlockCheckOptions {
  /**
   * Whether a compact proposal at (height, view) from sealer `sender` is worth rebuilding and
   * fetching for (the driver: the leader of that view, a height not yet decided). Otherwise it
   * goes to the engine as it is, which refuses it (not the leader, stale) without any fetch:
   * a sealer that is not the leader cannot make the others fetch. Default: every one.
   */
  wanted?: (height: number, view: number, sender: number) => boolean;
  /** Proposals waiting for txs at once (oldest dropped first); default 8. */
  maxPending?: number;
  /** Blocks whose txs are kept to answer fetches after the pool dropped them (finalized); default 8. */
  recentBlocks?: number;
}

/** What a received consensus message is for the engine. */
export type Expansion =
  /** Not a compact proposal: the bytes go to the engine as they are. */
  | { type: 'full' }
  /** Rebuilt: give the engine the bytes with this block. */
  | { type: 'ready'; block: DecodedBlock }
  /**
   * Waiting for `ids` (the engine sees nothing yet). `fresh` is false when the same message is
   * already waiting (a re-send): the driver's fetch in flight covers it. `sender` is the
   * envelope's sealer index (the leader: the first peer to ask).
   */
  | { type: 'missing'; key: string; ids: Uint8Array[]; sender: number; fresh: boolean }
  /** The compact attachment cannot describe a block of this chain (its header or its id count): dropped. */
  | { type: 'invalid'; reason: string };

/** After fetched txs were supplied. */
export type Supplied =
  | { type: 'ready'; bytes: Uint8Array; block: DecodedBlock }
  | { type: 'missing'; ids: Uint8Array[]; useful: number; useless: number }
  /** No such proposal waits (abandoned, dropped, or completed). */
  | { type: 'unknown' }
  /** Every tx is there but they do not make the announced block (wrong root, limits, duplicates). */
  | { type: 'invalid'; reason: string };

interface Pending {
  readonly bytes: Uint8Array;
  readonly header: Uint8Array;
  readonly ids: readonly Uint8Array[];
  readonly txs: (SignedTx | undefined)[];
  /** id hex (`0x…`) → index of each missing tx. */
  readonly missing: Map<string, number>;
}

export interface CompactStats {
  /** Proposals compacted on the way out. */
  compacted: number;
  /** Compact proposals received and rebuilt at once from the pool. */
  rebuilt: number;
  /** Compact proposals that had to wait for txs, and those completed after a fetch. */
  waited: number;
  completed: number;
  /** Txs found in the pool for a rebuild / missing from it. */
  txsFromPool: number;
  txsMissing: number;
  /** Missing txs found on this node after all: in its gossip admission backlog, or in the pool while the proposal waited. */
  txsLate: number;
  /** Fetched txs kept / refused (undecodable, not asked for, or a repeat). */
  txsFetched: number;
  txsRefused: number;
  /** Proposals given up (bound reached, dropped for room) and compact attachments that could not be a block. */
  abandoned: number;
  invalid: number;
}

const PROPOSAL_KINDS: ReadonlySet<ConsensusKind> = new Set(['prePrepare', 'newView']);

export class CompactProposals {
  private readonly opts: Required<Omit<CompactOptions, 'wanted'>> & Pick<CompactOptions, 'wanted'>;
  private readonly source: TxSource;
  private readonly pending = new Map<string, Pending>();
  /** Tx bytes of recent blocks by id hex (serve), and the block order for eviction. */
  private readonly recent = new Map<string, { bytes: Uint8Array; refs: number }>();
  private readonly recentOrder: { blockHex: string; keys: string[] }[] = [];
  private readonly recentBlocks = new Set<string>();
  private lastOut: { bytes: Uint8Array; out: Uint8Array } | null = null;
  readonly stats: CompactStats = { compacted: 0, rebuilt: 0, waited: 0, completed: 0, txsFromPool: 0, txsMissing: 0, txsLate: 0, txsFetched: 0, txsRefused: 0, abandoned: 0, invalid: 0 };

  constructor(opts: CompactOptions, source: TxSource) {
    this.opts = { maxPending: 8, recentBlocks: 8, ...opts };
    this.source = source;
  }

  /**
   * Outgoing: a signed envelope of `kind` as it goes on the wire. A proposal with a block attached
   * is rewritten with `compact` (header + tx ids) instead; anything else is returned as it is.
   * The block's txs are remembered to answer fetches. The signature is untouched (it never
   * covers the attachment).
   */
  compact(bytes: Uint8Array, kind: ConsensusKind): Uint8Array {
    if (!PROPOSAL_KINDS.has(kind)) return bytes;
    if (this.lastOut && this.lastOut.bytes === bytes) return this.lastOut.out; // a re-send
    const e = ConsensusMessageCodec.decode(bytes);
    if (!e.ok || e.value.block.length === 0) return bytes;
    const b = BlockCodec.decode(e.value.block);
    if (!b.ok) return bytes;
    const ids = b.value.txs.map((t) => sha256(t));
    this.remember(toHex(sha256(b.value.header)), b.value.txs, ids);
    const out = ConsensusMessageCodec.encode({ payload: e.value.payload, sender: e.value.sender, signature: e.value.signature, block: new Uint8Array(0), compact: { header: b.value.header, txIds: ids } });
    this.stats.compacted++;
    this.lastOut = { bytes, out };
    return out;
  }

  /**
   * Incoming: a consensus message that passed the gossip boundary (decodes, signed by a
   * sealer); `envelope` is its decoding there (`gossipCheck`), so it is not decoded again.
   */
  expand(bytes: Uint8Array, envelope?: ConsensusMessage): Expansion {
    let env = envelope;
    if (!env) {
      const e = ConsensusMessageCodec.decode(bytes);
      if (!e.ok) return { type: 'full' };
      env = e.value;
    }
    if (!env.compact) return { type: 'full' };
    const c = env.compact;
    if (this.opts.wanted) {
      const p = ConsensusPayloadCodec.decode(env.payload);
      if (!p.ok) return { type: 'full' };
      const pos = payloadPosition(p.value);
      if ((pos.kind !== 'prePrepare' && pos.kind !== 'newView') || !this.opts.wanted(pos.height, pos.view, env.sender)) return { type: 'full' };
    }
    if (c.txIds.length === 0 || c.txIds.length > this.opts.params.maxBlockTxs) {
      this.stats.invalid++;
      return { type: 'invalid', reason: `${c.txIds.length} tx ids (1..${this.opts.params.maxBlockTxs})` };
    }
    const key = toHex(sha256(bytes));
    const waiting = this.pending.get(key);
    if (waiting) return { type: 'missing', key, ids: [...waiting.missing.values()].map((i) => waiting.ids[i]), sender: env.sender, fresh: false };
    const txs: (SignedTx | undefined)[] = new Array(c.txIds.length);
    const missing = new Map<string, number>();
    for (let i = 0; i < c.txIds.length; i++) {
      const hex = toHex(c.txIds[i], true);
      const t = this.source.get(hex) ?? this.fromRecent(hex);
      if (t) txs[i] = t;
      else missing.set(hex, i);
    }
    this.stats.txsFromPool += c.txIds.length - missing.size;
    this.stats.txsMissing += missing.size;
    if (missing.size === 0) {
      const r = this.assemble(c.header, txs as SignedTx[]);
      if ('reason' in r) {
        this.stats.invalid++;
        return { type: 'invalid', reason: r.reason };
      }
      this.stats.rebuilt++;
      return { type: 'ready', block: r };
    }
    if (this.pending.size >= this.opts.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
      this.stats.abandoned++;
    }
    this.pending.set(key, { bytes, header: c.header, ids: c.txIds, txs, missing });
    this.stats.waited++;
    return { type: 'missing', key, ids: [...missing.values()].map((i) => c.txIds[i]), sender: env.sender, fresh: true };
  }

  /**
   * Fetched tx bytes for the proposal `key` (from any peer, in any order). Each is decoded with
   * the chain's limits and kept only if its hash is one the proposal still lacks; the rest is
   * refused (counted). When nothing is missing any more the block is assembled.
   */
  supply(key: string, fetched: readonly Uint8Array[], from: 'peer' | 'local' = 'peer'): Supplied {
    const p = this.pending.get(key);
    if (!p) return { type: 'unknown' };
    let useful = 0;
    let useless = 0;
    for (const bytes of fetched) {
      const d = bytes instanceof Uint8Array ? decodeTx(bytes, { chainId: this.opts.chainId, maxTxBytes: this.opts.params.maxTxBytes }) : null;
      const i = d && d.ok ? p.missing.get(d.value.hashHex) : undefined;
      if (i === undefined) {
        useless++;
        continue;
      }
      const tx = (d as { ok: true; value: SignedTx }).value;
      p.txs[i] = tx;
      p.missing.delete(tx.hashHex);
      useful++;
    }
    if (from === 'local') this.stats.txsLate += useful;
    else {
      this.stats.txsFetched += useful;
      this.stats.txsRefused += useless;
    }
    return this.finish(key, p, useful, useless);
  }

  private finish(key: string, p: Pending, useful: number, useless: number): Supplied {
    if (p.missing.size > 0) return { type: 'missing', ids: [...p.missing.values()].map((i) => p.ids[i]), useful, useless };
    this.pending.delete(key);
    const r = this.assemble(p.header, p.txs as SignedTx[]);
    if ('reason' in r) {
      this.stats.invalid++;
      return { type: 'invalid', reason: r.reason };
    }
    this.stats.completed++;
    return { type: 'ready', bytes: p.bytes, block: r };
  }

  /**
   * Looks the proposal's missing txs up in the pool again: under load a node's own tx gossip
   * admission can lag behind the proposal that lists those txs (they arrive while the fetch runs).
   */
  recheck(key: string): Supplied {
    const p = this.pending.get(key);
    if (!p) return { type: 'unknown' };
    const found: SignedTx[] = [];
    for (const hex of p.missing.keys()) {
      const t = this.source.get(hex);
      if (t) found.push(t);
    }
    if (found.length === 0) return { type: 'missing', ids: [...p.missing.values()].map((i) => p.ids[i]), useful: 0, useless: 0 };
    for (const t of found) {
      p.txs[p.missing.get(t.hashHex)!] = t;
      p.missing.delete(t.hashHex);
    }
    this.stats.txsFromPool += found.length;
    this.stats.txsLate += found.length;
    return this.finish(key, p, found.length, 0);
  }

  /** The driver gives up on `key` (its fetch bound passed): the engine never sees it and votes nothing. */
  abandon(key: string): void {
    if (this.pending.delete(key)) this.stats.abandoned++;
  }

  /** Proposals waiting for txs. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * The fetch server: the encoded txs among `ids` this node holds (pool first, then the txs of
   * recent blocks), each at most once, in request order, at most `maxBytes` in all.
   */
  serve(ids: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    let size = 0;
    for (const id of ids) {
      const hex = toHex(id, true);
      if (seen.has(hex)) continue;
      seen.add(hex);
      const bytes = this.source.get(hex)?.bytes ?? this.recent.get(hex)?.bytes;
      if (!bytes) continue;
      if (size + bytes.length + 8 > maxBytes) break;
      out.push(bytes);
      size += bytes.length + 8;
    }
    return out;
  }

  /** Keeps the txs of a block seen in full (rebuilt, built or finalized) to answer fetches. */
  noteBlock(block: DecodedBlock): void {
    this.remember(block.hashHex.slice(2), block.txs.map((t) => t.bytes), block.txs.map((t) => t.hash));
  }

  private remember(blockHex: string, txs: readonly Uint8Array[], ids: readonly Uint8Array[]): void {
    if (this.recentBlocks.has(blockHex)) return;
    this.recentBlocks.add(blockHex);
    const keys: string[] = [];
    for (let i = 0; i < txs.length; i++) {
      const hex = toHex(ids[i], true);
      const r = this.recent.get(hex);
      if (r) r.refs++;
      else this.recent.set(hex, { bytes: txs[i], refs: 1 });
      keys.push(hex);
    }
    this.recentOrder.push({ blockHex, keys });
    while (this.recentOrder.length > this.opts.recentBlocks) {
      const old = this.recentOrder.shift()!;
      this.recentBlocks.delete(old.blockHex);
      for (const k of old.keys) {
        const r = this.recent.get(k)!;
        if (--r.refs === 0) this.recent.delete(k);
      }
    }
  }

  private fromRecent(hex: string): SignedTx | undefined {
    const r = this.recent.get(hex);
    if (!r) return undefined;
    const d = decodeTx(r.bytes, { chainId: this.opts.chainId, maxTxBytes: this.opts.params.maxTxBytes });
    return d.ok ? d.value : undefined;
  }

  private assemble(header: Uint8Array, txs: SignedTx[]): DecodedBlock | { reason: string } {
    const r = assembleBlock(header, txs, { chainId: this.opts.chainId, params: this.opts.params });
    if (!r.ok) return { reason: r.error.message };
    this.noteBlock(r.value);
    return r.value;
  }
}
