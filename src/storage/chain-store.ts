import { BlockHeaderCodec, FinalizedBlockCodec, LIMITS, TxCodec } from '../codec/chain.ts';
import { messageCodec } from '../codec/codec.ts';
import type { Block, BlockHeader, FinalizedBlock } from '../codec/types.ts';
import { blockHash, type DecodedBlock } from '../chain/block.ts';
import type { StateWrite } from '../state/interface.ts';
import { concatBytes, equalBytes, fromHex, readU64be, toHex, u32be, u64be } from '../util/bytes.ts';
import { addressBytes } from '../crypto/keys.ts';
import type { BatchOp, Database } from './interface.ts';
import { storageError } from './errors.ts';
import { MetaKey, Prefix, keys, prefixRange } from './keys.ts';

/** Version of the key layout and record encodings; a database of another version is refused. */
/** 2: adds the per-sender tx index (Prefix.TX_BY_SENDER); a schema-1 database is migrated on open. */
export const SCHEMA_VERSION = 2;

const HASH_LEN = 32;

// Reading back our own records: the bytes were encoded by us and LevelDB checksums them, so skip
// the canonical re-encode (it costs milliseconds on a 1,000-tx block). Limits still apply.
const StoredFinalizedCodec = messageCodec<FinalizedBlock>('FinalizedBlock', { maxBytes: LIMITS.finalizedBlock, canonical: false });
const StoredBlockCodec = messageCodec<Block>('Block', { maxBytes: LIMITS.block, canonical: false });

/** The last finalized block. */
export interface Head {
  height: number;
  hash: Uint8Array;
  /** State root after executing the head block (= its header's state root). */
  stateRoot: Uint8Array;
}

export interface Counters {
  /** Transactions in all finalized blocks. */
  totalTxs: number;
  /** Of those, how many have a failed receipt. */
  failedTxs: number;
}

export interface TxLocation {
  height: number;
  index: number;
}

/** A finalized block as stored, with its parts split out (header decoded). */
export interface StoredBlock {
  height: number;
  hash: Uint8Array;
  /** The encoded FinalizedBlock {block, certificate}: what sync serves. */
  finalized: Uint8Array;
  /** The encoded Block. */
  block: Uint8Array;
  headerBytes: Uint8Array;
  header: BlockHeader;
  /** Encoded txs, in block order. */
  txs: Uint8Array[];
  /** The encoded CommitCertificate (empty for block 0). */
  certificate: Uint8Array;
}

export interface StoredTx {
  bytes: Uint8Array;
  height: number;
  index: number;
}

export interface WalRecord {
  /** Sequence number: strictly increasing over the life of the database, never reused. */
  seq: number;
  /** The height the record belongs to (given by the writer). */
  height: number;
  bytes: Uint8Array;
}

export interface ChainStoreOptions {
  /** Refuse a database initialised with another genesis (STORAGE_GENESIS_MISMATCH), and commitGenesis of another one. */
  genesisHash?: Uint8Array;
  /** fsync each block commit (default true). WAL appends are always synced. */
  syncCommits?: boolean;
}

export interface GenesisCommit {
  genesisHash: Uint8Array;
  /** Block 0 (chain/genesis.ts genesisBlock): no txs, parent hash = genesis hash. */
  block: DecodedBlock;
  /** The initial state (accounts, roles), as state writes. */
  writes: StateWrite[];
  stateRoot: Uint8Array;
}

export interface BlockCommit {
  block: DecodedBlock;
  /** Encoded CommitCertificate. */
  certificate: Uint8Array;
  /** Encoded receipts, one per tx, in tx order. */
  receipts: Uint8Array[];
  /** The block's state write set (value null = delete). */
  writes: StateWrite[];
  /** Rows the block retired from the state, with their final values (archived under Prefix.RETIRED). */
  retired?: StateWrite[];
  /** State root after the block (must equal the header's). */
  stateRoot: Uint8Array;
  /** Number of failed receipts. */
  failed: number;
  /** Also delete, in the same batch, WAL records of heights <= this. */
  pruneWalThroughHeight?: number;
}

/** Most blocks one group commit writes (a bound on the batch, not a tuning knob). */
const MAX_GROUP_BLOCKS = 256;

interface CommitGroup {
  items: { input: BlockCommit; resolve: () => void; reject: (e: unknown) => void }[];
  /** Its write has begun: later commits start a new group. */
  started: boolean;
  /** serialSeq of its write task. */
  seq: number;
}

function encodeHead(h: Head): Uint8Array {
  return concatBytes(u64be(h.height), h.hash, h.stateRoot);
}

function decodeHead(b: Uint8Array): Head | null {
  if (b.length !== 8 + 2 * HASH_LEN) return null;
  return { height: readU64be(b), hash: b.slice(8, 8 + HASH_LEN), stateRoot: b.slice(8 + HASH_LEN) };
}

function encodeCounters(c: Counters): Uint8Array {
  return concatBytes(u64be(c.totalTxs), u64be(c.failedTxs));
}

function decodeCounters(b: Uint8Array): Counters | null {
  if (b.length !== 16) return null;
  return { totalTxs: readU64be(b), failedTxs: readU64be(b, 8) };
}

function addressBytesOf(sender: string): Uint8Array {
  const a = fromHex(sender);
  if (!a || a.length !== 20) throw badInput(`tx sender ${sender} is not an address`);
  return a;
}

function encodeSenderEntry(timestamp: number, blockHash: Uint8Array, tx: Uint8Array): Uint8Array {
  return concatBytes(u64be(timestamp), blockHash, tx);
}

/** One finalized tx of a sender, from the per-sender index (no block read). */
export interface SenderTx {
  height: number;
  index: number;
  timestamp: number;
  blockHash: Uint8Array;
  bytes: Uint8Array;
}

/** Schema 1 → 2: builds the per-sender index from the stored blocks, then records schema 2 (in batches; re-runnable). */
async function migrateSenderIndex(db: Database): Promise<void> {
  let ops: BatchOp[] = [];
  for await (const [k, v] of db.iterate(prefixRange(Prefix.BLOCK_BY_HEIGHT))) {
    const height = readU64be(k, 1);
    if (height === 0) continue;
    const f = StoredFinalizedCodec.decode(v);
    if (!f.ok) throw corrupt(`block ${height}: ${f.error.message}`, { height });
    const b = StoredBlockCodec.decode(f.value.block);
    if (!b.ok) throw corrupt(`block ${height}: ${b.error.message}`, { height });
    const h = BlockHeaderCodec.decode(b.value.header);
    if (!h.ok) throw corrupt(`block ${height} header: ${h.error.message}`, { height });
    const hash = blockHash(b.value.header);
    b.value.txs.forEach((raw, i) => {
      const t = TxCodec.decode(plain(raw));
      if (!t.ok) throw corrupt(`block ${height} tx ${i}: ${t.error.message}`, { height });
      ops.push({ type: 'put', key: keys.txBySender(addressBytes(t.value.publicKey), height, i), value: encodeSenderEntry(h.value.timestamp, hash, plain(raw)) });
    });
    if (ops.length >= 5000) {
      await db.batch(ops);
      ops = [];
    }
  }
  ops.push({ type: 'put', key: keys.meta(MetaKey.SCHEMA), value: u32be(SCHEMA_VERSION) });
  await db.batch(ops);
}

function encodeLocation(l: TxLocation): Uint8Array {
  return concatBytes(u64be(l.height), u32be(l.index));
}

function decodeLocation(b: Uint8Array): TxLocation | null {
  if (b.length !== 12) return null;
  return { height: readU64be(b), index: new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(8, false) };
}

/** A plain Uint8Array over the same memory (protobufjs decodes bytes fields as Buffers on Node). */
function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const corrupt = (what: string, data: Record<string, unknown> = {}) => storageError('STORAGE_CORRUPT', what, data);
const badInput = (what: string, data: Record<string, unknown> = {}) => storageError('STORAGE_BAD_INPUT', what, data);

/** The stored WAL records in append order: key = prefix || u64be(seq), value = u64be(height) || record. */
async function* walEntries(db: Database): AsyncIterable<WalRecord> {
  for await (const [k, v] of db.iterate(prefixRange(Prefix.WAL))) {
    if (k.length !== 9 || v.length < 8) throw corrupt('WAL record');
    yield { seq: readU64be(k, 1), height: readU64be(v), bytes: v.subarray(8) };
  }
}

/**
 * The node's chain database: finalized blocks, tx index, receipts, state, head, counters
 * and the consensus WAL, over one Database. Each finalized block is written by ONE atomic
 * batch (block, hash index, tx locations, receipts, state writes, counters, head), so after
 * a crash the database holds either the old head with all its data or the new one.
 *
 * Writes are serialised in call order; reads go straight to the database.
 */
export class ChainStore {
  private readonly db: Database;
  private readonly syncCommits: boolean;
  private expectedGenesis: Uint8Array | undefined;
  private cachedHead: Head | undefined;
  private cachedCounters: Counters;
  private walIndex: { seq: number; height: number }[];
  private walNext: number;
  private writes: Promise<unknown> = Promise.resolve();
  /** Number of serial tasks queued so far (a commit group is joinable while it is the last one). */
  private serialSeq = 0;
  /** The block commits waiting for their (shared) write, see commitBlock. */
  private openGroup: CommitGroup | null = null;
  private closed = false;

  private constructor(db: Database, opts: ChainStoreOptions, state: { genesis?: Uint8Array; head?: Head; counters: Counters; walIndex: { seq: number; height: number }[]; walNext: number }) {
    this.db = db;
    this.syncCommits = opts.syncCommits ?? true;
    this.expectedGenesis = state.genesis ?? opts.genesisHash;
    this.cachedHead = state.head;
    this.cachedCounters = state.counters;
    this.walIndex = state.walIndex;
    this.walNext = state.walNext;
  }

  /**
   * Opens the store on `db`: checks the schema version, the genesis hash (when given) and that
   * the head block is present; loads head, counters and the WAL index. An empty database opens
   * with no head (call commitGenesis). Throws a StorageError; the caller still owns `db` then.
   */
  static async open(db: Database, opts: ChainStoreOptions = {}): Promise<ChainStore> {
    if (opts.genesisHash && opts.genesisHash.length !== HASH_LEN) throw badInput('genesisHash must be 32 bytes');
    const [schemaB, genesisB, headB, countersB, walNextB] = await Promise.all([
      db.get(keys.meta(MetaKey.SCHEMA)),
      db.get(keys.meta(MetaKey.GENESIS)),
      db.get(keys.meta(MetaKey.HEAD)),
      db.get(keys.meta(MetaKey.COUNTERS)),
      db.get(keys.meta(MetaKey.WAL_NEXT)),
    ]);
    if (schemaB !== undefined) {
      const v = schemaB.length === 4 ? new DataView(schemaB.buffer, schemaB.byteOffset, 4).getUint32(0, false) : -1;
      if (v === 1) await migrateSenderIndex(db);
      else if (v !== SCHEMA_VERSION) throw storageError('STORAGE_SCHEMA_MISMATCH', `database schema version ${v}, this node reads ${SCHEMA_VERSION}`, { found: v, expected: SCHEMA_VERSION });
    }
    if (genesisB !== undefined && opts.genesisHash && !equalBytes(genesisB, opts.genesisHash)) {
      throw storageError('STORAGE_GENESIS_MISMATCH', `the database belongs to genesis ${toHex(genesisB, true)}, not ${toHex(opts.genesisHash, true)}`, {
        found: toHex(genesisB, true),
        expected: toHex(opts.genesisHash, true),
      });
    }
    let head: Head | undefined;
    let counters: Counters = { totalTxs: 0, failedTxs: 0 };
    const initialised = [schemaB, genesisB, headB, countersB].filter((b) => b !== undefined).length;
    if (initialised !== 0) {
      if (initialised !== 4) throw corrupt('meta records incomplete (schema, genesis, head, counters)');
      if (genesisB!.length !== HASH_LEN) throw corrupt('genesis hash record');
      head = decodeHead(headB!) ?? undefined;
      if (!head) throw corrupt('head record');
      const c = decodeCounters(countersB!);
      if (!c) throw corrupt('counters record');
      counters = c;
      const top = await db.get(keys.blockByHeight(head.height));
      if (top === undefined) throw corrupt(`head block ${head.height} is missing`, { height: head.height });
    }
    const walIndex: { seq: number; height: number }[] = [];
    for await (const r of walEntries(db)) walIndex.push({ seq: r.seq, height: r.height });
    let walNext = walNextB !== undefined && walNextB.length === 8 ? readU64be(walNextB) : 0;
    if (walIndex.length > 0) walNext = Math.max(walNext, walIndex[walIndex.length - 1].seq + 1);
    return new ChainStore(db, opts, { genesis: genesisB, head, counters, walIndex, walNext });
  }

  /** The last finalized block, or undefined before commitGenesis. */
  head(): Head | undefined {
    const h = this.cachedHead;
    return h && { height: h.height, hash: h.hash.slice(), stateRoot: h.stateRoot.slice() };
  }

  /** The genesis hash this database belongs to (or was opened to expect). */
  genesisHash(): Uint8Array | undefined {
    return this.expectedGenesis?.slice();
  }

  counters(): Counters {
    return { ...this.cachedCounters };
  }

  private assertOpen(): void {
    if (this.closed) throw storageError('STORAGE_CLOSED', 'the chain store is closed');
  }

  /** Runs write tasks one at a time, in call order; a failed task does not block the next. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    this.serialSeq++;
    const p = this.writes.then(() => {
      this.assertOpen();
      return task();
    });
    this.writes = p.catch(() => undefined);
    return p;
  }

  private static stateOps(writes: StateWrite[]): BatchOp[] {
    return writes.map((w) => (w.value === null ? { type: 'del', key: keys.state(w.key) } : { type: 'put', key: keys.state(w.key), value: w.value }));
  }

  /** Writes block 0, the initial state, schema, genesis hash, head and zero counters in one batch. */
  commitGenesis(input: GenesisCommit): Promise<void> {
    return this.serial(async () => {
      if (this.cachedHead) throw storageError('STORAGE_ALREADY_INITIALIZED', `the database already has a chain (head ${this.cachedHead.height})`);
      const { block, genesisHash } = input;
      if (genesisHash.length !== HASH_LEN) throw badInput('genesisHash must be 32 bytes');
      if (this.expectedGenesis && !equalBytes(this.expectedGenesis, genesisHash)) {
        throw storageError('STORAGE_GENESIS_MISMATCH', `store expects genesis ${toHex(this.expectedGenesis, true)}, got ${toHex(genesisHash, true)}`);
      }
      if (block.header.height !== 0) throw storageError('STORAGE_BAD_HEIGHT', `genesis block has height ${block.header.height}, expected 0`, { height: block.header.height, expected: 0 });
      if (!equalBytes(block.header.parentHash, genesisHash)) throw storageError('STORAGE_BAD_PARENT', 'block 0 parent hash must be the genesis hash');
      if (block.txs.length !== 0) throw badInput('block 0 carries no txs');
      this.checkRoot(block, input.stateRoot);
      const head: Head = { height: 0, hash: block.hash, stateRoot: input.stateRoot };
      const counters: Counters = { totalTxs: 0, failedTxs: 0 };
      const ops: BatchOp[] = [
        { type: 'put', key: keys.meta(MetaKey.SCHEMA), value: u32be(SCHEMA_VERSION) },
        { type: 'put', key: keys.meta(MetaKey.GENESIS), value: genesisHash },
        { type: 'put', key: keys.blockByHeight(0), value: FinalizedBlockCodec.encode({ block: block.bytes, certificate: new Uint8Array(0) }) },
        { type: 'put', key: keys.heightByHash(block.hash), value: u64be(0) },
        ...ChainStore.stateOps(input.writes),
        { type: 'put', key: keys.meta(MetaKey.COUNTERS), value: encodeCounters(counters) },
        { type: 'put', key: keys.meta(MetaKey.HEAD), value: encodeHead(head) },
      ];
      await this.db.batch(ops, { sync: this.syncCommits });
      this.expectedGenesis = genesisHash.slice();
      this.cachedHead = { height: 0, hash: head.hash.slice(), stateRoot: head.stateRoot.slice() };
      this.cachedCounters = counters;
    });
  }

  private checkRoot(block: DecodedBlock, stateRoot: Uint8Array): void {
    if (stateRoot.length !== HASH_LEN) throw badInput('stateRoot must be 32 bytes');
    if (!equalBytes(block.header.stateRoot, stateRoot)) throw badInput(`state root ${toHex(stateRoot, true)} is not the header's ${toHex(block.header.stateRoot, true)}`);
  }

  /**
   * Commits a finalized block in ONE atomic batch: the FinalizedBlock, hash → height,
   * tx locations, receipts, state writes, counters and the new head (plus optional WAL pruning).
   * Throws (programmer error) unless height = head + 1 and parent hash = head hash.
   * If the batch fails, nothing was written and head() is unchanged.
   *
   * Group commit: blocks committed while an earlier write is still running (a caller that does
   * not await each commit, e.g. sync) are written together by the next write: one atomic,
   * fsynced batch for all of them, so after a crash the database holds a prefix of the commits
   * (never a later block without an earlier one). Only consecutive commitBlock calls are
   * grouped; any other write (WAL, genesis) keeps its place in the call order. The outcome of
   * each call is what it would be written alone: a commit that fails its checks is refused and
   * the next one is checked against the head before it.
   */
  commitBlock(input: BlockCommit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const g = this.openGroup;
      if (g && !g.started && g.seq === this.serialSeq && g.items.length < MAX_GROUP_BLOCKS) {
        g.items.push({ input, resolve, reject });
        return;
      }
      const group: CommitGroup = { items: [{ input, resolve, reject }], started: false, seq: 0 };
      this.openGroup = group;
      this.serial(() => this.writeGroup(group)).catch((e) => {
        // the task did not run (store closed) or broke before settling every commit
        group.started = true;
        if (this.openGroup === group) this.openGroup = null;
        for (const item of group.items) item.reject(e);
      });
      group.seq = this.serialSeq;
    });
  }

  private async writeGroup(group: CommitGroup): Promise<void> {
    group.started = true;
    if (this.openGroup === group) this.openGroup = null;
    let head = this.cachedHead;
    let counters = this.cachedCounters;
    let pruneThrough: number | undefined;
    const ops: BatchOp[] = [];
    const accepted: CommitGroup['items'] = [];
    for (const item of group.items) {
      try {
        const { block } = item.input;
        if (!head) throw storageError('STORAGE_NOT_INITIALIZED', 'commitGenesis first');
        const height = block.header.height;
        if (height !== head.height + 1) throw storageError('STORAGE_BAD_HEIGHT', `block height ${height}, expected ${head.height + 1}`, { height, expected: head.height + 1 });
        if (!equalBytes(block.header.parentHash, head.hash)) {
          throw storageError('STORAGE_BAD_PARENT', `block ${height} parent ${toHex(block.header.parentHash, true)} is not head ${toHex(head.hash, true)}`, { height });
        }
        const { receipts, failed } = item.input;
        if (receipts.length !== block.txs.length) throw badInput(`${receipts.length} receipts for ${block.txs.length} txs`);
        if (!Number.isSafeInteger(failed) || failed < 0 || failed > block.txs.length) throw badInput(`failed count ${failed} out of range`);
        this.checkRoot(block, item.input.stateRoot);
        ops.push(
          { type: 'put', key: keys.blockByHeight(height), value: FinalizedBlockCodec.encode({ block: block.bytes, certificate: item.input.certificate }) },
          { type: 'put', key: keys.heightByHash(block.hash), value: u64be(height) },
        );
        for (let i = 0; i < block.txs.length; i++) {
          const h = block.txs[i].hash;
          ops.push({ type: 'put', key: keys.txLocation(h), value: encodeLocation({ height, index: i }) });
          ops.push({ type: 'put', key: keys.receipt(h), value: receipts[i] });
          ops.push({ type: 'put', key: keys.txBySender(addressBytesOf(block.txs[i].sender), height, i), value: encodeSenderEntry(block.header.timestamp, block.hash, block.txs[i].bytes) });
        }
        ops.push(...ChainStore.stateOps(item.input.writes));
        for (const w of item.input.retired ?? []) if (w.value) ops.push({ type: 'put', key: keys.retired(w.key), value: w.value });
        if (item.input.pruneWalThroughHeight !== undefined) pruneThrough = Math.max(pruneThrough ?? -1, item.input.pruneWalThroughHeight);
        head = { height, hash: block.hash, stateRoot: item.input.stateRoot };
        counters = { totalTxs: counters.totalTxs + block.txs.length, failedTxs: counters.failedTxs + failed };
        accepted.push(item);
      } catch (e) {
        item.reject(e);
      }
    }
    if (accepted.length === 0 || !head) return;
    const pruned = pruneThrough !== undefined ? this.walMatching({ throughHeight: pruneThrough }) : [];
    for (const r of pruned) ops.push({ type: 'del', key: keys.wal(r.seq) });
    // counters and head once, with their values after the last block of the group
    ops.push({ type: 'put', key: keys.meta(MetaKey.COUNTERS), value: encodeCounters(counters) });
    ops.push({ type: 'put', key: keys.meta(MetaKey.HEAD), value: encodeHead(head) });
    try {
      await this.db.batch(ops, { sync: this.syncCommits });
    } catch (e) {
      for (const item of accepted) item.reject(e);
      return;
    }
    this.cachedHead = { height: head.height, hash: head.hash.slice(), stateRoot: head.stateRoot.slice() };
    this.cachedCounters = counters;
    this.forgetWal(pruned);
    for (const item of accepted) item.resolve();
  }

  // ---- reads ----

  /** The encoded FinalizedBlock at `height`, as stored. */
  async getFinalizedBlock(height: number): Promise<Uint8Array | undefined> {
    this.assertOpen();
    if (!Number.isSafeInteger(height) || height < 0) return undefined;
    return this.db.get(keys.blockByHeight(height));
  }

  /**
   * Up to `count` encoded FinalizedBlocks from `from`, read one at a time and stopping as soon
   * as the next would take the total past `maxBytes` (each block counted with `perBlockOverhead`
   * more bytes): a peer's request for a range costs at most the budget plus one block of
   * memory, however large the blocks. The first block is returned even when it alone is over
   * the budget, so the caller can tell "too large" from "none".
   */
  async getFinalizedRange(from: number, count: number, maxBytes: number, perBlockOverhead = 0): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let size = 0;
    for (let h = from; h < from + count; h++) {
      const b = await this.getFinalizedBlock(h);
      if (!b) break;
      if (size + b.length + perBlockOverhead > maxBytes) {
        if (out.length === 0) out.push(b);
        break;
      }
      out.push(b);
      size += b.length + perBlockOverhead;
    }
    return out;
  }

  async getBlockByHeight(height: number): Promise<StoredBlock | undefined> {
    const finalized = await this.getFinalizedBlock(height);
    return finalized === undefined ? undefined : ChainStore.splitBlock(height, finalized);
  }

  async getBlockByHash(hash: Uint8Array): Promise<StoredBlock | undefined> {
    const height = await this.getBlockHeight(hash);
    return height === undefined ? undefined : this.getBlockByHeight(height);
  }

  /** Height of the block with this hash (one get). */
  async getBlockHeight(hash: Uint8Array): Promise<number | undefined> {
    this.assertOpen();
    const b = await this.db.get(keys.heightByHash(hash));
    if (b === undefined) return undefined;
    if (b.length !== 8) throw corrupt('block hash index record', { hash: toHex(hash, true) });
    return readU64be(b);
  }

  private static splitBlock(height: number, finalized: Uint8Array): StoredBlock {
    const f = StoredFinalizedCodec.decode(finalized);
    if (!f.ok) throw corrupt(`block ${height}: ${f.error.message}`, { height });
    const b = StoredBlockCodec.decode(f.value.block);
    if (!b.ok) throw corrupt(`block ${height}: ${b.error.message}`, { height });
    const h = BlockHeaderCodec.decode(b.value.header);
    if (!h.ok) throw corrupt(`block ${height} header: ${h.error.message}`, { height });
    if (h.value.height !== height) throw corrupt(`block stored at ${height} has height ${h.value.height}`, { height });
    return {
      height,
      hash: blockHash(b.value.header),
      finalized,
      block: plain(f.value.block),
      headerBytes: plain(b.value.header),
      header: h.value,
      txs: b.value.txs.map(plain),
      certificate: plain(f.value.certificate),
    };
  }

  /** Where a tx was finalized (one get). */
  async getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    this.assertOpen();
    const b = await this.db.get(keys.txLocation(txHash));
    if (b === undefined) return undefined;
    const l = decodeLocation(b);
    if (!l) throw corrupt('tx location record', { tx: toHex(txHash, true) });
    return l;
  }

  /** The block holding a finalized tx and the tx's index in it (two gets: location, block). */
  async getTxBlock(txHash: Uint8Array): Promise<{ block: StoredBlock; index: number } | undefined> {
    const loc = await this.getTxLocation(txHash);
    if (!loc) return undefined;
    const block = await this.getBlockByHeight(loc.height);
    if (!block || loc.index >= block.txs.length) throw corrupt(`tx ${toHex(txHash, true)} points at a missing block or index`, { ...loc });
    return { block, index: loc.index };
  }

  /** The encoded tx and its location (two gets: location, block). */
  async getTx(txHash: Uint8Array): Promise<StoredTx | undefined> {
    const t = await this.getTxBlock(txHash);
    return t && { bytes: t.block.txs[t.index], height: t.block.height, index: t.index };
  }

  /**
   * Finalized txs sent by `sender` (20 bytes) in blocks below `beforeHeight`, newest first:
   * at most `limit`, then the rest of the last block's (a block's txs are never split across
   * pages; hard cap `limit + maxExtra`). Reads only index entries, never a block.
   */
  async getTxsBySender(sender: Uint8Array, opts: { beforeHeight: number; limit: number; maxExtra?: number }): Promise<SenderTx[]> {
    this.assertOpen();
    if (sender.length !== 20) throw badInput('sender must be 20 bytes');
    const out: SenderTx[] = [];
    const hardCap = opts.limit + (opts.maxExtra ?? 1000);
    const before = Math.max(0, Math.min(opts.beforeHeight, Number.MAX_SAFE_INTEGER));
    for await (const [k, v] of this.db.iterate({ ...keys.txBySenderRange(sender, before), reverse: true })) {
      const height = readU64be(k, 21);
      if (out.length >= hardCap || (out.length >= opts.limit && height !== out[out.length - 1].height)) break;
      const index = new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(29, false);
      if (v.length < 8 + HASH_LEN) throw corrupt('sender index entry', { height, index });
      out.push({ height, index, timestamp: readU64be(v), blockHash: v.slice(8, 8 + HASH_LEN), bytes: v.slice(8 + HASH_LEN) });
    }
    return out;
  }

  /** The encoded Receipt of a finalized tx (one get). */
  async getReceipt(txHash: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.db.get(keys.receipt(txHash));
  }

  /** The final value of a row retired from the state (an ended lease), if any. */
  async getRetired(stateKey: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.db.get(keys.retired(stateKey));
  }

  /** One state entry (key without the prefix). */
  async getState(stateKey: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.db.get(keys.state(stateKey));
  }

  /** Every state entry in key order, keys without the prefix (for WorldState.load). */
  async *iterateState(): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.assertOpen();
    for await (const [k, v] of this.db.iterate(prefixRange(Prefix.STATE))) yield [k.subarray(1), v];
  }

  // ---- consensus WAL ----

  /** Appends an opaque record for `height`, synced to disk before resolving. Returns its sequence number. */
  walAppend(record: Uint8Array, height: number): Promise<number> {
    return this.serial(async () => {
      if (!(record instanceof Uint8Array)) throw badInput('WAL record must be bytes');
      if (!Number.isSafeInteger(height) || height < 0) throw badInput(`WAL height ${height} invalid`);
      const seq = this.walNext;
      await this.db.batch(
        [
          { type: 'put', key: keys.wal(seq), value: concatBytes(u64be(height), record) },
          { type: 'put', key: keys.meta(MetaKey.WAL_NEXT), value: u64be(seq + 1) },
        ],
        { sync: true },
      );
      this.walNext = seq + 1;
      this.walIndex.push({ seq, height });
      return seq;
    });
  }

  /** Every WAL record, in append order. */
  async walRecords(): Promise<WalRecord[]> {
    this.assertOpen();
    const out: WalRecord[] = [];
    for await (const r of walEntries(this.db)) out.push(r);
    return out;
  }

  /** Deletes WAL records with seq < belowSeq and/or height <= throughHeight. Returns how many. */
  walPrune(opts: { belowSeq?: number; throughHeight?: number }): Promise<number> {
    return this.serial(async () => {
      const drop = this.walMatching(opts);
      if (drop.length === 0) return 0;
      await this.db.batch(drop.map((r) => ({ type: 'del', key: keys.wal(r.seq) })));
      this.forgetWal(drop);
      return drop.length;
    });
  }

  /** WAL records with seq < belowSeq and/or height <= throughHeight. */
  private walMatching(opts: { belowSeq?: number; throughHeight?: number }): typeof this.walIndex {
    return this.walIndex.filter(
      (r) => (opts.belowSeq !== undefined && r.seq < opts.belowSeq) || (opts.throughHeight !== undefined && r.height <= opts.throughHeight),
    );
  }

  /** Drops deleted records from the in-memory WAL index (after their batch is written). */
  private forgetWal(deleted: readonly { seq: number }[]): void {
    if (deleted.length === 0) return;
    const gone = new Set(deleted.map((r) => r.seq));
    this.walIndex = this.walIndex.filter((r) => !gone.has(r.seq));
  }

  /** Waits for pending writes, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writes;
    this.closed = true;
    await this.db.close();
  }
}
