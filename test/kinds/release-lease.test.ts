import { describe, it, expect } from 'vitest';
import { P, S, PAID_GENESIS, addr, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind releaseLease', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('release', '--lease', '3');
    expect(p).toEqual(P.release(3));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.release(0))).toMatch(/lease id must be >= 1/);
    expect(json(p)).toEqual({ leaseId: 3 });
  });

  it('the device or the node owner releases an active lease once; the slots are free again', () => {
    const c = chain();
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 3)], ['alice', P.match(0, 0, 'ml', 1)]);
    const r = c.block(['globex', P.release(1)], ['alice', P.release(1)], ['alice', P.release(1)], ['acme', P.release(2)], ['alice', P.release(9)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_LEASE_PARTY, S.OK, S.LEASE_NOT_ACTIVE, S.OK, S.UNKNOWN_LEASE]);
    expect(c.ws.lease(1)).toMatchObject({ status: 'released', endedAt: 3 });
    expect(c.ws.edgeNode('en-1')).toMatchObject({ used: 0, free: 4, activeLeases: 0, updatedAt: 3 });
  });
});

describe('kind releaseLease with paid leases', () => {
  it('settles pro rata at block time: the owner gets floor(cost × used / term), the device the rest', () => {
    const c = chain(PAID_GENESIS());
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 10)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 1, 0, 3)]); // cost 10 × 1 × 3 s = 30
    const acme0 = c.ws.balanceOf(addr('acme'));
    expect(c.ws.balanceOf(addr('alice'))).toBe(70);
    const r = c.block(['alice', P.release(1)]); // 1 s of 3 used → 30 × 1000 / 3000 = 10
    expect(r.receipts[0].lease).toEqual({ leaseId: 1, cost: 30, paid: 10, refund: 20, endsAt: c.time + 2000 });
    expect(c.ws.balanceOf(addr('acme'))).toBe(acme0 + 10);
    expect(c.ws.balanceOf(addr('alice'))).toBe(90);
    expect(c.ws.lease(1)).toMatchObject({ status: 'released', paid: 10, refund: 20 });
    expect(c.ws.supply().leaseEscrow).toBe(0);
  });

  it('rounds down in the device favour: cost 7 over 1 s released after 0.5 s pays 3, refunds 4', () => {
    const c = chain(PAID_GENESIS());
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 7)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 1, 0, 1)]);
    c.blockAfter(0.5, ['acme', P.release(1)]); // floor(7 × 500 / 1000) = 3
    expect(c.ws.lease(1)).toMatchObject({ status: 'released', cost: 7, paid: 3, refund: 4 });
    c.block(['alice', P.match(0, 0, 'ml', 1, 0, 3)]); // cost 21 over 3 s
    c.blockAfter(0.001, ['alice', P.release(2)]); // 1 ms: floor(21 × 1 / 3000) = 0
    expect(c.ws.lease(2)).toMatchObject({ cost: 21, paid: 0, refund: 21 });
  });
});
