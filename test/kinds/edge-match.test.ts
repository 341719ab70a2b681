import { describe, it, expect } from 'vitest';
import { P, S, PAID_GENESIS, addr, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind edgeMatch', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('edge-match', '--lat', '-37.8', '--lon', '144.9', '--type', 'ml', '--demand', '2', '--max-price', '9', '--duration', '600');
    expect(p).toEqual(P.match(-37_800_000, 144_900_000, 'ml', 2, 9, 600));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ lat: -37.8, lon: 144.9, latE6: -37_800_000, lonE6: 144_900_000, taskType: 'ml', demand: 2, maxPrice: 9, durationS: 600 });
    expect(fromFlags('edge-match', '--lat', '0', '--lon', '0', '--type', 'ml', '--demand', '1', '--duration', '1')).toMatchObject({ edgeMatch: { maxPrice: 0, durationS: 1 } });
    expect(() => fromFlags('edge-match', '--lat', '0', '--lon', '0', '--type', 'ml', '--demand', '1')).toThrow(/duration/);
    expect(() => fromFlags('edge-match', '--lat', '0', '--lon', '0', '--type', 'ml', '--demand', '1', '--duration', '0')).toThrow(/duration/);
  });

  it('bounds: location, task type, demand, duration', () => {
    expect(bounds(P.match(0, 0, '', 1))).toMatch(/task type/);
    expect(bounds(P.match(0, 0, 'ml', 0))).toMatch(/demand must be/);
    expect(bounds(P.match(0, 0, 'ml', 1, 0, 315_360_001))).toMatch(/duration/);
    expect(bounds(P.match(0, 0, 'ml', 1, 0, 315_360_000))).toBeNull();
  });

  it('under the rules of before paid leases: a registered device gets the nearest node with room, a free lease without a term', () => {
    const c = chain();
    c.block(['acme', P.add('near', 0, 0, 2, ['ml'], 5)], ['acme', P.add('far', 1_000_000, 0, 2, ['ml'], 1)], ['alice', P.register('d')]);
    const r = c.block(['alice', P.match(0, 0, 'ml', 2)], ['alice', P.match(0, 0, 'ml', 1, 4)], ['alice', P.match(0, 0, 'gpu', 1)], ['bob', P.match(0, 0, 'ml', 1)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.OK, S.NO_CANDIDATE, S.NOT_DEVICE]);
    expect(r.receipts[0].match).toEqual({ nodeId: 'near', distanceM: 0, price: 5, leaseId: 1, demand: 2, cost: 0, endsAt: 0 });
    expect(r.receipts[1].match).toMatchObject({ nodeId: 'far', leaseId: 2 });
    expect(c.ws.lease(1)).toMatchObject({ device: addr('alice'), nodeId: 'near', status: 'active', createdAt: 2, endTime: 0, cost: 0 });
    expect(c.ws.edgeNode('near')).toMatchObject({ used: 2, free: 0, activeLeases: 1 });
    expect(c.ws.leaseCount).toBe(2);
    expect(c.ws.balanceOf(addr('alice'))).toBe(100);
  });

  it('paid: the full cost is locked at match time, the lease ends at block time + duration', () => {
    const c = chain(PAID_GENESIS());
    c.block(['acme', P.add('near', 0, 0, 4, ['ml'], 5)], ['alice', P.register('d')]);
    const r = c.block(['alice', P.match(0, 0, 'ml', 2, 0, 9)]);
    const t = c.time;
    expect(r.receipts[0].status).toBe(S.OK);
    expect(r.receipts[0].match).toEqual({ nodeId: 'near', distanceM: 0, price: 5, leaseId: 1, demand: 2, cost: 90, endsAt: t + 9000 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(10);
    expect(c.ws.lease(1)).toMatchObject({ status: 'active', startTime: t, endTime: t + 9000, durationS: 9, cost: 90, paid: 0, refund: 0 });
    expect(c.ws.supply()).toMatchObject({ leaseEscrow: 90 });
  });

  it('paid refusals: INSUFFICIENT_FUNDS reserves nothing; no term or too long a term; the per-device cap', () => {
    const c = chain(PAID_GENESIS({ maxLeasesPerDevice: 2, maxLeaseDurationS: 100 }));
    c.block(['acme', P.add('n', 0, 0, 1_000_000, ['ml'], 1)], ['alice', P.register('d')]);
    const before = c.ws.stateRoot;
    // the attack of issue 13: a whole 1,000,000-slot node for a key with a balance of 100
    const r = c.block(['alice', P.match(0, 0, 'ml', 1_000_000, 0, 60)]);
    expect(r.receipts[0].status).toBe(S.INSUFFICIENT_FUNDS);
    expect(r.receipts[0].reason).toMatch(/costs 60000000 .*balance is 100/);
    expect(c.ws.edgeNode('n')).toMatchObject({ used: 0, activeLeases: 0 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(100);
    expect(c.ws.leaseCount).toBe(0);
    expect(before).not.toEqual(c.ws.stateRoot); // only the nonce moved
    const d = c.block(['alice', P.match(0, 0, 'ml', 1, 0, 0)], ['alice', P.match(0, 0, 'ml', 1, 0, 101)]);
    expect(d.receipts.map((x) => x.status)).toEqual([S.BAD_DURATION, S.BAD_DURATION]);
    const cap = c.block(['alice', P.match(0, 0, 'ml', 1, 0, 10)], ['alice', P.match(0, 0, 'ml', 1, 0, 10)], ['alice', P.match(0, 0, 'ml', 1, 0, 10)]);
    expect(cap.receipts.map((x) => x.status)).toEqual([S.OK, S.OK, S.LEASE_CAP]);
    expect(c.ws.activeLeasesOfDevice(addr('alice'))).toBe(2);
    // a cost that does not fit below 2^53 is refused, not wrapped
    c.block(['acme', P.add('dear', 0, 0, 1_000_000, ['gpu'], 2 ** 52)]);
    const big = c.block(['alice', P.release(1)], ['alice', P.match(0, 0, 'gpu', 1000, 0, 100)]);
    expect(big.receipts[1].status).toBe(S.INSUFFICIENT_FUNDS);
    expect(big.receipts[1].reason).toMatch(/more than 2\^53/);
  });
});
