import { describe, it, expect } from 'vitest';
import { P, S, PAID_GENESIS, addr, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind renewLease', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('renew', '--lease', '3', '--extend', '60');
    expect(p).toEqual(P.renew(3, 60));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.renew(0, 60))).toMatch(/lease id/);
    expect(bounds(P.renew(1, 0))).toMatch(/extension/);
    expect(json(p)).toEqual({ leaseId: 3, extendS: 60 });
  });

  it('the device extends an active lease before expiry, locking price × demand × seconds more', () => {
    const c = chain(PAID_GENESIS());
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 2)], ['alice', P.register('d')]);
    const m = c.block(['alice', P.match(0, 0, 'ml', 1, 0, 10)]);
    const end = m.receipts[0].match!.endsAt;
    const r = c.block(['alice', P.renew(1, 5)]);
    expect(r.receipts[0].status).toBe(S.OK);
    expect(r.receipts[0].lease).toEqual({ leaseId: 1, cost: 30, paid: 0, refund: 0, endsAt: end + 5000 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(70);
    // the old end time passes: the lease is still active (the queue entry of the old end is stale)
    c.blockAfter(10);
    expect(c.ws.lease(1)).toMatchObject({ status: 'active', endTime: end + 5000, durationS: 15 });
    c.blockAfter(4);
    expect(c.ws.lease(1)).toMatchObject({ status: 'expired', paid: 30, refund: 0 });
  });

  it('refusals: unknown, not active (expired), not the device, no term, too long, unfunded', () => {
    const c = chain(PAID_GENESIS({ maxLeaseDurationS: 100 }));
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 1)], ['alice', P.register('d')], ['proxy', P.transfer('bob', 5)]);
    c.block(['bob', P.register('b')], ['alice', P.match(0, 0, 'ml', 1, 0, 50)], ['bob', P.match(0, 0, 'ml', 1, 0, 2)]);
    c.blockAfter(3);
    expect(c.ws.lease(2)).toMatchObject({ status: 'expired' });
    const r = c.block(
      ['alice', P.renew(9, 10)],
      ['bob', P.renew(2, 1)],
      ['bob', P.renew(1, 1)],
      ['alice', P.renew(1, 51)],
      ['alice', P.renew(1, 1_000)],
    );
    expect(r.receipts.map((x) => [x.status, x.reason])).toEqual([
      [S.UNKNOWN_LEASE, 'unknown lease 9'],
      [S.LEASE_NOT_ACTIVE, 'lease 2 has ended'],
      [S.NOT_LEASE_DEVICE, expect.stringMatching(/only the lease's device/)],
      [S.INSUFFICIENT_FUNDS, expect.stringMatching(/costs 51, balance is 50/)],
      [S.BAD_DURATION, expect.stringMatching(/at most 100 s/)],
    ]);
    expect(c.ws.lease(1)).toMatchObject({ cost: 50, durationS: 50 });
  });

  it('a lease without a term (made before paid leases) cannot be renewed', () => {
    const c = chain(PAID_GENESIS({ paymentsFromHeight: 3 }));
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 1)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 1)]); // height 2: old rules
    const r = c.block(['alice', P.renew(1, 10)], ['alice', P.match(0, 0, 'ml', 1, 0, 10)]); // height 3: paid
    expect(r.receipts.map((x) => x.status)).toEqual([S.LEASE_NOT_RENEWABLE, S.OK]);
    expect(c.ws.lease(1)).toMatchObject({ endTime: 0, cost: 0 });
    const rel = c.block(['alice', P.release(1)]);
    expect(rel.receipts[0].lease).toBeFalsy(); // no settlement for a lease without a term
    expect(c.ws.balanceOf(addr('alice'))).toBe(90);
  });
});
