import { describe, it, expect } from 'vitest';
import { P, S, PAID_GENESIS, addr, bounds, chain, fromFlags, json } from './harness.ts';
import { withChannel } from './channels-harness.ts';

describe('kind channelOpen', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('channel-open', '--to', addr('acme'), '--deposit', '50', '--expires', '3600');
    expect(p).toEqual(P.open('acme', 50, 3600));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ payee: addr('acme'), deposit: 50, expiresInS: 3600 });
    expect(bounds(P.open('acme', 0, 10))).toMatch(/deposit/);
    expect(bounds(P.open('acme', 1, 0))).toMatch(/expiry/);
    expect(bounds({ kind: 'channelOpen', channelOpen: { payee: new Uint8Array(19), deposit: 1, expiresInS: 1 } })).toMatch(/20-byte/);
    expect(() => fromFlags('channel-open', '--to', 'nope', '--deposit', '1', '--expires', '1')).toThrow(/--to/);
  });

  it('locks the deposit; the receipt carries the channel id', () => {
    const { c, opened, openedAt } = withChannel(60, 100);
    expect(opened.receipts[0].status).toBe(S.OK);
    expect(opened.receipts[0].channel).toEqual({ channelId: 1, paid: 0, refunded: 0, claimed: 0, deposit: 60 });
    expect(c.ws.balanceOf(addr('alice'))).toBe(40);
    expect(c.ws.channel(1)).toMatchObject({ payer: addr('alice'), payee: addr('acme'), deposit: 60, claimed: 0, remaining: 60, status: 'open', expiresAt: openedAt + 100_000, openedAt: 1 });
    expect(c.ws.supply().channelEscrow).toBe(60);
    expect(c.ws.channels({ address: addr('acme') }).total).toBe(1);
    expect(c.ws.channels({ address: addr('globex') }).total).toBe(0);
  });

  it('refusals: more than the balance (nothing locked), oneself as payee', () => {
    const c = chain(PAID_GENESIS());
    const r = c.block(['alice', P.open('acme', 101, 10)], ['alice', P.open('alice', 1, 10)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.INSUFFICIENT_FUNDS, S.SELF_CHANNEL]);
    expect(c.ws.balanceOf(addr('alice'))).toBe(100);
    expect(c.ws.channelCount).toBe(0);
  });
});
