import { defineKind } from './kind.ts';

/** ReleaseLease: the lease's device or its node's owner ends an active lease; its cost is settled pro rata (docs/PAYMENTS.md). */
export default defineKind({
  kind: 'releaseLease',
  command: 'release',
  flags: '--lease <id>',
  check: (p) => (p.leaseId >= 1 ? null : 'lease id must be >= 1'),
  apply: ({ env, sender, state }, p) => state.leases.release(env, sender, p.leaseId),
  json: (p) => ({ leaseId: p.leaseId }),
  fromFlags: (f) => ({ leaseId: f.int('lease', undefined, 1) }),
});
