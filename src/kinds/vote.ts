import { defineKind } from './kind.ts';

/** Vote: a company approves (or, with reject, rejects) an open governance proposal (docs/GOVERNANCE.md). */
export default defineKind({
  kind: 'vote',
  command: 'vote',
  flags: '--proposal <id> [--reject]',
  check: (p) => (p.proposal >= 1 && Number.isSafeInteger(p.proposal) ? null : 'proposal id must be >= 1'),
  apply: ({ height, sender, state }, p) => state.gov.vote({ height }, sender, p.proposal, p.reject),
  json: (p) => ({ proposal: p.proposal, reject: p.reject }),
  fromFlags: (f) => ({ proposal: f.int('proposal', undefined, 1), reject: f.has('reject') }),
});
