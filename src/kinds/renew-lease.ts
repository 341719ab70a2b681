import { TX_BOUNDS } from './fields.ts';
import { defineKind } from './kind.ts';

/** RenewLease: the lease's device extends an active lease before it expires, locking the extra cost. */
export default defineKind({
  kind: 'renewLease',
  command: 'renew',
  flags: '--lease <id> --extend <seconds>',
  check: (p) => {
    if (p.leaseId < 1) return 'lease id must be >= 1';
    if (p.extendS < 1 || p.extendS > TX_BOUNDS.secondsMax) return `extension must be 1..${TX_BOUNDS.secondsMax} s`;
    return null;
  },
  apply: ({ env, sender, state }, p) => state.leases.renew(env, sender, p.leaseId, p.extendS),
  json: (p) => ({ leaseId: p.leaseId, extendS: p.extendS }),
  fromFlags: (f) => ({ leaseId: f.int('lease', undefined, 1), extendS: f.int('extend', undefined, 1, TX_BOUNDS.secondsMax) }),
});
