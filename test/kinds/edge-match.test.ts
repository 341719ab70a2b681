import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind edgeMatch', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('edge-match', '--lat', '-37.8', '--lon', '144.9', '--type', 'ml', '--demand', '2', '--max-price', '9');
    expect(p).toEqual(P.match(-37_800_000, 144_900_000, 'ml', 2, 9));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ lat: -37.8, lon: 144.9, latE6: -37_800_000, lonE6: 144_900_000, taskType: 'ml', demand: 2, maxPrice: 9 });
    expect(fromFlags('edge-match', '--lat', '0', '--lon', '0', '--type', 'ml', '--demand', '1')).toMatchObject({ edgeMatch: { maxPrice: 0 } });
  });

  it('bounds: location, task type, demand', () => {
    expect(bounds(P.match(0, 0, '', 1))).toMatch(/task type/);
    expect(bounds(P.match(0, 0, 'ml', 0))).toMatch(/demand must be/);
  });

  it('a registered device gets the nearest node with room, a lease and a receipt with the match', () => {
    const c = chain();
    c.block(['acme', P.add('near', 0, 0, 2, ['ml'], 5)], ['acme', P.add('far', 1_000_000, 0, 2, ['ml'], 1)], ['alice', P.register('d')]);
    const r = c.block(['alice', P.match(0, 0, 'ml', 2)], ['alice', P.match(0, 0, 'ml', 1, 4)], ['alice', P.match(0, 0, 'gpu', 1)], ['bob', P.match(0, 0, 'ml', 1)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.OK, S.NO_CANDIDATE, S.NOT_DEVICE]);
    expect(r.receipts[0].match).toEqual({ nodeId: 'near', distanceM: 0, price: 5, leaseId: 1, demand: 2 });
    expect(r.receipts[1].match).toMatchObject({ nodeId: 'far', leaseId: 2 });
    expect(c.ws.lease(1)).toMatchObject({ device: addr('alice'), nodeId: 'near', status: 'active', createdAt: 2 });
    expect(c.ws.edgeNode('near')).toMatchObject({ used: 2, free: 0, activeLeases: 1 });
    expect(c.ws.leaseCount).toBe(2);
  });
});
