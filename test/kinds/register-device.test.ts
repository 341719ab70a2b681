import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, chain, fromFlags, json } from './harness.ts';

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
    expect(c.ws.device(addr('alice'))).toEqual({ address: addr('alice'), info: 's-1', registeredAt: 1 });
    expect(c.ws.deviceByInfo('s-1')).toBe(addr('alice'));
  });
});
