import { sha256, ZERO_HASH } from '../crypto/hash.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import type { Genesis, MatchResult, Receipt, TxBody } from '../codec/types.ts';
import {
  StateAccountCodec,
  StateCounterCodec,
  StateDeviceCodec,
  StateDeviceInfoCodec,
  StateEdgeNodeCodec,
  StateLeaseCodec,
} from '../codec/state.ts';
import type { Codec } from '../codec/codec.ts';
import type { SignedTx } from '../chain/tx.ts';
import { compareBytes, fromHex, toHex, utf8 } from '../util/bytes.ts';
import { type Result, ok, err } from '../util/errors.ts';
import type { BlockContext, ExecutionResult, StateView, StateWrite } from './interface.ts';
import { StateError, stateError } from './errors.ts';
import { Counter, KeyPrefix, accountKey, counterKey, deviceInfoKey, deviceKey, leaseKey, nodeKey, leaseIdOfKey, nodeIdOfKey } from './keys.ts';
import { ReceiptStatus, buildReceipt, encodeReceipt, type TxOutcome } from './receipts.ts';
import { SpatialIndex, bruteForceMatch, type IndexedNode, type MatchHit, type MatchQuery } from './spatial.ts';
import { unitVector } from './geo.ts';

export type AccountRole = 'user' | 'proxy' | 'company';
const ROLE_CODE: Record<AccountRole, number> = { user: 0, proxy: 1, company: 2 };
const ROLE_OF_CODE: AccountRole[] = ['user', 'proxy', 'company'];

export type LeaseStatus = 'active' | 'released' | 'terminated';
const LEASE_CODE: Record<LeaseStatus, number> = { active: 1, released: 2, terminated: 3 };
const LEASE_OF_CODE: Record<number, LeaseStatus> = { 1: 'active', 2: 'released', 3: 'terminated' };

interface AccountRec {
  readonly nonce: number;
  readonly balance: number;
  readonly role: AccountRole;
}

interface DeviceRec {
  readonly info: string;
  readonly registeredAt: number;
}

/** An edge node record; immutable: every change installs a new object (the index holds these). */
export interface NodeRec extends IndexedNode {
  readonly owner: string;
  readonly serviceTypes: readonly string[];
  readonly activeLeases: number;
  readonly addedAt: number;
  readonly updatedAt: number;
}

interface LeaseRec {
  readonly id: number;
  readonly device: string;
  readonly nodeId: string;
  readonly demand: number;
  readonly price: number;
  readonly distanceM: number;
  readonly status: LeaseStatus;
  readonly createdAt: number;
  readonly endedAt: number;
}

// ---------------------------------------------------------------- query views

export interface AccountView {
  address: string;
  nonce: number;
  balance: number;
  role: AccountRole;
}

export interface DeviceView {
  address: string;
  info: string;
  registeredAt: number;
}

export interface EdgeNodeView {
  id: string;
  owner: string;
  lat: number;
  lon: number;
  capacity: number;
  used: number;
  free: number;
  serviceTypes: string[];
  price: number;
  online: boolean;
  /** Number of active leases on this EN. */
  activeLeases: number;
  addedAt: number;
  updatedAt: number;
}

export interface LeaseView {
  id: number;
  device: string;
  nodeId: string;
  demand: number;
  price: number;
  distanceM: number;
  status: LeaseStatus;
  createdAt: number;
  /** Height at which it was released or terminated; 0 while active. */
  endedAt: number;
}

export interface EdgeNodePage {
  total: number;
  nodes: EdgeNodeView[];
}

/** First-touch values of every record changed by the pending (or running) execution. */
interface Journal {
  accounts: Map<string, AccountRec | undefined>;
  devices: Map<string, DeviceRec | undefined>;
  infos: Map<string, string | undefined>;
  nodes: Map<string, NodeRec | undefined>;
  leases: Map<number, LeaseRec | undefined>;
  lastLeaseId: number | undefined;
}

const newJournal = (): Journal => ({
  accounts: new Map(),
  devices: new Map(),
  infos: new Map(),
  nodes: new Map(),
  leases: new Map(),
  lastLeaseId: undefined,
});

const addrBytes = (a: string): Uint8Array => fromHex(a)!;
const addrHex = (b: Uint8Array): string => toHex(b, true);
const normAddr = (a: string): string => (a.startsWith('0x') || a.startsWith('0X') ? '0x' + a.slice(2) : '0x' + a).toLowerCase();

/** Keeps the first-touch value of `key` in a journal map (later changes in the same execution keep it). */
function remember<K, V>(journal: Map<K, V | undefined>, map: ReadonlyMap<K, V>, key: K): void {
  if (!journal.has(key)) journal.set(key, map.get(key));
}

/** Sets `key` to `value`, or deletes it when `value` is undefined. */
function put<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

function makeNode(fields: Omit<NodeRec, 'x' | 'y' | 'z'>, prev?: NodeRec): NodeRec {
  if (prev && prev.lat === fields.lat && prev.lon === fields.lon) return { ...fields, x: prev.x, y: prev.y, z: prev.z };
  const v = unitVector(fields.lat, fields.lon);
  return { ...fields, x: v.x, y: v.y, z: v.z };
}

/**
 * Encodes a write set for the state root: entries sorted by key bytes, each
 *   u32be(key length) || key || u8(1) || u32be(value length) || value   (set)
 *   u32be(key length) || key || u8(0)                                    (deleted)
 * preceded by u32be(number of entries).
 */
export function encodeWriteSet(writes: readonly StateWrite[]): Uint8Array {
  let n = 4;
  for (const w of writes) n += 4 + w.key.length + 1 + (w.value ? 4 + w.value.length : 0);
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, writes.length);
  let o = 4;
  for (const w of writes) {
    dv.setUint32(o, w.key.length);
    o += 4;
    out.set(w.key, o);
    o += w.key.length;
    if (w.value) {
      out[o++] = 1;
      dv.setUint32(o, w.value.length);
      o += 4;
      out.set(w.value, o);
      o += w.value.length;
    } else {
      out[o++] = 0;
    }
  }
  return out;
}

/** State root = SHA-256(parent root || SHA-256(encodeWriteSet(writes))). */
export function computeStateRoot(parentRoot: Uint8Array, writes: readonly StateWrite[]): Uint8Array {
  return sha256(parentRoot, sha256(encodeWriteSet(writes)));
}

interface Pending {
  result: ExecutionResult;
  nodesAddedOrRemoved: boolean;
}

/**
 * The native state: accounts, devices, edge nodes, leases, and the matching index, all in
 * memory. `execute` applies a block with an undo journal; `commit` or `revert` ends it.
 * Queries answer from the committed state even while an execution is pending.
 */
export class WorldState implements StateView {
  private _height = 0;
  private _root: Uint8Array = ZERO_HASH;
  private readonly accounts = new Map<string, AccountRec>();
  private readonly devices = new Map<string, DeviceRec>();
  /** hex(SHA-256(info)) → device address. */
  private readonly infos = new Map<string, string>();
  private readonly nodes = new Map<string, NodeRec>();
  private readonly leases = new Map<number, LeaseRec>();
  /** Derived: active lease ids per node id. */
  private readonly nodeLeases = new Map<string, Set<number>>();
  private lastLeaseId = 0;
  private readonly index = new SpatialIndex<NodeRec>();
  private journal: Journal | null = null;
  private pending: Pending | null = null;
  /** Sorted ids of the committed nodes (null = recompute). */
  private sortedIds: string[] | null = null;

  private constructor() {}

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
    const s = new WorldState();
    s.journal = newJournal();
    for (const a of genesis.accounts) {
      const role = (ROLE_CODE as Record<string, number>)[a.role] !== undefined ? (a.role as AccountRole) : 'user';
      s.setAccount(addrHex(a.address), { nonce: 0, balance: a.balance, role });
    }
    const writes = s.collectWrites();
    const result: ExecutionResult = {
      height: 0,
      stateRoot: computeStateRoot(ZERO_HASH, writes),
      receipts: [],
      receiptBytes: [],
      receiptRoot: merkleRoot([]),
      writes,
      failed: 0,
    };
    s.journal = null;
    s._height = 0;
    s._root = result.stateRoot;
    return { state: s, result };
  }

  /** Rebuilds the state (and the matching index) from stored state entries (state key → value). */
  static load(entries: Iterable<[Uint8Array, Uint8Array]>, meta: { height: number; stateRoot: Uint8Array }): WorldState {
    const s = new WorldState();
    const corrupt = (key: Uint8Array, why: string) => stateError('STATE_CORRUPT', `state entry ${toHex(key)}: ${why}`, { key: toHex(key) });
    const dec = <T>(codec: Codec<T>, key: Uint8Array, value: Uint8Array): T => {
      const r = codec.decode(value);
      if (!r.ok) throw corrupt(key, r.error.message);
      return r.value;
    };
    for (const [key, value] of entries) {
      switch (key[0]) {
        case KeyPrefix.ACCOUNT: {
          if (key.length !== 21) throw corrupt(key, 'bad account key');
          const a = dec(StateAccountCodec, key, value);
          s.accounts.set(addrHex(key.subarray(1)), { nonce: a.nonce, balance: a.balance, role: ROLE_OF_CODE[a.role] });
          break;
        }
        case KeyPrefix.DEVICE: {
          if (key.length !== 21) throw corrupt(key, 'bad device key');
          const d = dec(StateDeviceCodec, key, value);
          s.devices.set(addrHex(key.subarray(1)), { info: d.info, registeredAt: d.registeredAt });
          break;
        }
        case KeyPrefix.DEVICE_INFO: {
          if (key.length !== 33) throw corrupt(key, 'bad device info key');
          s.infos.set(toHex(key.subarray(1)), addrHex(dec(StateDeviceInfoCodec, key, value).device));
          break;
        }
        case KeyPrefix.NODE: {
          const n = dec(StateEdgeNodeCodec, key, value);
          if (nodeIdOfKey(key) !== n.id) throw corrupt(key, 'node key does not match its id');
          const rec = makeNode({
            id: n.id,
            owner: addrHex(n.owner),
            lat: n.lat,
            lon: n.lon,
            capacity: n.capacity,
            used: n.used,
            serviceTypes: [...n.serviceTypes],
            price: n.price,
            online: n.online,
            activeLeases: n.activeLeases,
            addedAt: n.addedAt,
            updatedAt: n.updatedAt,
          });
          s.nodes.set(rec.id, rec);
          break;
        }
        case KeyPrefix.LEASE: {
          if (key.length !== 9) throw corrupt(key, 'bad lease key');
          const l = dec(StateLeaseCodec, key, value);
          if (leaseIdOfKey(key) !== l.id) throw corrupt(key, 'lease key does not match its id');
          s.leases.set(l.id, {
            id: l.id,
            device: addrHex(l.device),
            nodeId: l.nodeId,
            demand: l.demand,
            price: l.price,
            distanceM: l.distanceM,
            status: LEASE_OF_CODE[l.status],
            createdAt: l.createdAt,
            endedAt: l.endedAt,
          });
          break;
        }
        case KeyPrefix.COUNTER: {
          if (key.length !== 2) throw corrupt(key, 'bad counter key');
          const c = dec(StateCounterCodec, key, value);
          if (key[1] === Counter.LAST_LEASE_ID) s.lastLeaseId = c.value;
          else throw corrupt(key, 'unknown counter');
          break;
        }
        default:
          throw corrupt(key, 'unknown key prefix');
      }
    }
    // insertion order shapes the trees but never the answers (the search is exact)
    for (const n of s.nodes.values()) s.index.insert(n);
    for (const l of s.leases.values()) if (l.status === 'active') s.linkLease(l);
    s._height = meta.height;
    s._root = new Uint8Array(meta.stateRoot);
    return s;
  }

  // ------------------------------------------------------------ journaled setters

  private setAccount(addr: string, rec: AccountRec): void {
    remember(this.journal!.accounts, this.accounts, addr);
    this.accounts.set(addr, rec);
  }

  private setDevice(addr: string, rec: DeviceRec | undefined): void {
    remember(this.journal!.devices, this.devices, addr);
    put(this.devices, addr, rec);
  }

  private setInfo(hash: string, device: string | undefined): void {
    remember(this.journal!.infos, this.infos, hash);
    put(this.infos, hash, device);
  }

  private setNode(id: string, rec: NodeRec | undefined): void {
    remember(this.journal!.nodes, this.nodes, id);
    this.installNode(id, rec);
  }

  private installNode(id: string, rec: NodeRec | undefined): void {
    const old = this.nodes.get(id);
    if (old && rec) this.index.update(old, rec);
    else if (old) this.index.remove(old);
    else if (rec) this.index.insert(rec);
    put(this.nodes, id, rec);
  }

  private setLease(id: number, rec: LeaseRec | undefined): void {
    remember(this.journal!.leases, this.leases, id);
    this.installLease(id, rec);
  }

  private installLease(id: number, rec: LeaseRec | undefined): void {
    const old = this.leases.get(id);
    if (old && old.status === 'active') this.unlinkLease(old);
    put(this.leases, id, rec);
    if (rec?.status === 'active') this.linkLease(rec);
  }

  private linkLease(l: LeaseRec): void {
    let set = this.nodeLeases.get(l.nodeId);
    if (!set) {
      set = new Set();
      this.nodeLeases.set(l.nodeId, set);
    }
    set.add(l.id);
  }

  private unlinkLease(l: LeaseRec): void {
    const set = this.nodeLeases.get(l.nodeId);
    if (!set) return;
    set.delete(l.id);
    if (set.size === 0) this.nodeLeases.delete(l.nodeId);
  }

  private setLastLeaseId(v: number): void {
    const j = this.journal!;
    if (j.lastLeaseId === undefined) j.lastLeaseId = this.lastLeaseId;
    this.lastLeaseId = v;
  }

  /** Restores every first-touch value of the journal (exact previous state, index included). */
  private rollback(j: Journal): void {
    for (const [k, v] of j.accounts) put(this.accounts, k, v);
    for (const [k, v] of j.devices) put(this.devices, k, v);
    for (const [k, v] of j.infos) put(this.infos, k, v);
    for (const [k, v] of j.leases) this.installLease(k, v);
    for (const [k, v] of j.nodes) this.installNode(k, v);
    if (j.lastLeaseId !== undefined) this.lastLeaseId = j.lastLeaseId;
  }

  /** The block's write set from the journal: every touched key with its current value, sorted. */
  private collectWrites(): StateWrite[] {
    const j = this.journal!;
    const writes: StateWrite[] = [];
    for (const addr of j.accounts.keys()) {
      const a = this.accounts.get(addr);
      writes.push({ key: accountKey(addrBytes(addr)), value: a ? StateAccountCodec.encode({ nonce: a.nonce, balance: a.balance, role: ROLE_CODE[a.role] }) : null });
    }
    for (const addr of j.devices.keys()) {
      const d = this.devices.get(addr);
      writes.push({ key: deviceKey(addrBytes(addr)), value: d ? StateDeviceCodec.encode({ info: d.info, registeredAt: d.registeredAt }) : null });
    }
    for (const h of j.infos.keys()) {
      const dev = this.infos.get(h);
      writes.push({ key: deviceInfoKey(fromHex(h)!), value: dev ? StateDeviceInfoCodec.encode({ device: addrBytes(dev) }) : null });
    }
    for (const id of j.nodes.keys()) {
      const n = this.nodes.get(id);
      writes.push({
        key: nodeKey(id),
        value: n
          ? StateEdgeNodeCodec.encode({
              id: n.id,
              owner: addrBytes(n.owner),
              lat: n.lat,
              lon: n.lon,
              capacity: n.capacity,
              used: n.used,
              serviceTypes: n.serviceTypes as string[],
              price: n.price,
              online: n.online,
              activeLeases: n.activeLeases,
              addedAt: n.addedAt,
              updatedAt: n.updatedAt,
            })
          : null,
      });
    }
    for (const id of j.leases.keys()) {
      const l = this.leases.get(id);
      writes.push({
        key: leaseKey(id),
        value: l
          ? StateLeaseCodec.encode({
              id: l.id,
              device: addrBytes(l.device),
              nodeId: l.nodeId,
              demand: l.demand,
              price: l.price,
              distanceM: l.distanceM,
              status: LEASE_CODE[l.status],
              createdAt: l.createdAt,
              endedAt: l.endedAt,
            })
          : null,
      });
    }
    if (j.lastLeaseId !== undefined) writes.push({ key: counterKey(Counter.LAST_LEASE_ID), value: StateCounterCodec.encode({ value: this.lastLeaseId }) });
    writes.sort((a, b) => compareBytes(a.key, b.key));
    return writes;
  }

  // ------------------------------------------------------------ execution

  /**
   * Applies a block's txs (signatures already verified) on top of the committed state.
   * A nonce that is not the sender's next nonce rejects the whole block (state untouched).
   * Any other failure is a failed receipt; the nonce is consumed. Throws if an execution is pending.
   */
  execute(ctx: BlockContext, txs: readonly SignedTx[]): Result<ExecutionResult, StateError> {
    if (this.pending || this.journal) throw new Error('WorldState.execute: an execution is already pending (commit or revert it first)');
    const j = newJournal();
    this.journal = j;
    const receipts: Receipt[] = [];
    const receiptBytes: Uint8Array[] = [];
    const receiptHashes: Uint8Array[] = [];
    let failed = 0;
    for (let i = 0; i < txs.length; i++) {
      const stx = txs[i];
      const sender = stx.sender;
      const acct = this.accounts.get(sender) ?? { nonce: 0, balance: 0, role: 'user' as const };
      if (stx.body.nonce !== acct.nonce) {
        this.rollback(j);
        this.journal = null;
        return err(
          stateError('STATE_BAD_NONCE', `tx ${i} (${stx.hashHex}) from ${sender} has nonce ${stx.body.nonce}, expected ${acct.nonce}`, {
            index: i,
            hash: stx.hashHex,
            sender,
            expected: acct.nonce,
            got: stx.body.nonce,
          }),
        );
      }
      this.setAccount(sender, { nonce: acct.nonce + 1, balance: acct.balance, role: acct.role });
      const outcome = this.apply(ctx.height, sender, stx.body);
      if (outcome.status !== ReceiptStatus.OK) failed++;
      const r = buildReceipt(stx.hash, ctx.height, i, addrBytes(sender), outcome);
      const bytes = encodeReceipt(r);
      receipts.push(r);
      receiptBytes.push(bytes);
      receiptHashes.push(sha256(bytes));
    }
    const writes = this.collectWrites();
    const result: ExecutionResult = {
      height: ctx.height,
      stateRoot: computeStateRoot(this._root, writes),
      receipts,
      receiptBytes,
      receiptRoot: merkleRoot(receiptHashes),
      writes,
      failed,
    };
    let nodesAddedOrRemoved = false;
    for (const [id, orig] of j.nodes) if (!orig !== !this.nodes.get(id)) nodesAddedOrRemoved = true;
    this.pending = { result, nodesAddedOrRemoved };
    return ok(result);
  }

  /** Makes the pending execution permanent. */
  commit(): void {
    const p = this.pending;
    if (!p) throw new Error('WorldState.commit: nothing pending');
    this._height = p.result.height;
    this._root = p.result.stateRoot;
    if (p.nodesAddedOrRemoved) this.sortedIds = null;
    this.pending = null;
    this.journal = null;
  }

  /** Drops the pending execution: the state is exactly what it was before execute(). */
  revert(): void {
    if (!this.pending) throw new Error('WorldState.revert: nothing pending');
    this.rollback(this.journal!);
    this.pending = null;
    this.journal = null;
  }

  private apply(height: number, sender: string, body: TxBody): TxOutcome {
    switch (body.kind) {
      case 'registerDevice':
        return body.registerDevice ? this.registerDevice(height, sender, body.registerDevice.info) : invalid();
      case 'addNode':
        return body.addNode ? this.addNode(height, sender, body.addNode) : invalid();
      case 'updateNode':
        return body.updateNode ? this.updateNode(height, sender, body.updateNode) : invalid();
      case 'removeNode':
        return body.removeNode ? this.removeNode(height, sender, body.removeNode.id) : invalid();
      case 'edgeMatch':
        return body.edgeMatch ? this.edgeMatch(height, sender, body.edgeMatch) : invalid();
      case 'releaseLease':
        return body.releaseLease ? this.releaseLease(height, sender, body.releaseLease.leaseId) : invalid();
      case 'transfer':
        return body.transfer ? this.transfer(sender, body.transfer.to, body.transfer.amount) : invalid();
      default:
        return invalid();
    }
  }

  private registerDevice(height: number, sender: string, info: string): TxOutcome {
    const role = this.accounts.get(sender)!.role;
    if (role !== 'user') return fail(ReceiptStatus.ROLE_NOT_ALLOWED, `a ${role} account cannot register as a device`);
    if (this.devices.has(sender)) return fail(ReceiptStatus.DEVICE_EXISTS, 'sender is already a registered device');
    const h = toHex(sha256(utf8(info)));
    if (this.infos.has(h)) return fail(ReceiptStatus.INFO_TAKEN, 'device identity info is already registered');
    this.setDevice(sender, { info, registeredAt: height });
    this.setInfo(h, sender);
    return OK;
  }

  private addNode(height: number, sender: string, p: NonNullable<TxBody['addNode']>): TxOutcome {
    if (this.accounts.get(sender)!.role !== 'company') return fail(ReceiptStatus.NOT_COMPANY, 'only a company account may add edge nodes');
    if (this.nodes.has(p.id)) return fail(ReceiptStatus.NODE_EXISTS, `edge node "${p.id}" already exists`);
    const rec = makeNode({
      id: p.id,
      owner: sender,
      lat: p.lat,
      lon: p.lon,
      capacity: p.capacity,
      used: 0,
      serviceTypes: [...p.serviceTypes],
      price: p.price,
      online: true,
      activeLeases: 0,
      addedAt: height,
      updatedAt: height,
    });
    this.setNode(p.id, rec);
    return OK;
  }

  private updateNode(height: number, sender: string, p: NonNullable<TxBody['updateNode']>): TxOutcome {
    const n = this.nodes.get(p.id);
    if (!n) return fail(ReceiptStatus.UNKNOWN_NODE, `unknown edge node "${p.id}"`);
    if (n.owner !== sender) return fail(ReceiptStatus.NOT_OWNER, `edge node "${p.id}" belongs to ${n.owner}`);
    if (p.capacity < n.used) return fail(ReceiptStatus.CAPACITY_BELOW_USED, `capacity ${p.capacity} is below the ${n.used} slots in use`);
    const rec = makeNode(
      {
        id: n.id,
        owner: n.owner,
        lat: p.lat,
        lon: p.lon,
        capacity: p.capacity,
        used: n.used,
        serviceTypes: [...p.serviceTypes],
        price: p.price,
        online: p.online,
        activeLeases: n.activeLeases,
        addedAt: n.addedAt,
        updatedAt: height,
      },
      n,
    );
    this.setNode(p.id, rec);
    return OK;
  }

  private removeNode(height: number, sender: string, id: string): TxOutcome {
    const n = this.nodes.get(id);
    if (!n) return fail(ReceiptStatus.UNKNOWN_NODE, `unknown edge node "${id}"`);
    if (n.owner !== sender) return fail(ReceiptStatus.NOT_OWNER, `edge node "${id}" belongs to ${n.owner}`);
    const live = [...(this.nodeLeases.get(id) ?? [])].sort((a, b) => a - b);
    for (const lid of live) {
      const l = this.leases.get(lid)!;
      this.setLease(lid, { ...l, status: 'terminated', endedAt: height });
    }
    this.setNode(id, undefined);
    return OK;
  }

  private edgeMatch(height: number, sender: string, q: MatchQuery): TxOutcome {
    if (!this.devices.has(sender)) return fail(ReceiptStatus.NOT_DEVICE, 'only a registered device may request a match');
    const hit = this.index.match(q);
    if (!hit) {
      const cap = q.maxPrice === 0 ? 'any price' : `price <= ${q.maxPrice}`;
      return fail(ReceiptStatus.NO_CANDIDATE, `no online edge node offers "${q.taskType}" with ${q.demand} free slots at ${cap}`);
    }
    const n = hit.node;
    const leaseId = this.lastLeaseId + 1;
    this.setLastLeaseId(leaseId);
    this.setLease(leaseId, {
      id: leaseId,
      device: sender,
      nodeId: n.id,
      demand: q.demand,
      price: n.price,
      distanceM: hit.distanceM,
      status: 'active',
      createdAt: height,
      endedAt: 0,
    });
    this.setNode(n.id, { ...n, used: n.used + q.demand, activeLeases: n.activeLeases + 1, updatedAt: height });
    const match: MatchResult = { nodeId: n.id, distanceM: hit.distanceM, price: n.price, leaseId, demand: q.demand };
    return { status: ReceiptStatus.OK, reason: '', match };
  }

  private releaseLease(height: number, sender: string, id: number): TxOutcome {
    const l = this.leases.get(id);
    if (!l) return fail(ReceiptStatus.UNKNOWN_LEASE, `unknown lease ${id}`);
    if (l.status !== 'active') return fail(ReceiptStatus.LEASE_NOT_ACTIVE, `lease ${id} is ${l.status}`);
    const n = this.nodes.get(l.nodeId)!;
    if (sender !== l.device && sender !== n.owner) return fail(ReceiptStatus.NOT_LEASE_PARTY, `only the lease's device or the owner of "${n.id}" may release lease ${id}`);
    this.setLease(id, { ...l, status: 'released', endedAt: height });
    this.setNode(n.id, { ...n, used: n.used - l.demand, activeLeases: n.activeLeases - 1, updatedAt: height });
    return OK;
  }

  private transfer(sender: string, toBytes: Uint8Array, amount: number): TxOutcome {
    const from = this.accounts.get(sender)!;
    if (amount > from.balance) return fail(ReceiptStatus.INSUFFICIENT_BALANCE, `balance ${from.balance} is below ${amount}`);
    const to = addrHex(toBytes);
    if (to === sender) return OK;
    const dest = this.accounts.get(to) ?? { nonce: 0, balance: 0, role: 'user' as const };
    if (dest.balance + amount > Number.MAX_SAFE_INTEGER) return fail(ReceiptStatus.BALANCE_OVERFLOW, 'recipient balance would exceed 2^53 - 1');
    this.setAccount(sender, { ...from, balance: from.balance - amount });
    this.setAccount(to, { ...dest, balance: dest.balance + amount });
    return OK;
  }

  // ------------------------------------------------------------ queries (committed state)

  private committed<K, V>(map: Map<K, V>, jmap: Map<K, V | undefined> | undefined, key: K): V | undefined {
    if (jmap && jmap.has(key)) return jmap.get(key);
    return map.get(key);
  }

  private committedAccount(address: string): AccountRec | undefined {
    return this.committed(this.accounts, this.journal?.accounts, normAddr(address));
  }

  account(address: string): AccountView {
    const a = normAddr(address);
    const r = this.committedAccount(a);
    return { address: a, nonce: r?.nonce ?? 0, balance: r?.balance ?? 0, role: r?.role ?? 'user' };
  }

  nonceOf(address: string): number {
    return this.committedAccount(address)?.nonce ?? 0;
  }

  balanceOf(address: string): number {
    return this.committedAccount(address)?.balance ?? 0;
  }

  device(address: string): DeviceView | null {
    const a = normAddr(address);
    const d = this.committed(this.devices, this.journal?.devices, a);
    return d ? { address: a, info: d.info, registeredAt: d.registeredAt } : null;
  }

  /** The device holding an identity info, or null. */
  deviceByInfo(info: string): string | null {
    return this.committed(this.infos, this.journal?.infos, toHex(sha256(utf8(info)))) ?? null;
  }

  edgeNode(id: string): EdgeNodeView | null {
    const n = this.committed(this.nodes, this.journal?.nodes, id);
    return n ? nodeView(n) : null;
  }

  private committedIds(): string[] {
    if (this.sortedIds) return this.sortedIds;
    const ids = new Set(this.nodes.keys());
    const j = this.journal;
    if (j) for (const [id, orig] of j.nodes) orig ? ids.add(id) : ids.delete(id);
    const sorted = [...ids].sort();
    this.sortedIds = sorted;
    return sorted;
  }

  /** Edge nodes sorted by id (byte order), optionally only those of one owner. */
  edgeNodes(opts: { offset?: number; limit?: number; owner?: string } = {}): EdgeNodePage {
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = Math.max(0, opts.limit ?? 100);
    let ids = this.committedIds();
    const j = this.journal;
    const get = (id: string) => this.committed(this.nodes, j?.nodes, id)!;
    if (opts.owner !== undefined) {
      const owner = normAddr(opts.owner);
      ids = ids.filter((id) => get(id).owner === owner);
    }
    return { total: ids.length, nodes: ids.slice(offset, offset + limit).map((id) => nodeView(get(id))) };
  }

  lease(id: number): LeaseView | null {
    const l = this.committed(this.leases, this.journal?.leases, id);
    return l ? { ...l } : null;
  }

  /** Ids of the active leases on an EN, ascending (state as last executed). */
  activeLeasesOf(nodeId: string): number[] {
    return [...(this.nodeLeases.get(nodeId) ?? [])].sort((a, b) => a - b);
  }

  get nodeCount(): number {
    let n = this.nodes.size;
    const j = this.journal;
    if (j) for (const [id, orig] of j.nodes) n += (orig ? 1 : 0) - (this.nodes.has(id) ? 1 : 0);
    return n;
  }

  /** Leases ever created (= the last lease id). */
  get leaseCount(): number {
    return this.journal?.lastLeaseId ?? this.lastLeaseId;
  }

  // ------------------------------------------------------------ matching helpers (tests, bench, RPC previews)

  /** What an EdgeMatch would pick now (state as last executed), without changing anything. */
  previewMatch(q: MatchQuery): { nodeId: string; distanceM: number; price: number } | null {
    const h = this.index.match(q);
    return h ? { nodeId: h.node.id, distanceM: h.distanceM, price: h.node.price } : null;
  }

  /** The same query answered by scanning every node (the reference for the index). */
  bruteForcePreview(q: MatchQuery): { nodeId: string; distanceM: number; price: number } | null {
    const h: MatchHit<NodeRec> | null = bruteForceMatch(this.nodes.values(), q);
    return h ? { nodeId: h.node.id, distanceM: h.distanceM, price: h.node.price } : null;
  }
}

const OK: TxOutcome = { status: ReceiptStatus.OK, reason: '' };
const fail = (status: ReceiptStatus, reason: string): TxOutcome => ({ status, reason });
const invalid = (): TxOutcome => fail(ReceiptStatus.INVALID_TX, 'unknown or empty transaction payload');

function nodeView(n: NodeRec): EdgeNodeView {
  return {
    id: n.id,
    owner: n.owner,
    lat: n.lat,
    lon: n.lon,
    capacity: n.capacity,
    used: n.used,
    free: n.capacity - n.used,
    serviceTypes: [...n.serviceTypes],
    price: n.price,
    online: n.online,
    activeLeases: n.activeLeases,
    addedAt: n.addedAt,
    updatedAt: n.updatedAt,
  };
}
