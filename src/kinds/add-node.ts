import { NODE_SPEC_FLAGS, checkNodeSpec, nodeSpecFromFlags, nodeSpecJson } from './fields.ts';
import { defineKind } from './kind.ts';

/** AddNode: a company records one of its edge nodes. */
export default defineKind({
  kind: 'addNode',
  command: 'add-node',
  flags: NODE_SPEC_FLAGS,
  check: checkNodeSpec,
  apply: ({ height, sender, state }, p) => state.nodes.add(height, sender, state.accounts.roleOf(sender), p),
  json: nodeSpecJson,
  fromFlags: nodeSpecFromFlags,
});
