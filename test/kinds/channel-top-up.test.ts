import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, fromFlags, json } from './harness.ts';
import { withChannel } from './channels-harness.ts';

describe('kind channelTopUp', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('channel-top-up', '--channel', '2', '--amount', '5');
    expect(p).toEqual(P.topUp(2, 5));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.topUp(0, 5))).toMatch(/channel id/);
    expect(bounds(P.topUp(1, 0))).toMatch(/amount/);
    expect(json(p)).toEqual({ channelId: 2, amount: 5 });
  });

  it('the payer adds to the deposit; refusals: unknown, not the payer, unfunded, expired, closing', () => {
    const { c } = withChannel(60, 5);
    const r = c.block(['alice', P.topUp(1, 10)], ['alice', P.topUp(7, 1)], ['acme', P.topUp(1, 1)], ['alice', P.topUp(1, 31)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.UNKNOWN_CHANNEL, S.NOT_PAYER, S.INSUFFICIENT_FUNDS]);
    expect(c.ws.channel(1)).toMatchObject({ deposit: 70 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(30);
    c.blockAfter(5);
    expect(c.block(['alice', P.topUp(1, 1)]).receipts[0].status).toBe(S.CHANNEL_EXPIRED);
    const { c: c2 } = withChannel(60, 100);
    c2.block(['alice', P.close(1)]);
    expect(c2.block(['alice', P.topUp(1, 1)]).receipts[0].status).toBe(S.CHANNEL_EXPIRED);
    const { c: c3 } = withChannel(60, 100);
    c3.block(['acme', P.close(1)]);
    const closed = c3.block(['alice', P.topUp(1, 1)]);
    expect(closed.receipts[0].status).toBe(S.CHANNEL_CLOSED);
    expect(c3.ws.balanceOf(addr('alice'))).toBe(100);
  });
});
