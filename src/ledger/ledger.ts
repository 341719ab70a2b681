import { addressBytes, type KeyPair } from '../crypto/keys.ts';
import { toHex, equalBytes } from '../util/bytes.ts';
import { EdgeError, type Result, ok } from '../util/errors.ts';
import type { Genesis, CommitCertificate } from '../codec/types.ts';
import { buildBlock, encodeCertificate, genesisSealerSet, SealerSet, type DecodedBlock, type TxVerifier } from '../chain/index.ts';
import type { MembershipRec } from '../state/world.ts';
import { fromHex } from '../util/bytes.ts';
import type { WorldState } from '../state/world.ts';
import type { ExecutionResult } from '../state/interface.ts';
import type { BlockCommit, ChainStore } from '../storage/chain-store.ts';
import type { TxPool } from '../txpool/pool.ts';
import type { EngineInput, EngineOutput, EngineStatus } from '../consensus/types.ts';

export interface LedgerOptions {
  genesis: Genesis;
  /** Most txs this node puts in one proposal (also bounded by the chain's maxBlockTxs). */
  proposalMaxTxs: number;
  /** Most synced blocks applied (state advanced) but not yet on disk (see write). */
  syncWriteBehind: number;
}

export const DEFAULT_LEDGER_OPTIONS: Omit<LedgerOptions, 'genesis'> = { proposalMaxTxs: 1000, syncWriteBehind: 64 };

/** The consensus engine as the ledger drives it (src/consensus PbftEngine). */
export interface LedgerEngine {
  step(input: EngineInput): EngineOutput[];
  status(): EngineStatus;
}

/** Minimal logger shape; a pino child logger fits. */
export interface LedgerLogger {
  warn(o: object, m?: string): void;
}

export interface LedgerModules {
  /** The committed state (the ledger keeps at most one execution pending on it). */
  state: WorldState;
  /** Where finalized blocks are written (write). */
  store: Pick<ChainStore, 'commitBlock'>;
  pool: TxPool;
  engine: LedgerEngine;
  /** The signature cache the pool fills: block validation hits it. */
  verifier: Pick<TxVerifier, 'verify'>;
  /** This node's key (the proposer of the blocks it builds); null for an observer. */
  key: KeyPair | null;
  /** The clock (ms) for the answers the ledger feeds back to the engine. */
  now: () => number;
  /**
   * Called when the engine should hear about work again: executable work appeared or went
   * away, or arrived after a build that found nothing. The driver then calls
   * `step(ledger.workInput())` in its own order (never from inside this callback).
   */
  onWork: () => void;
  logger?: LedgerLogger | null;
}

/** A block the ledger finalized: state committed, pool updated, not yet stored (write). */
export interface FinalizedOutput {
  type: 'finalized';
  block: DecodedBlock;
  certificate: CommitCertificate;
  viaSync: boolean;
  result: ExecutionResult;
}

/** What the driver applies, in order: the engine's outputs other than the block life cycle, which the ledger answers itself. */
export type LedgerOutput = Exclude<EngineOutput, { type: 'request-build' | 'request-validate' | 'finalize' }> | FinalizedOutput;

/** What the ledger tells the engine about work (Ledger.work). */
const WORK_NONE = 0;
const WORK_SOME = 1;
const WORK_FULL = 2;

const WRITTEN = (): { durable: Promise<void> } => ({ durable: Promise.resolve() });

/** A cached execution of one block on top of the committed state (state holds it pending). */
interface PendingExec {
  hashHex: string;
  result: ExecutionResult;
}

/**
 * The block life cycle between the consensus engine and the state: build (leader), validate
 * (replica), the execution cache (a block executed for validation is reused at finalization),
 * finalize (consensus and sync), the write-behind of synced blocks, "is there work" for the
 * engine, and the sealer set of each height. It does no I/O of its own besides the store
 * writes it issues; the driver (src/node, or the simulator) owns the network, timers and WAL.
 */
export class Ledger {
  readonly opts: LedgerOptions;
  readonly state: WorldState;
  readonly store: Pick<ChainStore, 'commitBlock'>;
  readonly pool: TxPool;
  readonly engine: LedgerEngine;
  private readonly verifier: Pick<TxVerifier, 'verify'>;
  private readonly key: KeyPair | null;
  private readonly proposer: Uint8Array;
  private readonly now: () => number;
  private readonly onWork: () => void;
  private readonly log: LedgerLogger | null;
  private readonly sealers: SealerSet;
  /** Sealer sets built from membership entries, by from height (an entry never changes once committed). */
  private readonly setCache = new Map<number, { rec: MembershipRec; set: SealerSet }>();
  private readonly unsubscribe: () => void;
  private pending: PendingExec | null = null;
  /** Writes of synced blocks still in flight, oldest first. */
  private readonly syncWrites: Promise<void>[] = [];
  /** What the engine was last told about work (null: nothing yet): WORK_NONE, WORK_SOME or WORK_FULL. */
  private told: number | null = null;
  /** The value onWork was last called for and the engine has not heard yet (one call per change, not one per tx). */
  private asked: number | null = null;
  private closed = false;

  constructor(opts: Partial<LedgerOptions> & { genesis: Genesis }, modules: LedgerModules) {
    this.opts = {
      genesis: opts.genesis,
      proposalMaxTxs: opts.proposalMaxTxs ?? DEFAULT_LEDGER_OPTIONS.proposalMaxTxs,
      syncWriteBehind: opts.syncWriteBehind ?? DEFAULT_LEDGER_OPTIONS.syncWriteBehind,
    };
    this.state = modules.state;
    this.store = modules.store;
    this.pool = modules.pool;
    this.engine = modules.engine;
    this.verifier = modules.verifier;
    this.key = modules.key;
    this.proposer = modules.key ? addressBytes(modules.key.publicKey) : new Uint8Array(20);
    this.now = modules.now;
    this.onWork = modules.onWork;
    this.log = modules.logger ?? null;
    this.sealers = genesisSealerSet(this.opts.genesis);
    const changed = () => this.poolChanged();
    this.unsubscribe = this.pool.subscribe({ added: changed, removed: changed, promoted: changed });
  }

  /**
   * The sealer set that decides `height`, from the chain itself: the committed membership entry
   * in effect at that height (docs/GOVERNANCE.md). A change passed in block H is in effect from
   * H + 2 at the earliest, so a node whose state has committed h − 2 knows the set of h for
   * certain: the engine asks for its current height (committed + 1), a synced block's
   * certificate is checked against the set of its height before the block is applied. For a
   * height further ahead (gossip of a future height) the answer is the newest set known. A
   * state without membership entries (a data directory of before governance) answers the
   * genesis set.
   */
  sealersAt(height: number): SealerSet {
    const rec = this.state.membershipAt(height);
    if (!rec) return this.sealers;
    const hit = this.setCache.get(rec.fromHeight);
    if (hit && hit.rec === rec) return hit.set;
    const set = SealerSet.fromKeys(rec.sealers.map((s) => ({ name: s.name, publicKey: fromHex(s.publicKey)!, role: s.role })));
    this.setCache.set(rec.fromHeight, { rec, set });
    return set;
  }

  /** Executable work: txs a block could include now. Queued txs (waiting for a lower nonce) are not work. */
  hasWork(): boolean {
    return this.pool.executable > 0;
  }

  /** Executable txs that fill a block this node would build: a leader need not wait for more (EngineOptions.blockPeriodMs). */
  get fullBlockTxs(): number {
    return Math.min(this.opts.genesis.params.maxBlockTxs, this.opts.proposalMaxTxs);
  }

  /** No executable work, some, or a full block's worth. */
  private work(): number {
    const n = this.pool.executable;
    return n === 0 ? WORK_NONE : n >= this.fullBlockTxs ? WORK_FULL : WORK_SOME;
  }

  /** The 'work' input that tells the engine whether there is executable work now, and whether it fills a block. */
  workInput(): Extract<EngineInput, { type: 'work' }> {
    const w = this.work();
    return { type: 'work', now: this.now(), pending: w !== WORK_NONE, full: w === WORK_FULL };
  }

  /**
   * Steps the engine with `input` and answers its block requests in place (build, validate,
   * finalize), handing every other output to `sink` in order. `sink` returning false stops
   * the step there (the simulator's crash). A 'start' or 'work' input's `pending` and `full`
   * are replaced by the ledger's own answer (work). Throws NODE_DIVERGED when a finalized block does not
   * execute to its state root here.
   */
  step(input: EngineInput, sink: (o: LedgerOutput) => boolean | void): void {
    if (this.closed) return;
    if (input.type === 'work' || input.type === 'start') {
      const w = this.work();
      input = { ...input, pending: w !== WORK_NONE, full: w === WORK_FULL };
      this.told = w;
      this.asked = null;
    }
    this.run(input, sink);
  }

  private run(input: EngineInput, sink: (o: LedgerOutput) => boolean | void): boolean {
    for (const o of this.engine.step(input)) {
      if (this.closed) return false;
      switch (o.type) {
        case 'request-build': {
          const block = this.build(o.height, o.view, o.parentHash, o.timestamp);
          if (!this.run({ type: 'built', now: this.now(), height: o.height, view: o.view, block }, sink)) return false;
          if (!block && this.told !== WORK_NONE) {
            // Nothing to propose: the engine must not keep a view timer for work that is not
            // there, and hears of work again as soon as some arrives (poolChanged).
            this.told = WORK_NONE;
            this.asked = null;
            if (!this.run({ type: 'work', now: this.now(), pending: false }, sink)) return false;
          }
          break;
        }
        case 'request-validate': {
          const v = this.validate(o.block);
          if (!this.run({ type: 'validated', now: this.now(), hash: o.block.hash, ...v }, sink)) return false;
          break;
        }
        case 'finalize':
          if (sink(this.finalize(o.block, o.certificate, o.viaSync)) === false) return false;
          break;
        default:
          if (sink(o) === false) return false;
      }
    }
    return true;
  }

  private poolChanged(): void {
    if (this.closed || this.told === null) return;
    const w = this.work();
    if (w === this.told) this.asked = null;
    else if (w !== this.asked) {
      this.asked = w;
      this.onWork();
    }
  }

  /** Drops the pending execution, if any (the state returns to the committed one). */
  private dropPending(): void {
    if (!this.pending) return;
    this.state.revert();
    this.pending = null;
  }

  /** Executes a block on the committed state and keeps it pending; the pending execution of the same block is reused. */
  private execute(block: DecodedBlock): Result<ExecutionResult, EdgeError> {
    if (this.pending?.hashHex === block.hashHex) return ok(this.pending.result);
    this.dropPending();
    const h = block.header;
    const r = this.state.execute({ height: h.height, timestamp: h.timestamp, proposer: toHex(h.proposer, true) }, block.txs);
    if (r.ok) this.pending = { hashHex: block.hashHex, result: r.value };
    return r;
  }

  /** Leader: a block of executable pool txs on the committed state, or null when there is nothing to propose. */
  build(height: number, view: number, parentHash: Uint8Array, timestamp: number): DecodedBlock | null {
    if (!this.key) return null;
    const params = this.opts.genesis.params;
    const txs = this.pool.select({ maxTxs: Math.min(params.maxBlockTxs, this.opts.proposalMaxTxs), maxBytes: params.maxBlockBytes - 4096 });
    if (txs.length === 0) return null;
    this.dropPending();
    const r = this.state.execute({ height, timestamp, proposer: this.key.address }, txs);
    if (!r.ok) {
      this.log?.warn({ err: r.error.message, height }, 'could not execute the selected txs; proposing nothing');
      this.pool.recheckAll();
      return null;
    }
    const block = buildBlock(
      { chainId: this.opts.genesis.chainId, height, parentHash, timestamp, proposer: this.proposer, view, stateRoot: r.value.stateRoot, receiptRoot: r.value.receiptRoot },
      txs,
    );
    this.pending = { hashHex: block.hashHex, result: r.value };
    return block;
  }

  /** Replica: every tx signature (cached from pool admission), then re-execution on the committed state. */
  validate(block: DecodedBlock): { valid: boolean; stateRoot: Uint8Array | null; reason?: string } {
    for (const tx of block.txs) if (!this.verifier.verify(tx)) return { valid: false, stateRoot: null, reason: `bad signature on tx ${tx.hashHex}` };
    const r = this.execute(block);
    if (!r.ok) return { valid: false, stateRoot: null, reason: r.error.message };
    if (!equalBytes(r.value.receiptRoot, block.header.receiptRoot)) return { valid: false, stateRoot: r.value.stateRoot, reason: 'receipt root differs' };
    return { valid: true, stateRoot: r.value.stateRoot };
  }

  /**
   * A finalized block (by consensus, or synced with its certificate): executes it (or reuses
   * the validation's execution), checks the state root, commits the state and tells the pool.
   * The block is not on disk yet: the driver calls write() with the result at its place in the
   * output order. A block that does not execute to its root here means this node (or more than
   * f sealers) is broken: NODE_DIVERGED.
   */
  finalize(block: DecodedBlock, certificate: CommitCertificate, viaSync: boolean): FinalizedOutput {
    const height = block.header.height;
    // a block finalized by consensus was validated here (its signatures hit the verifier); a
    // synced block is only known by its certificate, so its signatures are checked now
    if (viaSync) for (const tx of block.txs) if (!this.verifier.verify(tx)) throw new EdgeError('NODE_DIVERGED', `synced block ${height} has a tx with a bad signature despite a valid certificate`);
    const r = this.execute(block);
    if (!r.ok) throw new EdgeError('NODE_DIVERGED', `finalized block ${height} does not execute here: ${r.error.message}`);
    if (!equalBytes(r.value.stateRoot, block.header.stateRoot)) throw new EdgeError('NODE_DIVERGED', `state root of finalized block ${height} differs from ours`);
    this.state.commit();
    this.pending = null;
    this.pool.onCommit(block.txs);
    this.pool.expireQueued();
    return { type: 'finalized', block, certificate, viaSync, result: r.value };
  }

  /**
   * Stores a finalized block (one atomic batch). A block finalized by consensus: resolves when
   * it is on disk. A synced block is written behind: resolves once there is room (at most
   * `syncWriteBehind` synced blocks applied but not on disk) with `durable`, the write itself;
   * the store writes the commits that queue up meanwhile as one group, in call order, so a
   * later WAL record or block never reaches the disk ahead of them. Call in finalize order.
   */
  write(f: FinalizedOutput): Promise<{ durable: Promise<void> }> {
    const { block, result: res } = f;
    const commit = { block, certificate: encodeCertificate(f.certificate), receipts: res.receiptBytes, writes: res.writes, retired: res.retired, stateRoot: res.stateRoot, failed: res.failed, pruneWalThroughHeight: block.header.height - 1 };
    // no async function here: a continuation would hold the commit until it runs (the
    // simulator, which is synchronous, would hold every block of a whole suite)
    if (!f.viaSync) return this.store.commitBlock(commit).then(WRITTEN);
    if (this.syncWrites.length < this.opts.syncWriteBehind) return Promise.resolve({ durable: this.writeBehind(commit) });
    return this.room().then(() => ({ durable: this.writeBehind(commit) }));
  }

  private writeBehind(commit: BlockCommit): Promise<void> {
    const durable = this.store.commitBlock(commit);
    this.syncWrites.push(durable);
    const settled = () => {
      const i = this.syncWrites.indexOf(durable);
      if (i >= 0) this.syncWrites.splice(i, 1);
    };
    durable.then(settled, settled);
    return durable;
  }

  /** Resolves once fewer than `syncWriteBehind` synced blocks are in flight (a failed write is the caller's: see durable). */
  private async room(): Promise<void> {
    while (this.syncWrites.length >= this.opts.syncWriteBehind) await this.syncWrites[0].catch(() => {});
  }

  /** Drops queued txs past their TTL (also done at every finalize); the driver calls it while idle. */
  housekeeping(): void {
    this.pool.expireQueued();
  }

  /** Stops answering: the pending execution is dropped and the pool no longer signals work. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.dropPending();
  }
}
