import type { AddNode, UpdateNode } from '../codec/types.ts';
import { StateEdgeNodeCodec, type StateEdgeNode } from '../codec/state.ts';
import type { AccountRole } from './accounts.ts';
import { addrBytes, addrHex, normAddr } from './address.ts';
import { unitVector } from './geo.ts';
import { KeyPrefix, nodeIdOfKey, nodeKey } from './keys.ts';
import { ReceiptStatus, OK, fail, type TxOutcome } from './receipts.ts';
import { SpatialIndex, bruteForceMatch, type IndexedNode, type MatchHit, type MatchQuery } from './spatial.ts';
import { Table } from './table.ts';

/**
 * An edge node record: the stored message (`StateEdgeNode`, generated from proto/state.proto)
 * with the owner as an address and the unit vector the index needs. Immutable: every change
 * installs a new object (the index holds these).
 */
export type NodeRec = Readonly<Omit<StateEdgeNode, 'owner' | 'serviceTypes'>> & { readonly owner: string } & IndexedNode;

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

export interface EdgeNodePage {
  total: number;
  nodes: EdgeNodeView[];
}

/** A node record with its unit vector (kept from `prev` when the location did not change). */
export function makeNode(fields: Omit<NodeRec, 'x' | 'y' | 'z'>, prev?: NodeRec): NodeRec {
  if (prev && prev.lat === fields.lat && prev.lon === fields.lon) return { ...fields, x: prev.x, y: prev.y, z: prev.z };
  const v = unitVector(fields.lat, fields.lon);
  return { ...fields, x: v.x, y: v.y, z: v.z };
}

/** The edge-node registry (prefix 0x04) and its spatial matching index, kept in step on every change. */
export class EdgeNodes {
  readonly index = new SpatialIndex<NodeRec>();
  /** Sorted ids of the committed nodes (null = recompute). */
  private sortedIds: string[] | null = null;

  readonly table = new Table<string, NodeRec, StateEdgeNode>({
    name: 'edge node',
    prefix: KeyPrefix.NODE,
    key: (id) => nodeKey(id),
    rowKey: (key) => nodeIdOfKey(key),
    codec: StateEdgeNodeCodec,
    // the encoder reads the message's fields only (not x, y, z)
    toProto: (n) => ({ ...n, owner: addrBytes(n.owner), serviceTypes: [...n.serviceTypes] }),
    checkStored: (m, id) => (m.id === id ? null : 'node key does not match its id'),
    fromProto: (m) =>
      makeNode({
        id: m.id,
        owner: addrHex(m.owner),
        lat: m.lat,
        lon: m.lon,
        capacity: m.capacity,
        used: m.used,
        serviceTypes: [...m.serviceTypes],
        price: m.price,
        online: m.online,
        activeLeases: m.activeLeases,
        addedAt: m.addedAt,
        updatedAt: m.updatedAt,
      }),
    onChange: (_id, old, next) => {
      if (old && next) this.index.update(old, next);
      else if (old) this.index.remove(old);
      else if (next) this.index.insert(next);
    },
  });

  get(id: string): NodeRec | undefined {
    return this.table.get(id);
  }

  /** A company records a new edge node. */
  add(height: number, sender: string, role: AccountRole, p: AddNode): TxOutcome {
    if (role !== 'company') return fail(ReceiptStatus.NOT_COMPANY, 'only a company account may add edge nodes');
    if (this.table.has(p.id)) return fail(ReceiptStatus.NODE_EXISTS, `edge node "${p.id}" already exists`);
    this.table.set(
      p.id,
      makeNode({
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
      }),
    );
    return OK;
  }

  /** The owner replaces every mutable field; capacity never drops below the slots in use. */
  update(height: number, sender: string, p: UpdateNode): TxOutcome {
    const n = this.table.get(p.id);
    if (!n) return fail(ReceiptStatus.UNKNOWN_NODE, `unknown edge node "${p.id}"`);
    if (n.owner !== sender) return fail(ReceiptStatus.NOT_OWNER, `edge node "${p.id}" belongs to ${n.owner}`);
    if (p.capacity < n.used) return fail(ReceiptStatus.CAPACITY_BELOW_USED, `capacity ${p.capacity} is below the ${n.used} slots in use`);
    this.table.set(
      p.id,
      makeNode(
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
      ),
    );
    return OK;
  }

  /** Whether `sender` may remove node `id` (OK), or why not. */
  checkRemove(sender: string, id: string): TxOutcome {
    const n = this.table.get(id);
    if (!n) return fail(ReceiptStatus.UNKNOWN_NODE, `unknown edge node "${id}"`);
    if (n.owner !== sender) return fail(ReceiptStatus.NOT_OWNER, `edge node "${id}" belongs to ${n.owner}`);
    return OK;
  }

  delete(id: string): void {
    this.table.set(id, undefined);
  }

  /** One more lease of `demand` slots on the node. */
  reserve(height: number, n: NodeRec, demand: number): void {
    this.table.set(n.id, { ...n, used: n.used + demand, activeLeases: n.activeLeases + 1, updatedAt: height });
  }

  /** One lease of `demand` slots fewer on the node (or `leases` leases of `demand` slots in all). */
  unreserve(height: number, n: NodeRec, demand: number, leases = 1): void {
    this.table.set(n.id, { ...n, used: n.used - demand, activeLeases: n.activeLeases - leases, updatedAt: height });
  }

  /** The best node for a query, on the state as last executed. */
  match(q: MatchQuery): MatchHit<NodeRec> | null {
    return this.index.match(q);
  }

  /** The same query answered by scanning every node (the reference for the index). */
  bruteForce(q: MatchQuery): MatchHit<NodeRec> | null {
    return bruteForceMatch(this.table.values(), q);
  }

  /** Called before the open execution is kept: drops the cached id list if nodes came or went. */
  beforeCommit(): void {
    for (const [id, orig] of this.table.touched()) {
      if (!orig !== !this.table.get(id)) {
        this.sortedIds = null;
        return;
      }
    }
  }

  // ------------------------------------------------------------ committed state (queries)

  view(id: string): EdgeNodeView | null {
    const n = this.table.committed(id);
    return n ? nodeView(n) : null;
  }

  private committedIds(): string[] {
    if (this.sortedIds) return this.sortedIds;
    const ids = new Set(this.table.keys());
    for (const [id, orig] of this.table.touched()) orig ? ids.add(id) : ids.delete(id);
    const sorted = [...ids].sort();
    this.sortedIds = sorted;
    return sorted;
  }

  /** Edge nodes sorted by id (byte order), optionally only those of one owner. */
  page(opts: { offset?: number; limit?: number; owner?: string } = {}): EdgeNodePage {
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = Math.max(0, opts.limit ?? 100);
    let ids = this.committedIds();
    const get = (id: string) => this.table.committed(id)!;
    if (opts.owner !== undefined) {
      const owner = normAddr(opts.owner);
      ids = ids.filter((id) => get(id).owner === owner);
    }
    return { total: ids.length, nodes: ids.slice(offset, offset + limit).map((id) => nodeView(get(id))) };
  }

  get count(): number {
    let n = this.table.size;
    for (const [id, orig] of this.table.touched()) n += (orig ? 1 : 0) - (this.table.has(id) ? 1 : 0);
    return n;
  }
}

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
