import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, chain, fromFlags, json, PAID_GENESIS } from './harness.ts';

describe('kind registerDevice', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('register-device', '--info', 'camera 0001');
    expect(p).toEqual(P.register('camera 0001'));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ info: 'camera 0001' });
  });

  it('bounds: info of 1..256 bytes', () => {
    expect(bounds(P.register(''))).toMatch(/device info must be 1..256 bytes/);
    expect(bounds(P.register('x'.repeat(257)))).toMatch(/1..256 bytes/);
    expect(bounds(P.register('é'.repeat(128)))).toBeNull();
  });

  it('a user registers once with unique info; companies may not', () => {
    const c = chain();
    const r = c.block(['alice', P.register('s-1')], ['alice', P.register('s-2')], ['bob', P.register('s-1')], ['acme', P.register('s-3')]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.DEVICE_EXISTS, S.INFO_TAKEN, S.ROLE_NOT_ALLOWED]);
    expect(c.ws.device(addr('alice'))).toEqual({ address: addr('alice'), info: 's-1', registeredAt: 1, deposit: 0 });
    expect(c.ws.deviceByInfo('s-1')).toBe(addr('alice'));
  });

  it('with params.registrationDeposit, registration locks the deposit from the balance; a key without it cannot register (docs/GOVERNANCE.md)', () => {
    const c = chain(PAID_GENESIS({ registrationDeposit: 60 }));
    const fresh = c.block(['nobody', P.register('fresh-key')]);
    expect(fresh.receipts[0]).toMatchObject({ status: S.INSUFFICIENT_FUNDS });
    expect(fresh.receipts[0].reason).toMatch(/refundable deposit of 60/);
    expect(c.ws.device(addr('nobody'))).toBeNull();
    expect(c.ws.deviceByInfo('fresh-key')).toBeNull();
    const before = c.ws.supply().total;
    expect(c.block(['alice', P.register('s-1')]).receipts[0].status).toBe(S.OK);
    expect(c.ws.balanceOf(addr('alice'))).toBe(40);
    expect(c.ws.device(addr('alice'))).toMatchObject({ deposit: 60 });
    expect(c.ws.supply()).toMatchObject({ deviceDeposits: 60, total: before });
  });
});
