/**
 * `npm run bench [-- --quick] [-- --only name,name] [-- --soak [--minutes N]]`: runs every benchmark module, prints a
 * table of figures and writes them with the machine description to bench/results/latest.json.
 * Benchmarks are never tests: nothing here asserts on speed.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `figures` holds what the modules before it measured in the same run (e2e reuses the crypto figure). */
type BenchModule = { run(opts: { quick: boolean; soak?: boolean; soakMinutes?: number; figures: Record<string, number> }): Promise<Record<string, number>> };

const MODULES: Record<string, () => Promise<BenchModule>> = {
  crypto: () => import('./crypto.bench.ts'),
  state: () => import('./state.bench.ts'),
  payments: () => import('./payments.bench.ts'),
  consensus: () => import('./consensus.bench.ts'),
  e2e: () => import('./e2e.bench.ts'),
  sync: () => import('./sync.bench.ts'),
  verify: () => import('./verify.bench.ts'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// --soak: the e2e module's steady-load run alone (5 minutes; `--minutes N` for N minutes);
// figures go to bench/results/soak.json
const soak = args.includes('--soak');
const minutesIdx = args.indexOf('--minutes');
const soakMinutes = minutesIdx >= 0 ? Number(args[minutesIdx + 1]) : undefined;
if (soakMinutes !== undefined && !(soakMinutes > 0)) {
  process.stderr.write(`bench: --minutes needs a positive number (got ${args[minutesIdx + 1]})\n`);
  process.exit(2);
}
if (soakMinutes !== undefined && !soak) {
  process.stderr.write('bench: --minutes goes with --soak\n');
  process.exit(2);
}
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1]?.split(',')) : null;

const figures: Record<string, number> = {};
const started = Date.now();
for (const [name, load] of Object.entries(MODULES)) {
  if (only && !only.has(name)) continue;
  if (soak && name !== 'e2e') continue;
  const t0 = Date.now();
  process.stderr.write(`bench: ${name}${quick ? ' (quick)' : ''} …\n`);
  const mod = await load();
  const res = await mod.run({ quick, soak, soakMinutes, figures: { ...figures } });
  Object.assign(figures, res);
  process.stderr.write(`bench: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const result = {
  date: new Date().toISOString(),
  quick,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  durationS: Math.round((Date.now() - started) / 1000),
  figures,
};

const width = Math.max(...Object.keys(figures).map((k) => k.length), 10);
console.log(`edgechain bench — ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}${quick ? ' (quick)' : ''}`);
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(width)}  ${formatNumber(v)}`);

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = soak ? 'soak.json' : 'latest.json';
writeFileSync(dir + file, JSON.stringify({ ...result, soak }, null, 2) + '\n');
console.log(`wrote bench/results/${file}`);

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
