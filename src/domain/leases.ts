import type { EdgeMatch, MatchResult } from '../codec/types.ts';
import { StateLeaseCodec, type StateLease } from '../codec/state.ts';
import { addrBytes, addrHex } from './address.ts';
import type { Counters } from './counters.ts';
import type { EdgeNodes } from './edge-nodes.ts';
import { Counter, KeyPrefix, leaseIdOfKey, leaseKey } from './keys.ts';
import { ReceiptStatus, OK, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

export type LeaseStatus = 'active' | 'released' | 'terminated';
const LEASE_CODE: Record<LeaseStatus, number> = { active: 1, released: 2, terminated: 3 };
const LEASE_OF_CODE: Record<number, LeaseStatus> = { 1: 'active', 2: 'released', 3: 'terminated' };

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

/**
 * Leases (prefix 0x05): a device's reservation of slots on an edge node, made by a match,
 * ended by a release or by the node's removal; the last lease id is a counter. Derived: the
 * active lease ids per node.
 */
export class Leases {
  private readonly nodes: EdgeNodes;
  private readonly counters: Counters;
  /** Derived: active lease ids per node id. */
  private readonly byNode = new Map<string, Set<number>>();

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
    }),
    onChange: (_id, old, next) => {
      if (old?.status === 'active') this.unlink(old);
      if (next?.status === 'active') this.link(next);
    },
  });

  constructor(modules: { nodes: EdgeNodes; counters: Counters }) {
    this.nodes = modules.nodes;
    this.counters = modules.counters;
  }

  private link(l: LeaseRec): void {
    let set = this.byNode.get(l.nodeId);
    if (!set) {
      set = new Set();
      this.byNode.set(l.nodeId, set);
    }
    set.add(l.id);
  }

  private unlink(l: LeaseRec): void {
    const set = this.byNode.get(l.nodeId);
    if (!set) return;
    set.delete(l.id);
    if (set.size === 0) this.byNode.delete(l.nodeId);
  }

  /** Picks the best edge node for a (registered) device and leases `demand` slots on it. */
  match(height: number, device: string, q: EdgeMatch): TxOutcome {
    const hit = this.nodes.match(q);
    if (!hit) {
      const cap = q.maxPrice === 0 ? 'any price' : `price <= ${q.maxPrice}`;
      return fail(ReceiptStatus.NO_CANDIDATE, `no online edge node offers "${q.taskType}" with ${q.demand} free slots at ${cap}`);
    }
    const n = hit.node;
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
      createdAt: height,
      endedAt: 0,
    });
    this.nodes.reserve(height, n, q.demand);
    const match: MatchResult = { nodeId: n.id, distanceM: hit.distanceM, price: n.price, leaseId, demand: q.demand };
    return { status: ReceiptStatus.OK, reason: '', match };
  }

  /** The lease's device or its node's owner ends an active lease; the slots become free. */
  release(height: number, sender: string, id: number): TxOutcome {
    const l = this.table.get(id);
    if (!l) return fail(ReceiptStatus.UNKNOWN_LEASE, `unknown lease ${id}`);
    if (l.status !== 'active') return fail(ReceiptStatus.LEASE_NOT_ACTIVE, `lease ${id} is ${l.status}`);
    const n = this.nodes.get(l.nodeId)!;
    if (sender !== l.device && sender !== n.owner) return fail(ReceiptStatus.NOT_LEASE_PARTY, `only the lease's device or the owner of "${n.id}" may release lease ${id}`);
    this.table.set(id, { ...l, status: 'released', endedAt: height });
    this.nodes.unreserve(height, n, l.demand);
    return OK;
  }

  /** Terminates every active lease on a node (it is being removed), in id order. */
  terminateAllOn(height: number, nodeId: string): void {
    for (const id of this.activeOn(nodeId)) this.table.set(id, { ...this.table.get(id)!, status: 'terminated', endedAt: height });
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

  /** Leases ever created (= the last lease id). */
  get count(): number {
    return this.counters.committed(Counter.LAST_LEASE_ID);
  }
}
