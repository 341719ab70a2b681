import { toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { defineKind } from './kind.ts';
import { checkVoucherFields, voucherFlag } from './vouchers.ts';

/** ChannelClose: the payee closes at once (optional final voucher); the payer starts the settle window. */
export default defineKind({
  kind: 'channelClose',
  command: 'channel-close',
  flags: '--channel <id> [--voucher <hex>]',
  check: (p) => {
    if (p.channelId < 1) return 'channel id must be >= 1';
    if (p.amount === 0 && p.signature.length === 0) return null;
    return checkVoucherFields(p.channelId, p.amount, p.signature);
  },
  apply: ({ env, sender, state }, p) => state.channels.close(env, sender, p.channelId, p.amount, p.signature),
  json: (p) => ({ channelId: p.channelId, amount: p.amount, signature: p.signature.length ? toHex(p.signature, true) : null }),
  fromFlags: (f) => {
    const channelId = f.int('channel', undefined, 1);
    if (!f.has('voucher')) return { channelId, amount: 0, signature: new Uint8Array(0) };
    const v = voucherFlag(f);
    if (v.channelId !== channelId) throw new EdgeError('CLI_BAD_ARGS', `--voucher is for channel ${v.channelId}, not ${channelId}`);
    return { channelId, amount: v.amount, signature: v.signature };
  },
});
