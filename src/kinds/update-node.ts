import { NODE_SPEC_FLAGS, checkNodeSpec, nodeSpecFromFlags, nodeSpecJson } from './fields.ts';
import { defineKind } from './kind.ts';

/** UpdateNode: the owner replaces every mutable field of an edge node. */
export default defineKind({
  kind: 'updateNode',
  command: 'update-node',
  flags: NODE_SPEC_FLAGS + ' [--offline]',
  check: checkNodeSpec,
  apply: ({ height, sender, state }, p) => state.nodes.update(height, sender, p),
  json: (p) => ({ ...nodeSpecJson(p), online: p.online }),
  fromFlags: (f) => ({ ...nodeSpecFromFlags(f), online: !f.has('offline') }),
});
