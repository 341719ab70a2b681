import { fromUtf8, utf8 } from '../util/bytes.ts';
import { TX_BOUNDS, byteLen } from './fields.ts';
import { defineKind } from './kind.ts';

/** RegisterDevice: a user account registers itself as a device with unique identity info. */
export default defineKind({
  kind: 'registerDevice',
  command: 'register-device',
  flags: '--info <text>',
  check: (p) => {
    if (!p.info || byteLen(p.info) > TX_BOUNDS.deviceInfoMaxBytes) return `device info must be 1..${TX_BOUNDS.deviceInfoMaxBytes} bytes`;
    if (fromUtf8(utf8(p.info)) !== p.info) return 'device info must be valid UTF-8';
    return null;
  },
  apply: ({ height, env, sender, state }, p) =>
    state.devices.register(height, sender, state.accounts.roleOf(sender), p.info, env.params.registrationDeposit ?? 0, (amount) => state.accounts.debit(sender, amount)),
  json: (p) => ({ info: p.info }),
  fromFlags: (f) => ({ info: f.str('info') }),
});
