import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, fromFlags, json } from './harness.ts';
import { voucher, withChannel } from './channels-harness.ts';

describe('kind channelRefund', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('channel-refund', '--channel', '2');
    expect(p).toEqual(P.refund(2));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.refund(0))).toMatch(/channel id/);
    expect(json(p)).toEqual({ channelId: 2 });
  });

  it('after expiry the payer takes back what was never claimed; before, or by others, or twice, it is refused', () => {
    const { c } = withChannel(60, 5);
    c.block(['acme', P.claim(1, 12, voucher('alice', 1, 12).signature)]);
    const early = c.block(['alice', P.refund(1)], ['acme', P.refund(1)], ['alice', P.refund(3)]);
    expect(early.receipts.map((x) => x.status)).toEqual([S.CHANNEL_NOT_EXPIRED, S.NOT_PAYER, S.UNKNOWN_CHANNEL]);
    expect(early.receipts[0].reason).toMatch(/can be refunded from block time/);
    const r = c.blockAfter(3, ['alice', P.refund(1)], ['alice', P.refund(1)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.CHANNEL_CLOSED]);
    expect(r.receipts[0].channel).toEqual({ channelId: 1, paid: 0, refunded: 48, claimed: 12, deposit: 60 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(88);
    expect(c.ws.channel(1)).toMatchObject({ status: 'closed', refunded: 48 });
  });
});
