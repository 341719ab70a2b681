import { readFileSync } from 'node:fs';
import { parseGenesis } from '../chain/genesis.ts';
import { EdgeError } from '../util/errors.ts';
import { anchorFromGenesis, verifyMatch, type MatchVerdict } from '../verify/match.ts';
import { httpRpc } from '../verify/rpc.ts';
import type { Args } from './args.ts';

export const VERIFY_USAGE = `  verify match <tx hash> --genesis <file>     re-derive an EdgeMatch's winner from the certified block, the parent
                                              state root and proofs; trusts only the genesis file, not the node`;

/** `edgechain verify match <tx hash> --genesis <file> [--rpc <url>] [--json]` (docs/VERIFY.md). Exit code 0 only when verified. */
export async function verifyCommand(args: Args, rpcUrl: string, print: (human: string, obj: unknown) => void): Promise<void> {
  const [what, txHash] = args.positionals;
  if (what !== 'match' || !txHash) throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain verify match <tx hash> --genesis <file>');
  const file = args.str('genesis');
  args.rejectUnknown(['rpc', 'genesis']);
  let genesis;
  try {
    genesis = parseGenesis(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new EdgeError('CLI_BAD_ARGS', `--genesis ${file}: ${(e as Error).message}`);
  }
  const started = performance.now();
  const v = await verifyMatch(httpRpc(rpcUrl), anchorFromGenesis(genesis), txHash);
  const ms = Math.round(performance.now() - started);
  print(human(v, ms), { ...v, ms });
  if (!v.verified) throw new EdgeError('VERIFY_FAILED', v.problems.length ? `not verified: ${v.problems[0]}` : 'not verified');
}

function human(v: MatchVerdict, ms: number): string {
  const lines = [v.verified ? 'verified' : 'NOT VERIFIED', `tx           ${v.txHash}`];
  if (v.height !== null) lines.push(`block        ${v.height} (tx ${v.index ?? '?'}), checked against the state root of block ${v.height - 1}`);
  const facts = (f: NonNullable<MatchVerdict['claimed']>) => `status ${f.status}${f.nodeId ? `, node ${f.nodeId} at ${f.distanceM} m, price ${f.price}, lease ${f.leaseId}${f.cost ? `, cost ${f.cost}` : ''}` : ''}`;
  if (v.claimed) lines.push(`receipt      ${facts(v.claimed)}`);
  if (v.expected) lines.push(`re-derived   ${facts(v.expected)}`);
  lines.push(`evidence     ${v.stats.nodesOfType} nodes of the type proven (no omission possible), ${v.stats.candidates} eligible${v.stats.expiryUncertain ? `, ${v.stats.expiryUncertain} full whose lease expiry at block ${v.height} would decide` : ''}, ${v.stats.rpcCalls} RPC calls, ~${Math.round(v.stats.proofBytes / 1024)} KiB, ${ms} ms`);
  for (const p of v.problems) lines.push(`problem      ${p}`);
  return lines.join('\n');
}
