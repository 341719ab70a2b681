import type { ChainParams, EdgeMatch, LeaseResult, MatchResult } from '../codec/types.ts';
import type { Accounts } from './accounts.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import { StateLeaseCodec, type StateLease } from '../codec/state.ts';
import { addrBytes, addrHex } from './address.ts';
import type { Counters } from './counters.ts';
import type { EdgeNodes } from './edge-nodes.ts';
import { Counter, KeyPrefix, leaseIdOfKey, leaseKey } from './keys.ts';
import { ReceiptStatus, OK, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

export type LeaseStatus = 'active' | 'released' | 'terminated' | 'expired';
const LEASE_CODE: Record<LeaseStatus, number> = { active: 1, released: 2, terminated: 3, expired: 4 };
const LEASE_OF_CODE: Record<number, LeaseStatus> = { 1: 'active', 2: 'released', 3: 'terminated', 4: 'expired' };

/** Where a state handler runs: the block's height and time (header timestamp, ms) and the chain parameters. */
export interface BlockEnv {
  readonly height: number;
  /** ms since the Unix epoch, from the block header. */
  readonly time: number;
  readonly params: ChainParams;
}

/** Whether a block runs the paid-lease rules (docs/PAYMENTS.md) or the free, open-ended leases of before. */
export const paidLeases = (env: BlockEnv): boolean => env.height >= env.params.paymentsFromHeight;

/** price × demand × seconds, or null when it does not fit below 2^53 (then no balance can pay it). */
export function leaseCost(price: number, demand: number, seconds: number): number | null {
  const c = BigInt(price) * BigInt(demand) * BigInt(seconds);
  return c <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(c) : null;
}

/**
 * The owner's share of a lease's cost after `usedMs` of its `termMs`: floor(cost × used / term),
 * computed exactly (BigInt); the device gets the rest. Rounding is down, in the device's favour,
 * and by at most 1 token (docs/PAYMENTS.md).
 */
export function proRata(cost: number, usedMs: number, termMs: number): number {
  if (termMs <= 0 || usedMs >= termMs) return cost;
  if (usedMs <= 0) return 0;
  return Number((BigInt(cost) * BigInt(usedMs)) / BigInt(termMs));
}
export interface LeaseRec {
  readonly id: number;
  readonly device: string;
  readonly nodeId: string;
  readonly demand: number;
  readonly price: number;
  readonly distanceM: number;
  readonly status: LeaseStatus;
  readonly createdAt: number;
  readonly endedAt: number;
  /** ms of block time at match (0: a lease without a term, made before params.paymentsFromHeight). */
  readonly startTime: number;
  /** ms of block time at which it expires (0: no term). */
  readonly endTime: number;
  readonly durationS: number;
  /** Locked from the device: price × demand × durationS. */
  readonly cost: number;
  /** Paid to the EN owner when the lease ended. */
  readonly paid: number;
  /** Returned to the device when the lease ended. */
  readonly refund: number;
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
  /** Height at which it was released, terminated or expired; 0 while active. */
  endedAt: number;
  startTime: number;
  endTime: number;
  durationS: number;
  cost: number;
  paid: number;
  refund: number;
}

/**
 * Leases (prefix 0x05): a device's reservation of slots on an edge node for a term of block
 * time, its cost locked at the match; ended by a release, by the node's removal or, with no
 * transaction, by expiry at the start of the first block whose time reaches its end; the
 * last lease id is a counter. Derived: the active lease ids per node, the active lease count
 * per device, and the expiry queue by end time.
 */
export class Leases {
  private readonly nodes: EdgeNodes;
  private readonly counters: Counters;
  private readonly accounts: Accounts;
  /** Derived: active lease ids per node id. */
  private readonly byNode = new Map<string, Set<number>>();
  /** Derived: number of active leases per device. */
  private readonly perDevice = new Map<string, number>();
  /** Derived: (end time, id) of active leases with a term (lazy: stale entries are skipped). */
  readonly expiry = new ExpiryQueue();

  readonly table = new Table<number, LeaseRec, StateLease>({
    name: 'lease',
    prefix: KeyPrefix.LEASE,
    key: (id) => leaseKey(id),
    rowKey: (key) => (key.length === 9 ? leaseIdOfKey(key) : null),
    codec: StateLeaseCodec,
    toProto: (l) => ({
      id: l.id,
      device: addrBytes(l.device),
      nodeId: l.nodeId,
      demand: l.demand,
      price: l.price,
      distanceM: l.distanceM,
      status: LEASE_CODE[l.status],
      createdAt: l.createdAt,
      endedAt: l.endedAt,
      startTime: l.startTime,
      endTime: l.endTime,
      durationS: l.durationS,
      cost: l.cost,
      paid: l.paid,
      refund: l.refund,
    }),
    checkStored: (m, id) => (m.id === id ? null : 'lease key does not match its id'),
    fromProto: (m) => ({
      id: m.id,
      device: addrHex(m.device),
      nodeId: m.nodeId,
      demand: m.demand,
      price: m.price,
      distanceM: m.distanceM,
      status: LEASE_OF_CODE[m.status],
      createdAt: m.createdAt,
      endedAt: m.endedAt,
      startTime: m.startTime,
      endTime: m.endTime,
      durationS: m.durationS,
      cost: m.cost,
      paid: m.paid,
      refund: m.refund,
    }),
    // an ended lease leaves the state at the end of the block that ends it (archived by the
    // node, docs/STATE.md "Retired rows"): the state holds active leases only, so it stays
    // bounded however many leases were ever made
    retired: (l) => l.status !== 'active',
    onChange: (_id, old, next) => {
      if (old?.status === 'active') this.unlink(old);
      if (next?.status === 'active') {
        this.link(next);
        if (next.endTime > 0 && !(old?.status === 'active' && old.endTime === next.endTime)) this.expiry.push(next.endTime, next.id);
      }
    },
  });

  constructor(modules: { nodes: EdgeNodes; counters: Counters; accounts: Accounts }) {
    this.nodes = modules.nodes;
    this.counters = modules.counters;
    this.accounts = modules.accounts;
  }

  private link(l: LeaseRec): void {
    let set = this.byNode.get(l.nodeId);
    if (!set) {
      set = new Set();
      this.byNode.set(l.nodeId, set);
    }
    set.add(l.id);
    this.perDevice.set(l.device, (this.perDevice.get(l.device) ?? 0) + 1);
  }

  private unlink(l: LeaseRec): void {
    const set = this.byNode.get(l.nodeId);
    if (!set) return;
    set.delete(l.id);
    if (set.size === 0) this.byNode.delete(l.nodeId);
    const c = (this.perDevice.get(l.device) ?? 1) - 1;
    if (c === 0) this.perDevice.delete(l.device);
    else this.perDevice.set(l.device, c);
  }

  /** Active leases of a device (state as last executed). */
  activeOfDevice(device: string): number {
    return this.perDevice.get(device) ?? 0;
  }

  /**
   * Picks the best edge node for a (registered) device and leases `demand` slots on it. With
   * paid leases: for `durationS` seconds of block time, its cost locked from the device's
   * balance (INSUFFICIENT_FUNDS: nothing reserved), at most params.maxLeasesPerDevice at once.
   */
  match(env: BlockEnv, device: string, q: EdgeMatch): TxOutcome {
    const paid = paidLeases(env);
    if (paid) {
      const max = env.params.maxLeaseDurationS;
      if (q.durationS < 1 || q.durationS > max) return fail(ReceiptStatus.BAD_DURATION, `lease duration must be 1..${max} s, got ${q.durationS}`);
      const cap = env.params.maxLeasesPerDevice;
      if (this.activeOfDevice(device) >= cap) return fail(ReceiptStatus.LEASE_CAP, `device already holds ${cap} active leases (params.maxLeasesPerDevice)`);
    }
    const hit = this.nodes.match(q);
    if (!hit) {
      const cap = q.maxPrice === 0 ? 'any price' : `price <= ${q.maxPrice}`;
      return fail(ReceiptStatus.NO_CANDIDATE, `no online edge node offers "${q.taskType}" with ${q.demand} free slots at ${cap}`);
    }
    const n = hit.node;
    let cost = 0;
    let startTime = 0;
    let endTime = 0;
    let durationS = 0;
    if (paid) {
      const c = leaseCost(n.price, q.demand, q.durationS);
      const balance = this.accounts.get(device).balance;
      if (c === null || c > balance) {
        return fail(ReceiptStatus.INSUFFICIENT_FUNDS, `lease on "${n.id}" costs ${c ?? 'more than 2^53'} (${n.price} × ${q.demand} slots × ${q.durationS} s), balance is ${balance}`);
      }
      this.accounts.debit(device, c);
      cost = c;
      startTime = env.time;
      durationS = q.durationS;
      endTime = env.time + q.durationS * 1000;
    }
    const leaseId = this.counters.get(Counter.LAST_LEASE_ID) + 1;
    this.counters.set(Counter.LAST_LEASE_ID, leaseId);
    this.table.set(leaseId, {
      id: leaseId,
      device,
      nodeId: n.id,
      demand: q.demand,
      price: n.price,
      distanceM: hit.distanceM,
      status: 'active',
      createdAt: env.height,
      endedAt: 0,
      startTime,
      endTime,
      durationS,
      cost,
      paid: 0,
      refund: 0,
    });
    this.nodes.reserve(env.height, n, q.demand);
    const match: MatchResult = { nodeId: n.id, distanceM: hit.distanceM, price: n.price, leaseId, demand: q.demand, cost, endsAt: endTime };
    return { status: ReceiptStatus.OK, reason: '', match };
  }

  /** The lease's device extends an active lease with a term by `extendS` seconds, locking the extra cost. */
  renew(env: BlockEnv, sender: string, id: number, extendS: number): TxOutcome {
    const l = this.table.get(id);
    if (!l) return this.missing(id);
    if (l.status !== 'active') return fail(ReceiptStatus.LEASE_NOT_ACTIVE, `lease ${id} is ${l.status}`);
    if (sender !== l.device) return fail(ReceiptStatus.NOT_LEASE_DEVICE, `only the lease's device ${l.device} may renew lease ${id}`);
    if (l.endTime === 0) return fail(ReceiptStatus.LEASE_NOT_RENEWABLE, `lease ${id} has no term (made before paid leases)`);
    const max = env.params.maxLeaseDurationS;
    const remainingS = Math.ceil(Math.max(0, l.endTime - env.time) / 1000);
    if (extendS < 1 || remainingS + extendS > max) return fail(ReceiptStatus.BAD_DURATION, `a renewal may extend the remaining ${remainingS} s to at most ${max} s`);
    const extra = leaseCost(l.price, l.demand, extendS);
    const balance = this.accounts.get(sender).balance;
    if (extra === null || extra > balance || l.cost + extra > Number.MAX_SAFE_INTEGER) {
      return fail(ReceiptStatus.INSUFFICIENT_FUNDS, `extending lease ${id} by ${extendS} s costs ${extra ?? 'more than 2^53'}, balance is ${balance}`);
    }
    this.accounts.debit(sender, extra);
    const next: LeaseRec = { ...l, durationS: l.durationS + extendS, endTime: l.endTime + extendS * 1000, cost: l.cost + extra };
    this.table.set(id, next);
    return { status: ReceiptStatus.OK, reason: '', lease: leaseResult(next) };
  }

  /** The lease's device or its node's owner ends an active lease; the slots become free, the cost is settled pro rata. */
  release(env: BlockEnv, sender: string, id: number): TxOutcome {
    const l = this.table.get(id);
    if (!l) return this.missing(id);
    if (l.status !== 'active') return fail(ReceiptStatus.LEASE_NOT_ACTIVE, `lease ${id} is ${l.status}`);
    const n = this.nodes.get(l.nodeId)!;
    if (sender !== l.device && sender !== n.owner) return fail(ReceiptStatus.NOT_LEASE_PARTY, `only the lease's device or the owner of "${n.id}" may release lease ${id}`);
    const ended = this.end(env, l, 'released');
    return ended.endTime > 0 ? { status: ReceiptStatus.OK, reason: '', lease: leaseResult(ended) } : OK;
  }

  /** A lease id not in the state: ended in an earlier block (it was made: id <= the last id) or never made. */
  private missing(id: number): TxOutcome {
    if (Number.isSafeInteger(id) && id >= 1 && id <= this.counters.get(Counter.LAST_LEASE_ID)) return fail(ReceiptStatus.LEASE_NOT_ACTIVE, `lease ${id} has ended`);
    return fail(ReceiptStatus.UNKNOWN_LEASE, `unknown lease ${id}`);
  }

  /**
   * Pays out a lease with a term that ends at the block's time: the owner gets the used part
   * of the cost (proRata), the device the rest. A lease without a term moves no tokens.
   */
  private settle(env: BlockEnv, l: LeaseRec, owner: string): { paid: number; refund: number } {
    if (l.endTime === 0) return { paid: 0, refund: 0 };
    const paid = proRata(l.cost, env.time - l.startTime, l.endTime - l.startTime);
    const refund = l.cost - paid;
    this.accounts.credit(owner, paid);
    this.accounts.credit(l.device, refund);
    return { paid, refund };
  }

  /** Ends an active lease at the block's time: settled, its slots freed. */
  private end(env: BlockEnv, l: LeaseRec, status: LeaseStatus): LeaseRec {
    const n = this.nodes.get(l.nodeId)!;
    const next: LeaseRec = { ...l, status, endedAt: env.height, ...this.settle(env, l, n.owner) };
    this.table.set(l.id, next);
    this.nodes.unreserve(env.height, n, l.demand);
    return next;
  }

  /**
   * Ends every active lease whose end time is at or before the block's time, earliest first
   * (ties by id), with no transaction: run at the start of each block. Pops the expiry queue
   * only, never scans the leases. Returns the ids it expired.
   */
  expireDue(env: BlockEnv): number[] {
    const out: number[] = [];
    const q = this.expiry;
    // per node: slots and leases to free; per owner: tokens earned (one write each, whatever the count)
    const freed = new Map<string, { demand: number; leases: number }>();
    const earned = new Map<string, number>();
    while (q.peekTime() <= env.time) {
      const t = q.peekTime();
      const id = q.pop();
      const l = this.table.get(id);
      if (!l || l.status !== 'active' || l.endTime !== t) continue; // stale: ended or renewed since
      // at expiry the whole term is used: paid = cost, refund = 0 (proRata with used >= term)
      const owner = this.nodes.get(l.nodeId)!.owner;
      earned.set(owner, (earned.get(owner) ?? 0) + l.cost);
      const f = freed.get(l.nodeId);
      if (f) {
        f.demand += l.demand;
        f.leases++;
      } else freed.set(l.nodeId, { demand: l.demand, leases: 1 });
      this.table.set(id, { ...l, status: 'expired', endedAt: env.height, paid: l.cost, refund: 0 });
      out.push(id);
    }
    // Map iteration is insertion order: the order of the first lease due on each node / owner
    for (const [nodeId, f] of freed) this.nodes.unreserve(env.height, this.nodes.get(nodeId)!, f.demand, f.leases);
    for (const [owner, amount] of earned) this.accounts.credit(owner, amount);
    return out;
  }

  /**
   * Terminates every active lease on a node (it is being removed, so its slots are not freed),
   * in id order, each settled pro rata at the block's time.
   */
  terminateAllOn(env: BlockEnv, nodeId: string): void {
    const owner = this.nodes.get(nodeId)!.owner;
    for (const id of this.activeOn(nodeId)) {
      const l = this.table.get(id)!;
      this.table.set(id, { ...l, status: 'terminated', endedAt: env.height, ...this.settle(env, l, owner) });
    }
  }

  /** Tokens locked in active leases (the escrow part of total supply; a scan, for tests and checks). */
  escrowed(): number {
    let sum = 0;
    for (const l of this.table.values()) if (l.status === 'active') sum += l.cost;
    return sum;
  }

  /** Ids of the active leases on a node, ascending (state as last executed). */
  activeOn(nodeId: string): number[] {
    return [...(this.byNode.get(nodeId) ?? [])].sort((a, b) => a - b);
  }

  // ------------------------------------------------------------ committed state (queries)

  view(id: number): LeaseView | null {
    const l = this.table.committed(id);
    return l ? { ...l } : null;
  }

  /** A lease from its stored (archived) value, or null if it is not a lease record of that key. */
  viewStored(key: Uint8Array, value: Uint8Array): LeaseView | null {
    const l = this.table.decodeStored(key, value);
    return l ? { ...l } : null;
  }

  /** Leases ever created (= the last lease id). */
  get count(): number {
    return this.counters.committed(Counter.LAST_LEASE_ID);
  }
}

function leaseResult(l: LeaseRec): LeaseResult {
  return { leaseId: l.id, cost: l.cost, paid: l.paid, refund: l.refund, endsAt: l.endTime };
}
