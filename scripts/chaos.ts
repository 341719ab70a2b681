/**
 * `npm run chaos [-- --duration <s>] [-- --seed <n>] [-- --rate <tx/s>] [-- --bound <s>] [-- --kinds kill,pause,…] [-- --out <file>] [-- --no-netns]`:
 * the chaos runner over a real process testnet (test/chaos/runner.ts, docs/CONSENSUS.md
 * "Chaos runner: fault model"). Writes the JSON report (default chaos-report.json under
 * bench/results/) and exits 1 on any violation.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChaos, KINDS, type Kind } from '../test/chaos/runner.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
function num(name: string, dflt: number): number {
  const v = opt(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${v}`);
    process.exit(2);
  }
  return n;
}
const kinds = opt('kinds')?.split(',') as Kind[] | undefined;
for (const k of kinds ?? []) {
  if (!(KINDS as readonly string[]).includes(k)) {
    console.error(`unknown kind ${k}; kinds: ${KINDS.join(', ')}`);
    process.exit(2);
  }
}
const seed = num('seed', Math.floor(Math.random() * 2 ** 31));
const out = resolve(root, opt('out') ?? `bench/results/chaos-${seed}.json`);
const report = await runChaos({
  seed,
  durationS: num('duration', 120),
  rate: num('rate', 20),
  recoveryBoundS: num('bound', 60),
  kinds,
  netns: args.includes('--no-netns') ? false : undefined,
  out,
});
console.log(
  `chaos seed ${report.seed}: ${report.perturbations.length} perturbations (${report.survived} survived), ` +
    `longest block gap ${report.recovery.longestBlockGapMs} ms, worst resume ${report.recovery.worstResumeMs} ms, worst catch-up ${report.recovery.worstCatchUpMs} ms; ` +
    `txs accepted ${report.txs.accepted}, finalized ${report.txs.finalized}, lost ${report.txs.lost}; ` +
    `${report.chain.heightsCompared} heights compared on ${report.nodes.length} nodes; double signs ${report.doubleSigns.length}; ` +
    `${report.ok ? 'OK' : 'VIOLATIONS'}; report ${out}`,
);
process.exit(report.ok ? 0 : 1);
