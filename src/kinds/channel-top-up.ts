import { defineKind } from './kind.ts';

/** ChannelTopUp: the payer adds to the deposit of an open, unexpired channel. */
export default defineKind({
  kind: 'channelTopUp',
  command: 'channel-top-up',
  flags: '--channel <id> --amount <n>',
  check: (p) => {
    if (p.channelId < 1) return 'channel id must be >= 1';
    if (p.amount < 1) return 'top-up amount must be >= 1';
    return null;
  },
  apply: ({ env, sender, state }, p) => state.channels.topUp(env, sender, p.channelId, p.amount),
  json: (p) => ({ channelId: p.channelId, amount: p.amount }),
  fromFlags: (f) => ({ channelId: f.int('channel', undefined, 1), amount: f.int('amount', undefined, 1) }),
});
