import { defineKind } from './kind.ts';

/** ChannelRefund: the payer takes back what was never claimed, after expiry or the settle window. */
export default defineKind({
  kind: 'channelRefund',
  command: 'channel-refund',
  flags: '--channel <id>',
  check: (p) => (p.channelId >= 1 ? null : 'channel id must be >= 1'),
  apply: ({ env, sender, state }, p) => state.channels.refund(env, sender, p.channelId),
  json: (p) => ({ channelId: p.channelId }),
  fromFlags: (f) => ({ channelId: f.int('channel', undefined, 1) }),
});
