import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, chain, fromFlags, json, PAID_GENESIS } from './harness.ts';
import type { TxPayload } from '../../src/codec/types.ts';

const UNREGISTER: TxPayload = { kind: 'unregisterDevice', unregisterDevice: {} };

describe('kind unregisterDevice', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('unregister-device');
    expect(p).toEqual(UNREGISTER);
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({});
  });

  it('returns the deposit and frees the identity info; refused for a non-device and while a lease is active', () => {
    const c = chain(PAID_GENESIS({ registrationDeposit: 30 }));
    c.block(['acme', P.add('en', 0, 0, 4, ['ml'], 1)], ['alice', P.register('cam-1')]);
    expect(c.ws.balanceOf(addr('alice'))).toBe(70);
    const m = c.block(['alice', P.match(0, 0, 'ml', 1, 0, 10)]);
    expect(m.receipts[0].status).toBe(S.OK);
    const busy = c.block(['alice', UNREGISTER], ['bob', UNREGISTER]);
    expect(busy.receipts.map((r) => r.status)).toEqual([S.DEVICE_HAS_LEASES, S.NOT_DEVICE]);
    expect(busy.receipts[0].reason).toMatch(/1 active lease: release them first/);
    c.block(['alice', P.release(1)]);
    const supply = c.ws.supply().total;
    const balance = c.ws.balanceOf(addr('alice'));
    expect(c.block(['alice', UNREGISTER]).receipts[0].status).toBe(S.OK);
    expect(c.ws.balanceOf(addr('alice'))).toBe(balance + 30);
    expect(c.ws.device(addr('alice'))).toBeNull();
    expect(c.ws.deviceByInfo('cam-1')).toBeNull();
    expect(c.ws.supply()).toMatchObject({ deviceDeposits: 0, total: supply });
    // the info is free again: another key may register it
    c.block(['alice', P.transfer('bob', 30)]);
    expect(c.block(['bob', P.register('cam-1')]).receipts[0].status).toBe(S.OK);
  });
});
