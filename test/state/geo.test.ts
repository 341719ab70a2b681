import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { dsin, dcos, dasin, datan, distanceM, distanceMetres, EARTH_RADIUS_M, chordThresholdSq, unitVector } from '../../src/domain/geo.ts';
import { prng } from './helpers.ts';

/** Reference haversine with Math.* (tests only). */
function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180e6;
  const p1 = lat1 * r;
  const p2 = lat2 * r;
  const h = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

const LAT = 90_000_000;
const LON = 180_000_000;

function expectClose(a: [number, number], b: [number, number]) {
  const h = haversine(a[0], a[1], b[0], b[1]);
  const d = distanceM(a[0], a[1], b[0], b[1]);
  const f = distanceMetres(a[0], a[1], b[0], b[1]);
  expect(Math.abs(d - h)).toBeLessThanOrEqual(0.005 * h + 1e-6);
  // floored whole metres: within 0.5% or the 1 m of flooring
  expect(Math.abs(f - h)).toBeLessThanOrEqual(Math.max(0.005 * h, 1));
  expect(Number.isInteger(f)).toBe(true);
}

describe('deterministic trig', () => {
  it('sin, cos, asin, atan agree with Math.* to ~1e-15 on their ranges', () => {
    const rnd = prng(1);
    for (let i = 0; i < 20_000; i++) {
      const x = (rnd() * 2 - 1) * 7;
      expect(Math.abs(dsin(x) - Math.sin(x))).toBeLessThan(1e-15);
      expect(Math.abs(dcos(x) - Math.cos(x))).toBeLessThan(1e-15);
      const y = rnd() * 2 - 1;
      expect(Math.abs(dasin(y) - Math.asin(y))).toBeLessThan(1e-15);
      const z = (rnd() - 0.5) * 200;
      expect(Math.abs(datan(z) - Math.atan(z))).toBeLessThan(1e-14);
    }
    expect(dasin(1)).toBe(Math.PI / 2);
    expect(dasin(-1)).toBe(-Math.PI / 2);
    expect(dasin(0)).toBe(0);
    expect(dsin(0)).toBe(0);
    expect(dcos(0)).toBe(1);
  });
});

describe('distance', () => {
  it('identical points are 0 m, also at the poles and across the date line', () => {
    expect(distanceMetres(12_345_678, -98_765_432, 12_345_678, -98_765_432)).toBe(0);
    expect(distanceMetres(LAT, 0, LAT, 123_456_789)).toBe(0);
    expect(distanceMetres(-LAT, -LON, -LAT, 77)).toBe(0);
    expect(distanceMetres(10_000_000, LON, 10_000_000, -LON)).toBe(0);
  });

  it('known values: antipodes, pole to pole, quarter circle, one micro-degree', () => {
    const half = Math.PI * EARTH_RADIUS_M;
    expect(Math.abs(distanceM(0, 0, 0, LON) - half)).toBeLessThan(1e-6);
    expect(Math.abs(distanceM(LAT, 0, -LAT, 0) - half)).toBeLessThan(1e-6);
    expect(Math.abs(distanceM(33_000_000, 44_000_000, -33_000_000, 44_000_000 - LON) - half)).toBeLessThan(1e-3);
    expect(Math.abs(distanceM(0, 0, LAT, 0) - half / 2)).toBeLessThan(1e-6);
    expect(Math.abs(distanceM(0, 0, 0, 1) - (Math.PI / 180e6) * EARTH_RADIUS_M)).toBeLessThan(1e-6);
    expect(distanceMetres(0, LON - 1, 0, -LON + 1)).toBe(0); // 2 µdeg ≈ 0.22 m across the date line
    expect(distanceMetres(0, LON - 50, 0, -LON + 50)).toBe(11);
  });

  it('is symmetric and within 0.5% of haversine on random pairs anywhere', () => {
    const coord = fc.tuple(fc.integer({ min: -LAT, max: LAT }), fc.integer({ min: -LON, max: LON }));
    fc.assert(
      fc.property(coord, coord, (a, b) => {
        expectClose(a, b);
        expect(distanceMetres(a[0], a[1], b[0], b[1])).toBe(distanceMetres(b[0], b[1], a[0], a[1]));
      }),
      { numRuns: 5000, seed: 42 },
    );
  });

  it('within 0.5% near the date line, the poles, antipodes and at short range', () => {
    const rnd = prng(7);
    const ri = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    const clampLon = (x: number) => (x > LON ? x - 2 * LON : x < -LON ? x + 2 * LON : x);
    for (let i = 0; i < 5000; i++) {
      // date line
      expectClose([ri(-LAT, LAT), ri(LON - 2_000_000, LON)], [ri(-LAT, LAT), ri(-LON, -LON + 2_000_000)]);
      // poles
      expectClose([ri(LAT - 3_000_000, LAT), ri(-LON, LON)], [ri(LAT - 3_000_000, LAT), ri(-LON, LON)]);
      expectClose([ri(-LAT, -LAT + 3_000_000), ri(-LON, LON)], [ri(LAT - 3_000_000, LAT), ri(-LON, LON)]);
      // nearly antipodal
      const lat = ri(-LAT, LAT);
      const lon = ri(-LON, LON);
      expectClose([lat, lon], [-lat + ri(-1000, 1000), clampLon(lon + LON + ri(-1000, 1000))]);
      // short range (metres to km)
      expectClose([lat, lon], [Math.max(-LAT, Math.min(LAT, lat + ri(-20_000, 20_000))), clampLon(lon + ri(-20_000, 20_000))]);
    }
  });

  it('chordThresholdSq bounds the squared chord of any point within (m + 1) metres', () => {
    const rnd = prng(9);
    let lowerChecked = 0;
    for (let i = 0; i < 5000; i++) {
      const a = [Math.round((rnd() * 2 - 1) * LAT), Math.round((rnd() * 2 - 1) * LON)];
      const b = [Math.round((rnd() * 2 - 1) * LAT), Math.round((rnd() * 2 - 1) * LON)];
      const va = unitVector(a[0], a[1]);
      const vb = unitVector(b[0], b[1]);
      const c2 = (va.x - vb.x) ** 2 + (va.y - vb.y) ** 2 + (va.z - vb.z) ** 2;
      const d = distanceMetres(a[0], a[1], b[0], b[1]);
      expect(c2).toBeLessThan(chordThresholdSq(d));
      if (d > 0) {
        expect(c2).toBeGreaterThanOrEqual(chordThresholdSq(d - 2) * (1 - 1e-6));
        lowerChecked++;
      }
    }
    expect(lowerChecked).toBeGreaterThan(4900);
    expect(chordThresholdSq(Math.PI * EARTH_RADIUS_M)).toBe(Infinity);
  });
});
