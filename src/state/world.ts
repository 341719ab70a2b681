import { sha256, ZERO_HASH } from '../crypto/hash.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import type { Genesis, Receipt } from '../codec/types.ts';
import type { SignedTx } from '../chain/tx.ts';
import { newDomains, rulesOf, tablesOf, type ChainRules, type Domains } from '../domain/index.ts';
import type { EvidenceKind, EvidenceView } from '../domain/evidence.ts';
import type { ChannelStatus, ChannelView, VoucherVerdict } from '../domain/channels.ts';
import { decodeVoucher } from '../domain/vouchers.ts';
import type { BlockEnv } from '../domain/leases.ts';
import { addrBytes } from '../domain/address.ts';
import type { AccountView } from '../domain/accounts.ts';
import type { DeviceView } from '../domain/devices.ts';
import type { EdgeNodePage, EdgeNodeView } from '../domain/edge-nodes.ts';
import type { LeaseView } from '../domain/leases.ts';
import { leaseKey } from '../domain/keys.ts';
import type { MembershipRec, ProposalView } from '../domain/governance.ts';
import { StateError, stateError } from '../domain/errors.ts';
import { ReceiptStatus, buildReceipt, encodeReceipt } from '../domain/receipts.ts';
import type { MatchQuery } from '../domain/spatial.ts';
import { corrupt, type StateTable, type StateWrite } from '../domain/table.ts';
import { applyPayload } from '../kinds/registry.ts';
import { compareBytes, equalBytes, toHex } from '../util/bytes.ts';
import { type Result, ok, err } from '../util/errors.ts';
import type { BlockContext, ExecutionResult, StateView } from './interface.ts';
import { applyWrites, buildTree, rootOf } from './auth.ts';
import { branchesMade, pathOfKey, proveKey, proveRange, rangePrefix, type KeyProof, type RangeProof, type SmtNode } from './smt.ts';

export { encodeWriteSet, writeSetChainRoot } from './root.ts';
export type { AccountRole, AccountView } from '../domain/accounts.ts';
export type { DeviceView } from '../domain/devices.ts';
export type { NodeRec, EdgeNodeView, EdgeNodePage } from '../domain/edge-nodes.ts';
export type { LeaseStatus, LeaseView } from '../domain/leases.ts';
export type { ChannelStatus, ChannelView, VoucherVerdict } from '../domain/channels.ts';
export type { ChainRules } from '../domain/index.ts';
export type { EvidenceKind, EvidenceView } from '../domain/evidence.ts';
export type { MembershipRec, ProposalView, SealerRec, CompanyRec, ObserverRec } from '../domain/governance.ts';

/**
 * The native state: a dispatcher over the domain modules (accounts, devices, edge nodes with
 * their matching index, leases; src/domain/) and the state root. `execute` runs a block's txs
 * through the kind registry (src/kinds/) with every table journaled; `commit` or `revert` ends
 * it. Queries answer from the committed state even while an execution is pending.
 */
/** Committed heights whose authenticated state stays provable (proofs and queries at a past height): at most this many. */
export const STATE_RETENTION = 64;

/**
 * How many past heights' trees are kept for proofs (docs/VERIFY.md "retention"): at most
 * `maxHeights`, and fewer when the tree nodes their blocks made pass `nodes` — but never fewer
 * than `minHeights`. A block of hundreds of txs makes thousands to tens of thousands of nodes
 * (~120 B each): at 1,000 matches per block the 64-height window held ~75 MB of live heap, the
 * budget halves it (docs/VERIFY.md "Retention").
 */
export interface StateRetention {
  maxHeights: number;
  minHeights: number;
  nodes: number;
}

export const DEFAULT_RETENTION: StateRetention = { maxHeights: STATE_RETENTION, minHeights: 16, nodes: 400_000 };

export class WorldState implements StateView {
  private _height = 0;
  private _root: Uint8Array = ZERO_HASH;
  private readonly d: Domains;
  private readonly tables: StateTable[];
  private readonly byPrefix: Map<number, StateTable>;
  private open = false;
  private pending: ExecutionResult | null = null;
  /** Lease ids expired at the start of the last executed block (ascending end time, then id). */
  private _expired: number[] = [];
  /** The authenticated state tree of the committed state, and of the pending execution. */
  private tree: SmtNode | null = null;
  private pendingTree: SmtNode | null = null;
  /** Trees of recent committed heights (proofs and queries at a past height; docs/VERIFY.md). */
  private readonly history = new Map<number, SmtNode | null>();
  /** Tree nodes (branches and leaves) each kept height's block made, and their sum: the retention budget's measure. */
  private readonly historyNodes = new Map<number, number>();
  private keptNodes = 0;
  private pendingNodes = 0;
  private retention: StateRetention = DEFAULT_RETENTION;
  /**
   * Rows retired (left the state, e.g. ended leases) by the last STATE_RETENTION committed
   * blocks, by state key (hex): `lease(id)` still answers for them while the node's archive
   * write of their block may be in flight; older ones are read from the archive (ChainStore).
   */
  private readonly recentRetired = new Map<string, Uint8Array>();
  private readonly retiredAt = new Map<number, string[]>();

  private constructor(rules: ChainRules) {
    this.d = newDomains(rules);
    this.tables = tablesOf(this.d);
    this.byPrefix = new Map<number, StateTable>(this.tables.map((t) => [t.spec.prefix, t]));
  }

  get height(): number {
    return this._height;
  }

  get stateRoot(): Uint8Array {
    return this._root;
  }

  /** True between execute() and commit()/revert(). */
  get isPending(): boolean {
    return this.pending !== null;
  }

  // ------------------------------------------------------------ construction

  /** The initial state of a chain: genesis accounts with their roles and balances (height 0). */
  static fromGenesis(genesis: Genesis): { state: WorldState; result: ExecutionResult } {
    const s = new WorldState(rulesOf(genesis));
    s.begin();
    s.d.accounts.genesis(genesis.accounts);
    s.d.gov.genesis(genesis);
    const writes = s.collectWrites();
    s.tree = applyWrites(null, writes);
    const result: ExecutionResult = {
      height: 0,
      stateRoot: rootOf(s.tree),
      receipts: [],
      receiptBytes: [],
      receiptRoot: merkleRoot([]),
      writes,
      retired: [],
      failed: 0,
    };
    s.end();
    s._height = 0;
    s._root = result.stateRoot;
    s.history.set(0, s.tree);
    return { state: s, result };
  }

  /**
   * Rebuilds the state (the derived indexes: matching, expiry queue, and the authenticated
   * tree) from stored state entries (state key → value). `rules` are the chain's id and
   * parameters (from its genesis). With `meta.stateRoot`, the rebuilt root must equal it
   * (STATE_CORRUPT otherwise: damaged storage, or a data directory of another state format).
   */
  static load(entries: Iterable<[Uint8Array, Uint8Array]>, meta: { height: number; stateRoot?: Uint8Array; rules: ChainRules }): WorldState {
    const s = new WorldState(meta.rules);
    const all: [Uint8Array, Uint8Array][] = [];
    for (const [key, value] of entries) {
      const t = s.byPrefix.get(key[0]);
      if (!t) throw corrupt(key, 'unknown key prefix');
      t.load(key, value);
      all.push([key, value]);
    }
    s.tree = buildTree(all);
    const root = rootOf(s.tree);
    if (meta.stateRoot && !equalBytes(root, meta.stateRoot)) {
      throw stateError('STATE_CORRUPT', `the stored state's root ${toHex(root)} is not the head's state root ${toHex(meta.stateRoot)} (damaged storage, or a data directory of an older state format: re-sync it)`, {});
    }
    s._height = meta.height;
    s._root = root;
    s.history.set(meta.height, s.tree);
    return s;
  }

  // ------------------------------------------------------------ execution

  private begin(): void {
    for (const t of this.tables) t.begin();
    this.open = true;
  }

  private end(): void {
    for (const t of this.tables) t.end();
    this.open = false;
  }

  private rollback(): void {
    for (const t of this.tables) t.rollback();
    this.open = false;
  }

  /** The block's write set: every touched key of every table with its current value, sorted by key. */
  private collectWrites(): StateWrite[] {
    const writes: StateWrite[] = [];
    for (const t of this.tables) t.collectWrites(writes);
    writes.sort((a, b) => compareBytes(a.key, b.key));
    return writes;
  }

  /**
   * Applies a block's txs (signatures already verified) on top of the committed state.
   * A nonce that is not the sender's next nonce rejects the whole block (state untouched).
   * Any other failure is a failed receipt; the nonce is consumed. Throws if an execution is pending.
   */
  execute(ctx: BlockContext, txs: readonly SignedTx[]): Result<ExecutionResult, StateError> {
    if (this.pending || this.open) throw new Error('WorldState.execute: an execution is already pending (commit or revert it first)');
    this.begin();
    const { accounts } = this.d;
    const env: BlockEnv = { height: ctx.height, time: ctx.timestamp, params: this.d.rules.params };
    // leases whose term ended by this block's time end first, with no tx (expiry queue, not a scan)
    this._expired = this.d.leases.expireDue(env);
    // the guard's liveness evidence: which sealer proposed this block (docs/GOVERNANCE.md)
    this.d.gov.noteProposer(ctx.height, ctx.proposer.toLowerCase());
    const receipts: Receipt[] = [];
    const receiptBytes: Uint8Array[] = [];
    const receiptHashes: Uint8Array[] = [];
    let failed = 0;
    for (let i = 0; i < txs.length; i++) {
      const stx = txs[i];
      const sender = stx.sender;
      const expected = accounts.get(sender).nonce;
      if (stx.body.nonce !== expected) {
        this.rollback();
        return err(
          stateError('STATE_BAD_NONCE', `tx ${i} (${stx.hashHex}) from ${sender} has nonce ${stx.body.nonce}, expected ${expected}`, {
            index: i,
            hash: stx.hashHex,
            sender,
            expected,
            got: stx.body.nonce,
          }),
        );
      }
      accounts.bumpNonce(sender);
      const outcome = applyPayload(this.d, { env, sender, publicKey: stx.tx.publicKey }, stx.body);
      if (outcome.status !== ReceiptStatus.OK) failed++;
      const r = buildReceipt(stx.hash, ctx.height, i, addrBytes(sender), outcome);
      const bytes = encodeReceipt(r);
      receipts.push(r);
      receiptBytes.push(bytes);
      receiptHashes.push(sha256(bytes));
    }
    // finished rows (ended leases) leave the state with this block, archived by the node
    const retired: StateWrite[] = [];
    for (const t of this.tables) t.retire(retired);
    const writes = this.collectWrites();
    const made = branchesMade();
    this.pendingTree = applyWrites(this.tree, writes);
    this.pendingNodes = branchesMade() - made + writes.length;
    this.pending = {
      height: ctx.height,
      stateRoot: rootOf(this.pendingTree),
      receipts,
      receiptBytes,
      receiptRoot: merkleRoot(receiptHashes),
      writes,
      retired,
      failed,
    };
    return ok(this.pending);
  }

  /** Makes the pending execution permanent. */
  commit(): void {
    const p = this.pending;
    if (!p) throw new Error('WorldState.commit: nothing pending');
    this.d.nodes.beforeCommit();
    this._height = p.height;
    this._root = p.stateRoot;
    this.tree = this.pendingTree;
    this.pendingTree = null;
    this.history.set(p.height, this.tree);
    this.historyNodes.set(p.height, this.pendingNodes);
    this.keptNodes += this.pendingNodes;
    this.trimHistory();
    const keys: string[] = [];
    for (const w of p.retired) {
      const k = toHex(w.key);
      keys.push(k);
      this.recentRetired.set(k, w.value!);
    }
    if (keys.length) this.retiredAt.set(p.height, keys);
    const old = this.retiredAt.get(p.height - STATE_RETENTION);
    if (old) {
      for (const k of old) this.recentRetired.delete(k);
      this.retiredAt.delete(p.height - STATE_RETENTION);
    }
    this.pending = null;
    this.end();
  }

  /** Drops the oldest kept trees past the retention (heights, then the node budget, keeping the minimum). */
  private trimHistory(): void {
    const { maxHeights, minHeights, nodes } = this.retention;
    for (const h of this.history.keys()) {
      const n = this.history.size;
      if (n <= minHeights || (n <= maxHeights && this.keptNodes <= nodes)) break;
      this.history.delete(h);
      this.keptNodes -= this.historyNodes.get(h) ?? 0;
      this.historyNodes.delete(h);
    }
  }

  /** Sets how many past heights stay provable (DEFAULT_RETENTION; a node's config may change it). */
  setRetention(r: StateRetention): void {
    if (!(Number.isSafeInteger(r.minHeights) && r.minHeights >= 1 && Number.isSafeInteger(r.maxHeights) && r.maxHeights >= r.minHeights && Number.isSafeInteger(r.nodes) && r.nodes >= 0)) {
      throw new Error(`state retention: need 1 <= minHeights <= maxHeights and nodes >= 0, got ${JSON.stringify(r)}`);
    }
    this.retention = { ...r };
    this.trimHistory();
  }

  /** Drops the pending execution: the state is exactly what it was before execute(). */
  revert(): void {
    if (!this.pending) throw new Error('WorldState.revert: nothing pending');
    this.rollback();
    this.pending = null;
    this.pendingTree = null;
  }

  // ------------------------------------------------------------ authenticated state (docs/VERIFY.md)

  /** The oldest committed height whose state can still be proven (the retention window). */
  get oldestProvableHeight(): number {
    let min = this._height;
    for (const h of this.history.keys()) min = Math.min(min, h);
    return min;
  }

  private treeAt(height: number): SmtNode | null {
    if (!this.history.has(height)) {
      throw stateError('STATE_HEIGHT_UNAVAILABLE', `the state at height ${height} is not kept (provable heights: ${this.oldestProvableHeight}..${this._height})`, {
        height,
        oldest: this.oldestProvableHeight,
        newest: this._height,
      });
    }
    return this.history.get(height)!;
  }

  /** The value of a state key at a committed height (null = absent) with its proof against that height's state root. */
  proveKey(key: Uint8Array, height = this._height): { stateRoot: Uint8Array; value: Uint8Array | null; proof: KeyProof } {
    const t = this.treeAt(height);
    const { proof, leaf } = proveKey(t, pathOfKey(key));
    return { stateRoot: rootOf(t), value: leaf ? leaf.value : null, proof };
  }

  /**
   * Every edge node offering `serviceType` at a committed height (index entries whose value is
   * the node record), proven complete; or one of `parts` parts of that range (smt.rangePrefix).
   */
  proveServiceType(serviceType: string, height = this._height, part = 0, parts = 1): { stateRoot: Uint8Array; proof: RangeProof } {
    const t = this.treeAt(height);
    const { prefix, bits } = rangePrefix(serviceType, part, parts);
    return { stateRoot: rootOf(t), proof: proveRange(t, prefix, bits) };
  }

  // ------------------------------------------------------------ queries (committed state)

  account(address: string): AccountView {
    return this.d.accounts.view(address);
  }

  nonceOf(address: string): number {
    return this.d.accounts.nonceOf(address);
  }

  balanceOf(address: string): number {
    return this.d.accounts.balanceOf(address);
  }

  device(address: string): DeviceView | null {
    return this.d.devices.view(address);
  }

  /** The device holding an identity info, or null. */
  deviceByInfo(info: string): string | null {
    return this.d.devices.byInfo(info);
  }

  edgeNode(id: string): EdgeNodeView | null {
    return this.d.nodes.view(id);
  }

  /** Edge nodes sorted by id (byte order), optionally only those of one owner. */
  edgeNodes(opts: { offset?: number; limit?: number; owner?: string } = {}): EdgeNodePage {
    return this.d.nodes.page(opts);
  }

  /**
   * A lease: from the committed state while active, or ended by one of the last
   * STATE_RETENTION blocks; null for an older ended lease (`archivedLease` reads it from the
   * node's archive) and for an id never made.
   */
  lease(id: number): LeaseView | null {
    const v = this.d.leases.view(id);
    if (v) return v;
    const value = this.recentRetired.get(toHex(leaseKey(id)));
    return value ? this.leaseOfStored(id, value) : null;
  }

  /** A lease from a stored value of its record (e.g. its archived final value), or null if it is not that lease's record. */
  leaseOfStored(id: number, value: Uint8Array): LeaseView | null {
    return this.d.leases.viewStored(leaseKey(id), value);
  }

  /**
   * A lease wherever it is: `lease(id)`, else its archived final value (`read`: the store's
   * archive of retired rows, ChainStore.getRetired). Null for an id never made.
   */
  async archivedLease(id: number, read: (stateKey: Uint8Array) => Promise<Uint8Array | undefined>): Promise<LeaseView | null> {
    const v = this.lease(id);
    if (v || !Number.isSafeInteger(id) || id < 1 || id > this.leaseCount) return v;
    const value = await read(leaseKey(id));
    return value ? this.leaseOfStored(id, value) : null;
  }

  /** Lease ids that expired at the start of the last executed block. */
  get expiredInLastBlock(): readonly number[] {
    return this._expired;
  }

  channel(id: number): ChannelView | null {
    return this.d.channels.view(id);
  }

  /** Channels newest first, optionally only those of one payer or payee, or of one status. */
  channels(opts: { address?: string; status?: ChannelStatus; offset?: number; limit?: number } = {}): { total: number; channels: ChannelView[] } {
    return this.d.channels.list(opts);
  }

  /** Evidence of equivocation (docs/CONSENSUS.md "Evidence on chain"), ascending id; of one sealer address when given. */
  evidence(sealer?: string): EvidenceView[] {
    return this.d.evidence.list(sealer);
  }

  /** One evidence record by id, or null. */
  evidenceById(id: number): EvidenceView | null {
    return this.d.evidence.get(id);
  }

  /** The id of the committed record of an offence (accused address, height, view, kind), if recorded. */
  evidenceOf(sealer: string, height: number, view: number, kind: EvidenceKind): number | undefined {
    return this.d.evidence.offenceId(sealer, height, view, kind);
  }

  /** The chain's id and rules (evidence verification off the chain: the node's reporter). */
  get rules(): ChainRules {
    return this.d.rules;
  }

  /** Channels ever opened (= the last channel id). */
  // ------------------------------------------------------------ governance (docs/GOVERNANCE.md)

  /** The committed members in effect at `height` (entries scheduled ahead included: a height up to two past the head is already decided). */
  membershipAt(height: number): MembershipRec | null {
    return this.d.gov.committedAt(height);
  }

  /** Every committed membership entry, oldest first. */
  membershipHistory(): MembershipRec[] {
    return this.d.gov.history();
  }

  /** A proposal as of the committed head (an open one past its last voting height reads 'expired'). */
  proposal(id: number): ProposalView | null {
    return this.d.gov.proposal(id, this._height);
  }

  proposals(opts: { status?: string; offset?: number; limit?: number } = {}): { total: number; proposals: ProposalView[] } {
    return this.d.gov.proposalList(this._height, opts);
  }

  /** The last committed height a sealer key's address proposed a block, or null. */
  lastProposed(address: string): number | null {
    return this.d.gov.lastProposed(address.toLowerCase());
  }

  get channelCount(): number {
    return this.d.channels.count;
  }

  /**
   * Off-chain check of a voucher (hex or bytes) against the committed state: whether a claim
   * with it would pay now, and how much. Does not change anything.
   */
  verifyVoucher(voucher: Uint8Array): VoucherVerdict & { chainId: string | null; channelId: number | null; amount: number | null } {
    const v = decodeVoucher(voucher);
    if (!v.ok) return { valid: false, status: ReceiptStatus.BAD_VOUCHER, reason: v.error, pays: 0, chainId: null, channelId: null, amount: null };
    const { chainId, channelId, amount, signature } = v.value;
    const info = { chainId, channelId, amount };
    if (chainId !== this.d.rules.chainId) {
      return { valid: false, status: ReceiptStatus.BAD_VOUCHER, reason: `voucher is for chain "${chainId}", not "${this.d.rules.chainId}"`, pays: 0, ...info };
    }
    return { ...this.d.channels.checkVoucher(this.d.channels.committed(channelId), channelId, amount, signature), ...info };
  }

  /**
   * Every token of the chain as last executed: balances + active lease escrows + channel
   * deposits not yet claimed or refunded. Conserved by every block (a scan; tests and checks).
   */
  supply(): { balances: number; leaseEscrow: number; channelEscrow: number; deviceDeposits: number; total: number } {
    const balances = this.d.accounts.totalBalances();
    const leaseEscrow = this.d.leases.escrowed();
    const channelEscrow = this.d.channels.escrowed();
    const deviceDeposits = this.d.devices.escrowed();
    return { balances, leaseEscrow, channelEscrow, deviceDeposits, total: balances + leaseEscrow + channelEscrow + deviceDeposits };
  }

  /** Active leases of a device (state as last executed). */
  activeLeasesOfDevice(device: string): number {
    return this.d.leases.activeOfDevice(device);
  }

  /** Ids of the active leases on an EN, ascending (state as last executed). */
  activeLeasesOf(nodeId: string): number[] {
    return this.d.leases.activeOn(nodeId);
  }

  get nodeCount(): number {
    return this.d.nodes.count;
  }

  /** Leases ever created (= the last lease id). */
  get leaseCount(): number {
    return this.d.leases.count;
  }

  // ------------------------------------------------------------ matching helpers (tests, bench, RPC previews)

  /** What an EdgeMatch would pick now (state as last executed), without changing anything. */
  previewMatch(q: MatchQuery): { nodeId: string; distanceM: number; price: number } | null {
    const h = this.d.nodes.match(q);
    return h ? { nodeId: h.node.id, distanceM: h.distanceM, price: h.node.price } : null;
  }

  /** The same query answered by scanning every node (the reference for the index). */
  bruteForcePreview(q: MatchQuery): { nodeId: string; distanceM: number; price: number } | null {
    const h = this.d.nodes.bruteForce(q);
    return h ? { nodeId: h.node.id, distanceM: h.distanceM, price: h.node.price } : null;
  }
}
