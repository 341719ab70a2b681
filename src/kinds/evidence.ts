import { parseEvidence } from '../domain/evidence.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { defineKind } from './kind.ts';
import type { FlagReader } from './kind.ts';

function hexFlag(f: FlagReader, name: string): Uint8Array {
  const b = fromHex(f.str(name));
  if (!b) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be hex (an encoded consensus message, as the node's equivocation log or getEvidence prints it)`);
  return b;
}

/**
 * Evidence: two conflicting signed consensus messages of one sealer (docs/CONSENSUS.md
 * "Evidence on chain"). Any account may submit it. The bounds (decodeTx) check everything that
 * needs no state: both decode, one kind (PRE-PREPARE, PREPARE, COMMIT), one height, view and
 * sender, two different blocks. The state handler checks the rest against the sealer set of the
 * offence's height (both signatures the accused's) and records it once per offence.
 */
export default defineKind({
  kind: 'evidence',
  command: 'evidence',
  flags: '--first <hex> --second <hex>',
  check: (p) => {
    const r = parseEvidence(p.first, p.second);
    return r.ok ? null : r.reason;
  },
  apply: ({ env, sender, state }, p) => state.evidence.submit(env, sender, p.first, p.second),
  json: (p) => {
    const r = parseEvidence(p.first, p.second);
    const o = r.ok ? { kind: r.offence.kind, height: r.offence.height, view: r.offence.view, sealerIndex: r.offence.sender, blockHashes: r.offence.hashes.map((h) => toHex(h, true)) } : {};
    return { ...o, first: toHex(p.first, true), second: toHex(p.second, true) };
  },
  fromFlags: (f) => ({ first: hexFlag(f, 'first'), second: hexFlag(f, 'second') }),
});
