import { parseAddress } from '../crypto/keys.ts';
import { addrHex } from '../domain/address.ts';
import { fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { TX_BOUNDS } from './fields.ts';
import { defineKind } from './kind.ts';

/** ChannelOpen: the sender (payer) locks a deposit in a payment channel to a payee (docs/PAYMENTS.md). */
export default defineKind({
  kind: 'channelOpen',
  command: 'channel-open',
  flags: '--to <address> --deposit <n> --expires <seconds from now>',
  check: (p) => {
    if (p.payee.length !== 20) return 'channel payee must be a 20-byte address';
    if (p.deposit < 1) return 'channel deposit must be >= 1';
    if (p.expiresInS < 1 || p.expiresInS > TX_BOUNDS.secondsMax) return `channel expiry must be 1..${TX_BOUNDS.secondsMax} s from the block`;
    return null;
  },
  apply: ({ env, sender, publicKey, state }, p) => state.channels.open(env, sender, publicKey, addrHex(p.payee), p.deposit, p.expiresInS),
  json: (p) => ({ payee: addrHex(p.payee), deposit: p.deposit, expiresInS: p.expiresInS }),
  fromFlags: (f) => {
    const to = parseAddress(f.str('to'));
    if (!to) throw new EdgeError('CLI_BAD_ARGS', '--to must be 0x + 40 hex characters');
    return { payee: fromHex(to)!, deposit: f.int('deposit', undefined, 1), expiresInS: f.int('expires', undefined, 1, TX_BOUNDS.secondsMax) };
  },
});
