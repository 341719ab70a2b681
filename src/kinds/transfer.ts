import { parseAddress } from '../crypto/keys.ts';
import { addrHex } from '../domain/address.ts';
import { fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { defineKind } from './kind.ts';

/** Transfer: moves balance to another address (which need not exist yet). */
export default defineKind({
  kind: 'transfer',
  command: 'transfer',
  flags: '--to <address> --amount <n>',
  check: (t) => {
    if (t.to.length !== 20) return 'transfer recipient must be a 20-byte address';
    if (t.amount < 1) return 'transfer amount must be >= 1';
    return null;
  },
  apply: ({ sender, state }, t) => state.accounts.transfer(sender, addrHex(t.to), t.amount),
  json: (t) => ({ to: addrHex(t.to), amount: t.amount }),
  fromFlags: (f) => {
    const to = parseAddress(f.str('to'));
    if (!to) throw new EdgeError('CLI_BAD_ARGS', '--to must be 0x + 40 hex characters');
    return { to: fromHex(to)!, amount: f.int('amount', undefined, 1) };
  },
});
