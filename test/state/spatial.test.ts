import { describe, it, expect } from 'vitest';
import { SpatialIndex, bruteForceMatch, unitVector, WorldState, type IndexedNode, type MatchQuery } from '../../src/state/index.ts';
import { prng, STD_GENESIS, TxMaker, P, run, addr as addrOf } from './helpers.ts';

const LAT = 90_000_000;
const LON = 180_000_000;
const TYPES = ['video', 'ml', 'storage', 'gpu'];

interface TNode extends IndexedNode {
  serviceTypes: string[];
}

function mk(id: string, lat: number, lon: number, capacity: number, used: number, price: number, types: string[], online = true): TNode {
  const v = unitVector(lat, lon);
  return { id, lat, lon, x: v.x, y: v.y, z: v.z, capacity, used, price, online, serviceTypes: types };
}

type Rnd = () => number;
const ri = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const wrapLon = (x: number) => (x > LON ? x - 2 * LON : x < -LON ? x + 2 * LON : x);
const clampLat = (x: number) => Math.max(-LAT, Math.min(LAT, x));

/** Location generators for the scenarios. */
type Gen = (rnd: Rnd) => [number, number];
const uniform: Gen = (r) => {
  // uniform on the sphere: lat = asin(2u − 1)
  const lat = Math.round((Math.asin(2 * r() - 1) * 180e6) / Math.PI);
  return [clampLat(lat), ri(r, -LON, LON)];
};
const CITIES: [number, number][] = [
  [48_856_000, 2_352_000],
  [35_676_000, 139_650_000],
  [-33_868_000, 151_209_000],
  [40_712_000, -74_006_000],
];
const city: Gen = (r) => {
  const [la, lo] = CITIES[ri(r, 0, CITIES.length - 1)];
  // coarse grid (≈ 111 m steps) so exact distance ties happen often
  return [clampLat(la + ri(r, -50, 50) * 1000), wrapLon(lo + ri(r, -50, 50) * 1000)];
};
const dateLine: Gen = (r) => [ri(r, -70_000_000, 70_000_000), wrapLon(LON + ri(r, -3_000_000, 3_000_000))];
const poles: Gen = (r) => [(r() < 0.5 ? 1 : -1) * ri(r, LAT - 3_000_000, LAT), ri(r, -LON, LON)];

function randomNode(r: Rnd, id: string, gen: Gen): TNode {
  const [lat, lon] = gen(r);
  const cap = ri(r, 1, 10);
  const types = TYPES.filter(() => r() < 0.5);
  if (types.length === 0) types.push(TYPES[ri(r, 0, TYPES.length - 1)]);
  return mk(id, lat, lon, cap, ri(r, 0, cap), ri(r, 1, 8), types, r() < 0.9);
}

function randomQuery(r: Rnd, gen: Gen): MatchQuery {
  const [lat, lon] = gen(r);
  return { lat, lon, taskType: TYPES[ri(r, 0, TYPES.length - 1)], demand: ri(r, 1, 6), maxPrice: r() < 0.5 ? 0 : ri(r, 1, 8) };
}

function check(index: SpatialIndex<TNode>, all: Map<string, TNode>, q: MatchQuery) {
  const a = index.match(q);
  const b = bruteForceMatch(all.values(), q);
  expect(a === null ? null : { id: a.node.id, d: a.distanceM }, JSON.stringify(q)).toEqual(b === null ? null : { id: b.node.id, d: b.distanceM });
}

function scenario(seed: number, nodeGen: Gen, queryGen: Gen, nodes: number, queries: number) {
  const r = prng(seed);
  const index = new SpatialIndex<TNode>();
  const all = new Map<string, TNode>();
  for (let i = 0; i < nodes; i++) {
    const n = randomNode(r, 'n' + i.toString().padStart(5, '0'), nodeGen);
    all.set(n.id, n);
    index.insert(n);
  }
  let found = 0;
  for (let i = 0; i < queries; i++) {
    const q = randomQuery(r, queryGen);
    check(index, all, q);
    if (index.match(q)) found++;
  }
  // the scenarios must exercise both outcomes
  expect(found).toBeGreaterThan(queries / 4);
  return { index, all, r };
}

describe('matching index == brute force', () => {
  it('uniform world', () => {
    scenario(1, uniform, uniform, 4000, 1500);
  });
  it('clustered cities with exact distance ties', () => {
    scenario(2, city, city, 4000, 1500);
  });
  it('around the date line (±180°)', () => {
    scenario(3, dateLine, dateLine, 3000, 1500);
  });
  it('near both poles, queries from anywhere near them', () => {
    scenario(4, poles, poles, 3000, 1500);
  });
  it('queries far from every node (antipodal side, wide bounds)', () => {
    scenario(5, city, uniform, 2000, 500);
  });

  it('after random inserts, updates, moves, type and online changes, removals', () => {
    const gens = [uniform, city, dateLine, poles];
    const r = prng(6);
    const index = new SpatialIndex<TNode>();
    const all = new Map<string, TNode>();
    let next = 0;
    for (let step = 0; step < 6000; step++) {
      const op = r();
      const gen = gens[ri(r, 0, gens.length - 1)];
      const ids = [...all.keys()];
      if (op < 0.35 || ids.length < 10) {
        const n = randomNode(r, 'm' + next++, gen);
        all.set(n.id, n);
        index.insert(n);
      } else if (op < 0.5) {
        const id = ids[ri(r, 0, ids.length - 1)];
        index.remove(all.get(id)!);
        all.delete(id);
      } else if (op < 0.7) {
        // lease / release: only `used` changes
        const old = all.get(ids[ri(r, 0, ids.length - 1)])!;
        const n = { ...old, used: ri(r, 0, old.capacity) };
        index.update(old, n);
        all.set(n.id, n);
      } else if (op < 0.85) {
        // full update: maybe move, new types, price, online
        const old = all.get(ids[ri(r, 0, ids.length - 1)])!;
        const fresh = randomNode(r, old.id, gen);
        const n = r() < 0.5 ? { ...fresh, lat: old.lat, lon: old.lon, x: old.x, y: old.y, z: old.z } : fresh;
        index.update(old, n);
        all.set(n.id, n);
      } else {
        check(index, all, randomQuery(r, gen));
      }
    }
    expect(index.size).toBe([...all.values()].filter((n) => n.online).length);
    for (let i = 0; i < 1000; i++) check(index, all, randomQuery(r, gens[i % 4]));
    // remove everything: collapses back, then finds nothing
    for (const n of all.values()) index.remove(n);
    expect(index.size).toBe(0);
    expect(index.match({ lat: 0, lon: 0, taskType: 'video', demand: 1, maxPrice: 0 })).toBeNull();
  });

  it('mirrored pairs: exact distance ties across cells are broken by price, then id', () => {
    const r = prng(11);
    const centres: [number, number][] = [[1_234_567, 2_345_678], [-45_000_001, 179_990_001], [89_950_000, 33], [0, 0]];
    const index = new SpatialIndex<TNode>();
    const all = new Map<string, TNode>();
    let k = 0;
    for (const [clat, clon] of centres) {
      for (let i = 0; i < 600; i++) {
        const a = ri(r, -20_000, 20_000);
        const b = ri(r, 1, 20_000);
        const lat = clampLat(clat + a);
        for (const lon of [wrapLon(clon + b), wrapLon(clon - b)]) {
          const cap = ri(r, 1, 4);
          const n = mk('p' + (k++).toString(36) + '-' + ri(r, 0, 99), lat, lon, cap, ri(r, 0, cap), ri(r, 1, 2), ['video']);
          all.set(n.id, n);
          index.insert(n);
        }
      }
    }
    let ties = 0;
    for (let i = 0; i < 1500; i++) {
      const [lat, lon] = centres[i % centres.length];
      const q = { lat, lon, taskType: 'video', demand: ri(r, 1, 4), maxPrice: ri(r, 0, 2) };
      check(index, all, q);
      const best = bruteForceMatch(all.values(), q);
      if (best) {
        const cap = q.maxPrice === 0 ? Infinity : q.maxPrice;
        const same = [...all.values()].filter((n) => n.capacity - n.used >= q.demand && n.price <= cap && n.id !== best.node.id && bruteForceMatch([n], q)!.distanceM === best.distanceM);
        if (same.length > 0) ties++;
      }
      // consume capacity like a lease would, so later queries see other winners
      const hit = index.match(q);
      if (hit) {
        const n = { ...hit.node, used: hit.node.used + q.demand };
        index.update(hit.node, n);
        all.set(n.id, n);
      }
    }
    expect(ties).toBeGreaterThan(50);
  });

  it('cell filters follow capacity and price changes (full nodes freed, prices cut)', () => {
    const r = prng(12);
    const index = new SpatialIndex<TNode>();
    const all = new Map<string, TNode>();
    for (let i = 0; i < 3000; i++) {
      const [lat, lon] = [uniform, city][i % 2](r);
      const n = mk('f' + i, lat, lon, 8, 8, 50, ['video']); // full and expensive
      all.set(n.id, n);
      index.insert(n);
    }
    const ids = [...all.keys()];
    let found = 0;
    for (let step = 0; step < 3000; step++) {
      const old = all.get(ids[ri(r, 0, ids.length - 1)])!;
      const op = r();
      const n = op < 0.4 ? { ...old, used: ri(r, 0, 8) } : op < 0.7 ? { ...old, price: ri(r, 1, 50) } : { ...old, used: 8, price: 50 };
      index.update(old, n);
      all.set(n.id, n);
      const [lat, lon] = [uniform, city][step % 2](r);
      const q = { lat, lon, taskType: 'video', demand: ri(r, 1, 8), maxPrice: r() < 0.3 ? 0 : ri(r, 1, 49) };
      check(index, all, q);
      if (index.match(q)) found++;
    }
    expect(found).toBeGreaterThan(500);
  });

  it('many nodes at one identical location: lowest price, then lowest id', () => {
    const index = new SpatialIndex<TNode>();
    const all = new Map<string, TNode>();
    const r = prng(8);
    for (let i = 0; i < 300; i++) {
      const n = mk('same-' + ri(r, 0, 1e9), 1_234_567, -7_654_321, 5, 0, ri(r, 1, 4), ['video']);
      all.set(n.id, n);
      index.insert(n);
    }
    for (let i = 0; i < 200; i++) check(index, all, { lat: 1_234_567 + ri(r, -5000, 5000), lon: -7_654_321 + ri(r, -5000, 5000), taskType: 'video', demand: ri(r, 1, 5), maxPrice: ri(r, 0, 4) });
  });

  it('a search does not scan everything', () => {
    const { index } = scenario(9, uniform, uniform, 4000, 10);
    index.match({ lat: 10_000_000, lon: 10_000_000, taskType: 'video', demand: 1, maxPrice: 0 });
    expect(index.lastSearch.nodesChecked).toBeLessThan(400);
  });
});

describe('WorldState matching == brute force after random blocks', () => {
  it('matches, releases, updates and removals through real txs', () => {
    const { state: ws } = WorldState.fromGenesis(STD_GENESIS());
    const t = new TxMaker();
    const r = prng(10);
    const owners = ['acme', 'globex'];
    const devices = Array.from({ length: 6 }, (_, i) => 'dev' + i);
    const labels = [...owners, ...devices];
    const labelOf = new Map(labels.map((l) => [addrOf(l), l]));
    const setup = devices.map((d) => t.tx(d, P.register('serial-' + d)));
    for (let i = 0; i < 150; i++) {
      const [lat, lon] = [city, dateLine, poles][i % 3](r);
      setup.push(t.tx(owners[i % 2], P.add('en' + i, lat, lon, ri(r, 1, 6), TYPES.filter(() => r() < 0.6).concat(['video']).filter((x, k, a) => a.indexOf(x) === k), ri(r, 1, 5))));
    }
    run(ws, 1, setup);
    let height = 2;
    let checked = 0;
    for (let b = 0; b < 25; b++) {
      const txs = [];
      for (let k = 0; k < 12; k++) {
        const op = r();
        const [lat, lon] = [city, dateLine, poles][ri(r, 0, 2)](r);
        if (op < 0.55) {
          txs.push(t.tx(devices[ri(r, 0, devices.length - 1)], P.match(lat, lon, TYPES[ri(r, 0, 3)], ri(r, 1, 3), r() < 0.5 ? 0 : ri(r, 1, 5))));
        } else if (op < 0.8) {
          // release a random lease by its device, its EN's owner, or a random other party
          const id = ri(r, 1, Math.max(1, ws.leaseCount));
          const l = ws.lease(id);
          const owner = l ? ws.edgeNode(l.nodeId)?.owner : undefined;
          const pick = r();
          const who = l && pick < 0.45 ? labelOf.get(l.device)! : owner && pick < 0.9 ? labelOf.get(owner)! : labels[ri(r, 0, labels.length - 1)];
          txs.push(t.tx(who, P.release(id)));
        } else if (op < 0.93) {
          const id = 'en' + ri(r, 0, 149);
          const n = ws.edgeNode(id);
          const who = n && r() < 0.9 ? labelOf.get(n.owner)! : owners[ri(r, 0, 1)];
          const cap = Math.max(n?.used ?? 1, ri(r, 1, 8));
          txs.push(t.tx(who, P.update(id, lat, lon, cap, r() < 0.5 ? ['video'] : ['video', TYPES[ri(r, 1, 3)]], ri(r, 1, 5), r() < 0.85)));
        } else {
          const id = 'en' + ri(r, 0, 149);
          txs.push(t.tx(owners[ri(r, 0, 1)], P.remove(id)));
        }
      }
      run(ws, height++, txs);
      for (let k = 0; k < 40; k++) {
        const [lat, lon] = [city, dateLine, poles, uniform][k % 4](r);
        const q = { lat, lon, taskType: TYPES[ri(r, 0, 3)], demand: ri(r, 1, 4), maxPrice: r() < 0.5 ? 0 : ri(r, 1, 5) };
        expect(ws.previewMatch(q)).toEqual(ws.bruteForcePreview(q));
        checked++;
      }
    }
    expect(checked).toBe(1000);
    expect(ws.leaseCount).toBeGreaterThan(20);
    const statuses = new Set(Array.from({ length: ws.leaseCount }, (_, i) => ws.lease(i + 1)!.status));
    expect([...statuses].sort()).toEqual(['active', 'released', 'terminated']);
  });
});
