/**
 * State machine benchmarks: EdgeMatch lookup (indexed vs brute force) at 10k / 100k / 1M ENs
 * with uniform and clustered distributions, and block execution of 1,000-tx EdgeMatch blocks.
 * Run alone: `npx node bench/state.bench.ts [--quick]`.
 */
import { fileURLToPath } from 'node:url';
import { keyPairFromLabel } from '../src/crypto/keys.ts';
import { sha256 } from '../src/crypto/hash.ts';
import { signTx, type SignedTx } from '../src/chain/tx.ts';
import { DEFAULT_PARAMS } from '../src/chain/params.ts';
import { fromHex, utf8 } from '../src/util/bytes.ts';
import { StateAccountCodec, StateDeviceCodec, StateDeviceInfoCodec, StateEdgeNodeCodec } from '../src/codec/state.ts';
import {
  SpatialIndex,
  WorldState,
  accountKey,
  bruteForceMatch,
  deviceInfoKey,
  deviceKey,
  nodeKey,
  unitVector,
  type IndexedNode,
  type MatchQuery,
} from '../src/state/index.ts';
import { ed25519VerifyCpuUs, percentile, processCpuUs } from './lib.ts';
import { applyWrites, buildTree, rootOf } from '../src/state/auth.ts';
import { mulberry32 as prng } from '../test/sim/prng.ts';

const TYPES = ['video', 'ml', 'storage', 'gpu', 'iot', 'ar', 'db', 'cache'];
const LAT = 90_000_000;
const LON = 180_000_000;


type Dist = 'uniform' | 'clustered';
type Rnd = () => number;

function makeLocGen(dist: Dist, r: Rnd): () => [number, number] {
  const clamp = (v: number, m: number) => Math.max(-m, Math.min(m, Math.round(v)));
  const wrap = (v: number) => (v > LON ? v - 2 * LON : v < -LON ? v + 2 * LON : v);
  const uniform = (): [number, number] => [clamp((Math.asin(2 * r() - 1) * 180e6) / Math.PI, LAT), clamp((r() * 2 - 1) * LON, LON)];
  if (dist === 'uniform') return uniform;
  // 60 cities (a few near the date line and the poles), Gaussian spread σ ≈ 0.15°, 10% background
  const cities: [number, number][] = Array.from({ length: 60 }, (_, i) => (i < 4 ? [(i < 2 ? 1 : -1) * 85e6, (i * 90 - 135) * 1e6] : i < 8 ? [(i - 6) * 10e6, 179.9e6] : uniform()));
  const gauss = () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
  return () => {
    if (r() < 0.1) return uniform();
    const [la, lo] = cities[Math.floor(r() * cities.length)];
    return [clamp(la + gauss() * 150_000, LAT), wrap(clamp(lo + gauss() * 150_000, LON))];
  };
}

export interface BNode extends IndexedNode {
  serviceTypes: string[];
}

export function makeNodes(n: number, dist: Dist, seed: number): BNode[] {
  const r = prng(seed);
  const loc = makeLocGen(dist, r);
  const out: BNode[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [lat, lon] = loc();
    const v = unitVector(lat, lon);
    const k = 1 + Math.floor(r() * 3);
    const types: string[] = [];
    while (types.length < k) {
      const t = TYPES[Math.floor(r() * TYPES.length)];
      if (!types.includes(t)) types.push(t);
    }
    const capacity = 1 + Math.floor(r() * 16);
    out[i] = { id: 'en-' + i.toString(36), lat, lon, x: v.x, y: v.y, z: v.z, capacity, used: Math.floor(r() * capacity * 0.5), price: 1 + Math.floor(r() * 100), online: r() < 0.95, serviceTypes: types };
  }
  return out;
}

function makeQueries(n: number, dist: Dist, seed: number): MatchQuery[] {
  const r = prng(seed);
  const loc = makeLocGen(dist, r);
  return Array.from({ length: n }, () => {
    const [lat, lon] = loc();
    return { lat, lon, taskType: TYPES[Math.floor(r() * TYPES.length)], demand: 1 + Math.floor(r() * 4), maxPrice: r() < 0.5 ? 0 : 20 + Math.floor(r() * 80) };
  });
}

function timeEach(queries: MatchQuery[], fn: (q: MatchQuery) => unknown): number[] {
  const us: number[] = [];
  for (const q of queries) {
    const t0 = process.hrtime.bigint();
    fn(q);
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return us;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const label = (n: number) => (n >= 1_000_000 ? n / 1_000_000 + 'm' : n / 1000 + 'k');

async function matchFigures(quick: boolean, out: Record<string, number>): Promise<void> {
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  for (const n of sizes) {
    for (const dist of ['uniform', 'clustered'] as const) {
      const nodes = makeNodes(n, dist, n + (dist === 'uniform' ? 1 : 2));
      const index = new SpatialIndex<BNode>();
      const t0 = process.hrtime.bigint();
      for (const node of nodes) index.insert(node);
      const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const tag = dist === 'uniform' ? label(n) : 'clustered_' + label(n);
      const queries = makeQueries(quick ? 3000 : 10_000, dist, n + 7);
      for (const q of queries.slice(0, 500)) index.match(q); // warm-up
      const idx = timeEach(queries, (q) => index.match(q));
      out[`match.indexed_${tag}_p50_us`] = round2(percentile(idx, 50));
      out[`match.indexed_${tag}_p99_us`] = round2(percentile(idx, 99));
      out[`match.index_build_${tag}_ms`] = Math.round(buildMs);
      const bruteN = n >= 1_000_000 ? 30 : n >= 100_000 ? 100 : 300;
      const bq = queries.slice(0, bruteN);
      // brute force == index on the sampled queries (a bench sanity check, not a test)
      for (const q of bq) {
        const a = index.match(q);
        const b = bruteForceMatch(nodes, q);
        if ((a?.node.id ?? null) !== (b?.node.id ?? null)) throw new Error(`index and brute force disagree on ${JSON.stringify(q)}`);
      }
      const brute = timeEach(bq, (q) => bruteForceMatch(nodes, q));
      out[`match.brute_${tag}_p50_us`] = round2(percentile(brute, 50));
      out[`match.brute_${tag}_p99_us`] = round2(percentile(brute, 99));
      out[`match.speedup_${tag}_p50_x`] = Math.round(percentile(brute, 50) / percentile(idx, 50));
    }
  }
}

/**
 * A WorldState loaded with `nodes` ENs (one company) and `devices` registered devices, each
 * funded (paid leases: a match locks price × demand × seconds) and allowed many leases.
 */
export function loadedState(nodes: BNode[], deviceLabels: string[], params: Partial<typeof DEFAULT_PARAMS> = {}): WorldState {
  return WorldState.load(loadedEntries(nodes, deviceLabels), { height: 0, rules: { chainId: 'bench', params: { ...DEFAULT_PARAMS, maxLeasesPerDevice: 1_000_000, ...params } } });
}

/** The stored entries of `loadedState`. */
export function loadedEntries(nodes: BNode[], deviceLabels: string[]): [Uint8Array, Uint8Array][] {
  const company = keyPairFromLabel('bench-company');
  const owner = fromHex(company.address)!;
  const entries: [Uint8Array, Uint8Array][] = [[accountKey(owner), StateAccountCodec.encode({ nonce: 0, balance: 0, role: 2 })]];
  for (const n of nodes) {
    entries.push([
      nodeKey(n.id),
      StateEdgeNodeCodec.encode({ id: n.id, owner, lat: n.lat, lon: n.lon, capacity: n.capacity, used: 0, serviceTypes: n.serviceTypes, price: n.price, online: n.online, activeLeases: 0, addedAt: 0, updatedAt: 0 }),
    ]);
  }
  for (const d of deviceLabels) {
    const a = fromHex(keyPairFromLabel(d).address)!;
    entries.push([deviceKey(a), StateDeviceCodec.encode({ info: d, registeredAt: 0, deposit: 0 })]);
    entries.push([accountKey(a), StateAccountCodec.encode({ nonce: 0, balance: 1e12, role: 0 })]);
    entries.push([deviceInfoKey(sha256(utf8(d))), StateDeviceInfoCodec.encode({ device: a })]);
  }
  return entries;
}

async function execFigures(quick: boolean, out: Record<string, number>): Promise<void> {
  const n = quick ? 10_000 : 100_000;
  const nodes = makeNodes(n, 'clustered', 99).map((x) => ({ ...x, capacity: 1000 }));
  const deviceLabels = Array.from({ length: 1000 }, (_, i) => 'bench-device-' + i);
  const t0 = process.hrtime.bigint();
  const ws = loadedState(nodes, deviceLabels);
  out[`state.load_${label(n)}_nodes_ms`] = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
  let tree = buildTree(loadedEntries(nodes, deviceLabels)); // a second copy, to time the tree update alone
  const keys = deviceLabels.map((d) => keyPairFromLabel(d));
  const blocks = quick ? 6 : 8;
  const r = prng(5);
  const loc = makeLocGen('clustered', r);
  const txBlocks: SignedTx[][] = [];
  for (let b = 0; b < blocks; b++) {
    txBlocks.push(
      keys.map((k) => {
        const [lat, lon] = loc();
        return signTx(k, 'bench', b, { kind: 'edgeMatch', edgeMatch: { lat, lon, taskType: TYPES[Math.floor(r() * TYPES.length)], demand: 1 + Math.floor(r() * 3), maxPrice: 0, durationS: 60 } });
      }),
    );
  }
  let txs = 0;
  let ns = 0n;
  let cpuUs = 0;
  let treeUs = 0;
  let matched = 0;
  for (let b = 0; b < blocks; b++) {
    const s = process.hrtime.bigint();
    const c = processCpuUs();
    const res = ws.execute({ height: b + 1, timestamp: 0, proposer: '0x' + '00'.repeat(20) }, txBlocks[b]);
    if (!res.ok) throw res.error;
    ws.commit();
    const cpu = processCpuUs() - c;
    const e = process.hrtime.bigint() - s;
    // the authenticated tree's share: the same block's write set applied again to the tree before it
    const t = processCpuUs();
    tree = applyWrites(tree, res.value.writes);
    const root = rootOf(tree);
    const treeCpu = processCpuUs() - t;
    if (toHexRoot(root) !== toHexRoot(res.value.stateRoot)) throw new Error('tree update disagrees with the execution');
    if (b > 0) {
      ns += e; // first block is warm-up
      cpuUs += cpu;
      treeUs += treeCpu;
      txs += txBlocks[b].length;
    }
    matched += res.value.receipts.filter((x) => x.match).length;
  }
  if (matched < blocks * 900) throw new Error(`only ${matched} matches`);
  out[`state.exec_edgematch_block_tx_per_s`] = Math.round(txs / (Number(ns) / 1e9));
  out[`state.exec_edgematch_block_ms`] = round2(Number(ns) / 1e6 / (blocks - 1));
  // CPU per tx, and in units of one Ed25519 verification measured in the same run (issue 16)
  const ed = await ed25519VerifyCpuUs();
  out['state.ed25519_verify_cpu_us'] = round2(ed);
  out['state.exec_cpu_us_per_tx'] = round2(cpuUs / txs);
  out['state.exec_ed25519_units_per_tx'] = round2(cpuUs / txs / ed);
  out['state.tree_update_cpu_us_per_tx'] = round2(treeUs / txs);
  out['state.tree_update_ed25519_units_per_tx'] = round2(treeUs / txs / ed);
}

const toHexRoot = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await execFigures(opts.quick, out);
  await matchFigures(opts.quick, out);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(44)} ${v}`);
}
