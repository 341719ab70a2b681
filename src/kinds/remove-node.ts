import { ReceiptStatus } from '../domain/receipts.ts';
import { checkNodeId } from './fields.ts';
import { defineKind } from './kind.ts';

/** RemoveNode: the owner removes an edge node; its active leases are terminated and settled pro rata. */
export default defineKind({
  kind: 'removeNode',
  command: 'remove-node',
  flags: '--id <id>',
  check: (p) => checkNodeId(p.id),
  apply: ({ env, sender, state }, p) => {
    const allowed = state.nodes.checkRemove(sender, p.id);
    if (allowed.status !== ReceiptStatus.OK) return allowed;
    state.leases.terminateAllOn(env, p.id);
    state.nodes.delete(p.id);
    return allowed;
  },
  json: (p) => ({ id: p.id }),
  fromFlags: (f) => ({ id: f.str('id') }),
});
