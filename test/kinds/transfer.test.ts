import { describe, it, expect } from 'vitest';
import { P, S, addr, addrBytes, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind transfer', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('transfer', '--to', addr('bob'), '--amount', '10');
    expect(p).toEqual(P.transfer('bob', 10));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ to: addr('bob'), amount: 10 });
    expect(() => fromFlags('transfer', '--to', '0x12', '--amount', '1')).toThrow(/--to must be/);
  });

  it('bounds: a 20-byte recipient and an amount >= 1', () => {
    expect(bounds({ kind: 'transfer', transfer: { to: addrBytes('bob').subarray(1), amount: 1 } })).toMatch(/20-byte address/);
    expect(bounds({ kind: 'transfer', transfer: { to: addrBytes('bob'), amount: 0 } })).toMatch(/amount must be >= 1/);
  });

  it('moves balance, to new accounts too; never more than the balance; to oneself changes nothing', () => {
    const c = chain();
    const r = c.block(['alice', P.transfer('bob', 40)], ['alice', P.transfer('bob', 61)], ['alice', P.transfer('alice', 10)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.INSUFFICIENT_BALANCE, S.OK]);
    expect([c.ws.balanceOf(addr('alice')), c.ws.balanceOf(addr('bob'))]).toEqual([60, 40]);
    expect(c.ws.account(addr('bob'))).toMatchObject({ nonce: 0, role: 'user' });
  });
});
