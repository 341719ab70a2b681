import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, fromFlags, json } from './harness.ts';
import { voucher, voucherHex, withChannel } from './channels-harness.ts';

describe('kind channelClose', () => {
  it('flags → payload → bounds → JSON', () => {
    expect(fromFlags('channel-close', '--channel', '4')).toEqual(P.close(4));
    const v = voucher('alice', 4, 9);
    const p = fromFlags('channel-close', '--channel', '4', '--voucher', voucherHex('alice', 4, 9));
    expect(p).toEqual(P.close(4, 9, v.signature));
    expect(bounds(P.close(4))).toBeNull();
    expect(bounds(p)).toBeNull();
    expect(bounds(P.close(4, 9, new Uint8Array(0)))).toMatch(/64 bytes/);
    expect(json(P.close(4))).toEqual({ channelId: 4, amount: 0, signature: null });
    expect(() => fromFlags('channel-close', '--channel', '5', '--voucher', voucherHex('alice', 4, 9))).toThrow(/for channel 4, not 5/);
  });

  it('the payee closes at once with a final voucher; the rest goes back to the payer', () => {
    const { c } = withChannel(60);
    const acme0 = c.ws.balanceOf(addr('acme'));
    const r = c.block(['acme', P.close(1, 45, voucher('alice', 1, 45).signature)]);
    expect(r.receipts[0].channel).toEqual({ channelId: 1, paid: 45, refunded: 15, claimed: 45, deposit: 60 });
    expect(c.ws.balanceOf(addr('acme'))).toBe(acme0 + 45);
    expect(c.ws.balanceOf(addr('alice'))).toBe(55);
    expect(c.ws.channel(1)).toMatchObject({ status: 'closed', remaining: 0, refunded: 15 });
    expect(c.ws.supply().channelEscrow).toBe(0);
  });

  it('the payer close starts the settle window, in which the payee still claims in full', () => {
    const { c } = withChannel(60);
    const r = c.block(['alice', P.close(1)]);
    expect(c.ws.channel(1)).toMatchObject({ status: 'closing', settleAt: c.time + 10_000 });
    expect(r.receipts[0].status).toBe(S.OK);
    // the payee was offline for 9 s of the 10 s window: its voucher is still worth all of it
    const early = c.blockAfter(9, ['alice', P.refund(1)], ['acme', P.claim(1, 50, voucher('alice', 1, 50).signature)]);
    expect(early.receipts.map((x) => x.status)).toEqual([S.CHANNEL_NOT_EXPIRED, S.OK]);
    const late = c.blockAfter(1, ['alice', P.refund(1)]);
    expect(late.receipts[0].channel).toMatchObject({ refunded: 10, claimed: 50 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(50);
  });

  it('refusals: unknown, a stranger, the payer with a voucher, twice by the payer, after close, a bad final voucher', () => {
    const { c } = withChannel(60);
    const r = c.block(
      ['acme', P.close(9)],
      ['globex', P.close(1)],
      ['alice', P.close(1, 5, voucher('alice', 1, 5).signature)],
      ['acme', P.close(1, 61, voucher('alice', 1, 61).signature)],
      ['alice', P.close(1)],
      ['alice', P.close(1)],
    );
    expect(r.receipts.map((x) => x.status)).toEqual([S.UNKNOWN_CHANNEL, S.NOT_PAYER, S.BAD_VOUCHER, S.VOUCHER_OVER_DEPOSIT, S.OK, S.CHANNEL_CLOSING]);
    c.block(['acme', P.close(1)]);
    expect(c.block(['acme', P.close(1)]).receipts[0].status).toBe(S.CHANNEL_CLOSED);
  });
});
