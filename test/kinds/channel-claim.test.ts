import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, fromFlags, json } from './harness.ts';
import { voucher, voucherHex, withChannel } from './channels-harness.ts';
import { toHex } from '../../src/util/bytes.ts';

describe('kind channelClaim', () => {
  it('flags (a voucher as hex) → payload → bounds → JSON', () => {
    const v = voucher('alice', 3, 25);
    const p = fromFlags('channel-claim', '--voucher', voucherHex('alice', 3, 25));
    expect(p).toEqual(P.claim(3, 25, v.signature));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ channelId: 3, amount: 25, signature: toHex(v.signature, true) });
    expect(bounds(P.claim(3, 25, new Uint8Array(63)))).toMatch(/64 bytes/);
    expect(bounds(P.claim(3, 0, v.signature))).toMatch(/amount/);
    expect(() => fromFlags('channel-claim', '--voucher', 'zz')).toThrow(/hex/);
    expect(() => fromFlags('channel-claim', '--voucher', '02' + voucherHex('alice', 3, 25).slice(2))).toThrow(/version/);
  });

  it('the payee redeems cumulative vouchers: each pays the difference to the last claimed amount', () => {
    const { c } = withChannel(60);
    const acme0 = c.ws.balanceOf(addr('acme'));
    const v10 = voucher('alice', 1, 10);
    const v35 = voucher('alice', 1, 35);
    const r = c.block(['acme', P.claim(1, 10, v10.signature)], ['acme', P.claim(1, 35, v35.signature)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.OK]);
    expect(r.receipts[1].channel).toEqual({ channelId: 1, paid: 25, refunded: 0, claimed: 35, deposit: 60 });
    expect(c.ws.balanceOf(addr('acme'))).toBe(acme0 + 35);
    expect(c.ws.channel(1)).toMatchObject({ claimed: 35, remaining: 25, lastClaimAt: 2 });
  });

  it('refusals, each with its reason: another channel, another chain, another signer, stale, over the deposit, not the payee, unknown, after close', () => {
    const { c } = withChannel(60);
    c.block(['alice', P.open('acme', 10, 100)]); // channel 2
    c.block(['acme', P.claim(1, 20, voucher('alice', 1, 20).signature)]);
    const r = c.block(
      ['acme', P.claim(1, 30, voucher('alice', 2, 30).signature)],
      ['acme', P.claim(1, 30, voucher('alice', 1, 30, 'other-chain').signature)],
      ['acme', P.claim(1, 30, voucher('globex', 1, 30).signature)],
      ['acme', P.claim(1, 20, voucher('alice', 1, 20).signature)],
      ['acme', P.claim(1, 15, voucher('alice', 1, 15).signature)],
      ['acme', P.claim(1, 61, voucher('alice', 1, 61).signature)],
      ['globex', P.claim(1, 30, voucher('alice', 1, 30).signature)],
      ['acme', P.claim(9, 30, voucher('alice', 9, 30).signature)],
    );
    expect(r.receipts.map((x) => x.status)).toEqual([
      S.BAD_VOUCHER,
      S.BAD_VOUCHER,
      S.BAD_VOUCHER,
      S.STALE_VOUCHER,
      S.STALE_VOUCHER,
      S.VOUCHER_OVER_DEPOSIT,
      S.NOT_PAYEE,
      S.UNKNOWN_CHANNEL,
    ]);
    expect(r.receipts[0].reason).toMatch(/not signed by the payer .* channel 1, amount 30/);
    expect(r.receipts[3].reason).toBe('voucher amount 20 does not exceed the 20 already claimed');
    expect(r.receipts[5].reason).toBe('voucher amount 61 exceeds the deposit 60');
    expect(c.ws.channel(1)).toMatchObject({ claimed: 20 });
    c.block(['acme', P.close(1)]);
    const after = c.block(['acme', P.claim(1, 30, voucher('alice', 1, 30).signature)]);
    expect(after.receipts[0].status).toBe(S.CHANNEL_CLOSED);
    expect(after.receipts[0].reason).toMatch(/channel 1 is closed/);
  });
});
