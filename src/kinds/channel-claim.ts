import { toHex } from '../util/bytes.ts';
import { defineKind } from './kind.ts';
import { checkVoucherFields, voucherFlag } from './vouchers.ts';

/** ChannelClaim: the payee redeems the payer's voucher of a cumulative amount; it gets amount − claimed. */
export default defineKind({
  kind: 'channelClaim',
  command: 'channel-claim',
  flags: '--voucher <hex>',
  check: (p) => checkVoucherFields(p.channelId, p.amount, p.signature),
  apply: ({ env, sender, state }, p) => state.channels.claim(env, sender, p.channelId, p.amount, p.signature),
  json: (p) => ({ channelId: p.channelId, amount: p.amount, signature: toHex(p.signature, true) }),
  fromFlags: (f) => {
    const v = voucherFlag(f);
    return { channelId: v.channelId, amount: v.amount, signature: v.signature };
  },
});
