import { chordThresholdSq, unitVector, vecDistanceMetres } from './geo.ts';

/**
 * The spatial index of edge nodes used by EdgeMatch (docs/STATE.md, "Matching index").
 *
 * One adaptive quadtree per service type over (lat, lon) in integer micro-degrees: a cell
 * splits into four when it holds more than LEAF_MAX nodes, and collapses back into a leaf
 * when its subtree falls to COLLAPSE_AT nodes. Only online nodes are indexed. Every cell
 * keeps aggregates of its subtree:
 *  - the 3D bounding box of the unit vectors of its nodes: the Euclidean distance from the
 *    query's unit vector to that box is a lower bound of the chord to any node inside, and
 *    the great-circle distance is monotone in the chord. Working on unit vectors makes the
 *    bound correct across the date line and at the poles with no special case;
 *  - the largest free capacity and the lowest price: subtrees that cannot satisfy the
 *    demand or the price cap are skipped.
 * Search is best-first over cells ordered by that lower bound; it stops when the next cell's
 * bound exceeds the chord of (best floored distance + 1 m), widened by a slack far above
 * the rounding error, so a cell that might hold a tie (same whole-metre distance, lower price
 * or id) is always opened. Candidates are confirmed with exactly the consensus distance
 * function, so the result equals `bruteForceMatch` exactly.
 */

/** What the index needs from an edge node (WorldState's node records satisfy it). */
export interface IndexedNode {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
  /** Unit vector of (lat, lon), from geo.unitVector. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly capacity: number;
  readonly used: number;
  readonly price: number;
  readonly online: boolean;
  readonly serviceTypes: readonly string[];
}

export interface MatchQuery {
  lat: number;
  lon: number;
  taskType: string;
  demand: number;
  /** Per-slot price cap; 0 = no cap. */
  maxPrice: number;
}

export interface MatchHit<N extends IndexedNode = IndexedNode> {
  node: N;
  /** Floored great-circle distance in metres. */
  distanceM: number;
}

const LEAF_MAX = 32;
const COLLAPSE_AT = 8;
const MAX_DEPTH = 28;
const STRIDE = 5;
const LAT_MIN = -90_000_000;
const LAT_END = 90_000_001;
const LON_MIN = -180_000_000;
const LON_END = 180_000_001;

class Cell {
  readonly latLo: number;
  readonly latHi: number;
  readonly lonLo: number;
  readonly lonHi: number;
  readonly latMid: number;
  readonly lonMid: number;
  readonly depth: number;
  kids: Cell[] | null = null;
  items: IndexedNode[] | null = [];
  /**
   * Leaf only: x, y, z, free capacity, price of items[i] at [5i .. 5i+4], packed so a search
   * reads one contiguous block instead of chasing every node object (rebuilt by recompute()).
   */
  packed: Float64Array | null = null;
  count = 0;
  minX = Infinity;
  maxX = -Infinity;
  minY = Infinity;
  maxY = -Infinity;
  minZ = Infinity;
  maxZ = -Infinity;
  maxFree = -1;
  minPrice = Infinity;

  constructor(latLo: number, latHi: number, lonLo: number, lonHi: number, depth: number) {
    this.latLo = latLo;
    this.latHi = latHi;
    this.lonLo = lonLo;
    this.lonHi = lonHi;
    this.latMid = Math.floor((latLo + latHi) / 2);
    this.lonMid = Math.floor((lonLo + lonHi) / 2);
    this.depth = depth;
  }

  kidIndex(lat: number, lon: number): number {
    return (lat >= this.latMid ? 2 : 0) + (lon >= this.lonMid ? 1 : 0);
  }

  canSplit(): boolean {
    return this.depth < MAX_DEPTH && (this.latHi - this.latLo > 1 || this.lonHi - this.lonLo > 1);
  }

  resetAgg(): void {
    this.count = 0;
    this.minX = this.minY = this.minZ = Infinity;
    this.maxX = this.maxY = this.maxZ = -Infinity;
    this.maxFree = -1;
    this.minPrice = Infinity;
  }

  /** Rewrites the packed block from the node objects (after a split or collapse), then the aggregates. */
  repack(): void {
    const items = this.items!;
    this.reserve(items.length);
    for (let i = 0; i < items.length; i++) this.writeSlot(i, items[i]);
    this.recompute();
  }

  private reserve(n: number): void {
    const p = this.packed;
    if (p !== null && p.length >= n * STRIDE) return;
    const q = new Float64Array(Math.max(8, n + (n >> 1)) * STRIDE);
    if (p !== null) q.set(p);
    this.packed = q;
  }

  writeSlot(i: number, n: IndexedNode): void {
    const p = this.packed!;
    const o = i * STRIDE;
    p[o] = n.x;
    p[o + 1] = n.y;
    p[o + 2] = n.z;
    p[o + 3] = n.capacity - n.used;
    p[o + 4] = n.price;
  }

  /** Leaf: appends a node (items and packed) and widens the aggregates. */
  append(n: IndexedNode): void {
    const items = this.items!;
    items.push(n);
    this.reserve(items.length);
    this.writeSlot(items.length - 1, n);
    this.expand(n);
  }

  /** Leaf: removes slot i by moving the last one into it. */
  removeSlot(i: number): void {
    const items = this.items!;
    const last = items.length - 1;
    if (i !== last) {
      items[i] = items[last];
      this.packed!.copyWithin(i * STRIDE, last * STRIDE, last * STRIDE + STRIDE);
    }
    items.pop();
  }

  /** Widens the aggregates by one more node below this cell. */
  expand(n: IndexedNode): void {
    this.count++;
    if (n.x < this.minX) this.minX = n.x;
    if (n.x > this.maxX) this.maxX = n.x;
    if (n.y < this.minY) this.minY = n.y;
    if (n.y > this.maxY) this.maxY = n.y;
    if (n.z < this.minZ) this.minZ = n.z;
    if (n.z > this.maxZ) this.maxZ = n.z;
    const free = n.capacity - n.used;
    if (free > this.maxFree) this.maxFree = free;
    if (n.price < this.minPrice) this.minPrice = n.price;
  }

  /** Recomputes the aggregates: a leaf from its packed block, an inner cell from its kids. */
  recompute(): void {
    this.resetAgg();
    if (this.items) {
      const p = this.packed;
      const len = this.items.length;
      this.count = len;
      for (let o = 0, end = len * STRIDE; o < end; o += STRIDE) {
        const x = p![o];
        const y = p![o + 1];
        const z = p![o + 2];
        if (x < this.minX) this.minX = x;
        if (x > this.maxX) this.maxX = x;
        if (y < this.minY) this.minY = y;
        if (y > this.maxY) this.maxY = y;
        if (z < this.minZ) this.minZ = z;
        if (z > this.maxZ) this.maxZ = z;
        if (p![o + 3] > this.maxFree) this.maxFree = p![o + 3];
        if (p![o + 4] < this.minPrice) this.minPrice = p![o + 4];
      }
    } else {
      for (const k of this.kids!) {
        if (k.count === 0) continue;
        this.count += k.count;
        if (k.minX < this.minX) this.minX = k.minX;
        if (k.maxX > this.maxX) this.maxX = k.maxX;
        if (k.minY < this.minY) this.minY = k.minY;
        if (k.maxY > this.maxY) this.maxY = k.maxY;
        if (k.minZ < this.minZ) this.minZ = k.minZ;
        if (k.maxZ > this.maxZ) this.maxZ = k.maxZ;
        if (k.maxFree > this.maxFree) this.maxFree = k.maxFree;
        if (k.minPrice < this.minPrice) this.minPrice = k.minPrice;
      }
    }
  }

  /** Squared Euclidean distance from q to this cell's bounding box (a lower bound of the squared chord). */
  lowerBoundSq(qx: number, qy: number, qz: number): number {
    const dx = qx < this.minX ? this.minX - qx : qx > this.maxX ? qx - this.maxX : 0;
    const dy = qy < this.minY ? this.minY - qy : qy > this.maxY ? qy - this.maxY : 0;
    const dz = qz < this.minZ ? this.minZ - qz : qz > this.maxZ ? qz - this.maxZ : 0;
    return dx * dx + dy * dy + dz * dz;
  }
}

function split(c: Cell): void {
  const d = c.depth + 1;
  c.kids = [
    new Cell(c.latLo, c.latMid, c.lonLo, c.lonMid, d),
    new Cell(c.latLo, c.latMid, c.lonMid, c.lonHi, d),
    new Cell(c.latMid, c.latHi, c.lonLo, c.lonMid, d),
    new Cell(c.latMid, c.latHi, c.lonMid, c.lonHi, d),
  ];
  for (const n of c.items!) c.kids[c.kidIndex(n.lat, n.lon)].items!.push(n);
  c.items = null;
  c.packed = null;
  for (const k of c.kids) {
    if (k.items!.length > LEAF_MAX && k.canSplit()) split(k);
    else k.repack();
  }
  c.recompute();
}

function gather(c: Cell, out: IndexedNode[]): void {
  if (c.items) for (const n of c.items) out.push(n);
  else for (const k of c.kids!) gather(k, out);
}

/** Min-heap of cells by lower bound, reused across searches (one search at a time). */
class CellHeap {
  cells: Cell[] = [];
  keys: number[] = [];
  size = 0;

  clear(): void {
    for (let i = 0; i < this.size; i++) this.cells[i] = undefined as unknown as Cell;
    this.size = 0;
  }

  push(c: Cell, k: number): void {
    let i = this.size++;
    const cells = this.cells;
    const keys = this.keys;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p] <= k) break;
      cells[i] = cells[p];
      keys[i] = keys[p];
      i = p;
    }
    cells[i] = c;
    keys[i] = k;
  }

  /** Removes the minimum; read it first from cells[0]/keys[0]. */
  pop(): void {
    const n = --this.size;
    const cells = this.cells;
    const keys = this.keys;
    const lc = cells[n];
    const lk = keys[n];
    cells[n] = undefined as unknown as Cell;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let m = 2 * i + 1;
      if (m >= n) break;
      if (m + 1 < n && keys[m + 1] < keys[m]) m++;
      if (keys[m] >= lk) break;
      cells[i] = cells[m];
      keys[i] = keys[m];
      i = m;
    }
    cells[i] = lc;
    keys[i] = lk;
  }
}

/** One quadtree: the online nodes offering one service type. */
class TypeTree {
  readonly root = new Cell(LAT_MIN, LAT_END, LON_MIN, LON_END, 0);
  /** Ancestors of the last leaf found (root first); a fixed buffer, no allocation per call. */
  private readonly path: Cell[] = new Array<Cell>(MAX_DEPTH + 1).fill(this.root);
  private pathLen = 0;

  private leafOf(lat: number, lon: number): Cell {
    const path = this.path;
    let n = 0;
    let c = this.root;
    while (c.kids !== null) {
      path[n++] = c;
      c = c.kids[c.kidIndex(lat, lon)];
    }
    this.pathLen = n;
    return c;
  }

  private refreshPath(): void {
    for (let i = this.pathLen - 1; i >= 0; i--) this.path[i].recompute();
  }

  /** Refreshes ancestors after a change that kept count and location: stops once a cell's filters are unchanged. */
  private refreshFilters(): void {
    for (let i = this.pathLen - 1; i >= 0; i--) {
      const c = this.path[i];
      const f = c.maxFree;
      const p = c.minPrice;
      c.recompute();
      if (c.maxFree === f && c.minPrice === p) return;
    }
  }

  insert(n: IndexedNode): void {
    const leaf = this.leafOf(n.lat, n.lon);
    for (let i = 0; i < this.pathLen; i++) this.path[i].expand(n);
    leaf.append(n);
    if (leaf.items!.length > LEAF_MAX && leaf.canSplit()) split(leaf);
  }

  remove(n: IndexedNode): boolean {
    const leaf = this.leafOf(n.lat, n.lon);
    const i = indexOfNode(leaf.items!, n);
    if (i < 0) return false;
    leaf.removeSlot(i);
    leaf.recompute();
    this.refreshPath();
    // Collapse the highest ancestor whose subtree became small.
    for (let k = 0; k < this.pathLen; k++) {
      const c = this.path[k];
      if (c.count <= COLLAPSE_AT) {
        const all: IndexedNode[] = [];
        gather(c, all);
        c.kids = null;
        c.items = all;
        c.repack();
        break;
      }
    }
    return true;
  }

  /** Swaps in a new version of a node at the same location (capacity, price or use changed). */
  replace(old: IndexedNode, n: IndexedNode): boolean {
    const leaf = this.leafOf(n.lat, n.lon);
    const items = leaf.items!;
    const i = indexOfNode(items, old);
    if (i < 0) return false;
    items[i] = n;
    leaf.writeSlot(i, n);
    const f = leaf.maxFree;
    const p = leaf.minPrice;
    leaf.recompute();
    if (leaf.maxFree !== f || leaf.minPrice !== p) this.refreshFilters();
    return true;
  }
}

/** The slot of a node version: by identity first (the index holds the very objects it was given), else by id. */
function indexOfNode(items: IndexedNode[], n: IndexedNode): number {
  for (let i = 0; i < items.length; i++) if (items[i] === n) return i;
  const id = n.id;
  for (let i = 0; i < items.length; i++) if (items[i].id === id) return i;
  return -1;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface SearchStats {
  cellsVisited: number;
  nodesChecked: number;
}

export class SpatialIndex<N extends IndexedNode = IndexedNode> {
  private readonly trees = new Map<string, TypeTree>();
  private readonly heap = new CellHeap();
  private indexed = 0;
  /** Counters of the last search (for benches and tests). */
  readonly lastSearch: SearchStats = { cellsVisited: 0, nodesChecked: 0 };

  /** Number of distinct (online) nodes in the index. */
  get size(): number {
    return this.indexed;
  }

  private tree(type: string): TypeTree {
    let t = this.trees.get(type);
    if (!t) {
      t = new TypeTree();
      this.trees.set(type, t);
    }
    return t;
  }

  /** Adds a node (ignored if offline). */
  insert(n: N): void {
    if (!n.online) return;
    for (const t of n.serviceTypes) this.tree(t).insert(n);
    this.indexed++;
  }

  /** Removes a node version previously inserted (ignored if it was offline). */
  remove(n: N): void {
    if (!n.online) return;
    for (const t of n.serviceTypes) this.trees.get(t)?.remove(n);
    this.indexed--;
  }

  /** Replaces `old` (the version in the index) by `n` (same id); either may be offline. */
  update(old: N, n: N): void {
    if (old.online && n.online && old.lat === n.lat && old.lon === n.lon) {
      if (sameList(old.serviceTypes, n.serviceTypes)) {
        for (const t of n.serviceTypes) this.trees.get(t)?.replace(old, n);
        return;
      }
      const before = new Set(old.serviceTypes);
      const after = new Set(n.serviceTypes);
      for (const t of before) {
        if (after.has(t)) this.trees.get(t)?.replace(old, n);
        else this.trees.get(t)?.remove(old);
      }
      for (const t of after) if (!before.has(t)) this.tree(t).insert(n);
      return;
    }
    this.remove(old);
    this.insert(n);
  }

  /** The best node for the query (same answer as bruteForceMatch over the same nodes), or null. */
  match(q: MatchQuery): MatchHit<N> | null {
    const stats = this.lastSearch;
    stats.cellsVisited = 0;
    stats.nodesChecked = 0;
    const tree = this.trees.get(q.taskType);
    if (!tree || tree.root.count === 0) return null;
    const { x: qx, y: qy, z: qz } = unitVector(q.lat, q.lon);
    const demand = q.demand;
    const cap = q.maxPrice === 0 ? Infinity : q.maxPrice;
    let best: IndexedNode | null = null;
    let bestD = Infinity;
    let bestPrice = Infinity;
    let thr = Infinity;
    const heap = this.heap;
    heap.clear();
    const root = tree.root;
    if (root.maxFree < demand || root.minPrice > cap) return null;
    heap.push(root, root.lowerBoundSq(qx, qy, qz));
    while (heap.size > 0) {
      const c = heap.cells[0];
      const lb = heap.keys[0];
      if (lb >= thr) break;
      heap.pop();
      stats.cellsVisited++;
      if (c.kids) {
        for (const k of c.kids) {
          if (k.count === 0 || k.maxFree < demand || k.minPrice > cap) continue;
          const kl = k.lowerBoundSq(qx, qy, qz);
          if (kl < thr) heap.push(k, kl);
        }
        continue;
      }
      const items = c.items!;
      const p = c.packed!;
      const len = items.length;
      stats.nodesChecked += len;
      for (let i = 0, o = 0; i < len; i++, o += STRIDE) {
        const price = p[o + 4];
        if (p[o + 3] < demand || price > cap) continue;
        const d = vecDistanceMetres(qx, qy, qz, p[o], p[o + 1], p[o + 2]);
        if (d > bestD || (d === bestD && price > bestPrice)) continue;
        const n = items[i];
        if (d < bestD || price < bestPrice || n.id < best!.id) {
          best = n;
          bestD = d;
          bestPrice = price;
          thr = chordThresholdSq(d);
        }
      }
    }
    heap.clear();
    return best ? { node: best as N, distanceM: bestD } : null;
  }
}

/**
 * The reference matcher: scans every node. Same filters, same distance function, same
 * tie-breaks (distance in whole metres, then lower price, then id in byte order).
 */
export function bruteForceMatch<N extends IndexedNode>(nodes: Iterable<N>, q: MatchQuery): MatchHit<N> | null {
  const { x: qx, y: qy, z: qz } = unitVector(q.lat, q.lon);
  const cap = q.maxPrice === 0 ? Infinity : q.maxPrice;
  let best: N | null = null;
  let bestD = Infinity;
  for (const n of nodes) {
    if (!n.online || n.capacity - n.used < q.demand || n.price > cap || !n.serviceTypes.includes(q.taskType)) continue;
    const d = vecDistanceMetres(qx, qy, qz, n.x, n.y, n.z);
    if (best === null || d < bestD || (d === bestD && (n.price < best.price || (n.price === best.price && n.id < best.id)))) {
      best = n;
      bestD = d;
    }
  }
  return best ? { node: best, distanceM: bestD } : null;
}
