/**
 * `npm run testnet`: starts the demo testnet of config/ (4 sealers + 1 observer) as local
 * processes with fresh data dirs under .testnet/, prints each RPC URL and the explorer, and
 * stops every node on Ctrl-C or SIGTERM. Options: --keep (reuse the data dirs), --config <dir>.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, mkdirSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RUNTIME_FLAGS } from '../src/node/runtime-flags.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const cfgDir = resolve(root, args.includes('--config') ? args[args.indexOf('--config') + 1] : 'config');
const keep = args.includes('--keep');
const dataRoot = join(root, '.testnet');

interface Cfg { name: string; role: string; rpc: { host: string; port: number }; dataDir: string }
const configs = readdirSync(cfgDir)
  .filter((f) => f.endsWith('.json') && f !== 'genesis.json')
  .map((f) => ({ file: join(cfgDir, f), cfg: JSON.parse(readFileSync(join(cfgDir, f), 'utf8')) as Cfg }))
  .sort((a, b) => (a.cfg.role === b.cfg.role ? a.cfg.rpc.port - b.cfg.rpc.port : a.cfg.role === 'sealer' ? -1 : 1));

if (!keep) rmSync(dataRoot, { recursive: true, force: true });
mkdirSync(join(dataRoot, 'logs'), { recursive: true });

const children: ChildProcess[] = [];
for (const { file, cfg } of configs) {
  const log = createWriteStream(join(dataRoot, 'logs', `${cfg.name}.log`));
  const child = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, join(root, 'bin', 'edgechain.js'), 'start', '--config', file], {
    cwd: root,
    env: { ...process.env, EDGECHAIN_DATA_DIR: join(dataRoot, cfg.name), EDGECHAIN_LOG_PRETTY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.on('exit', (code, sig) => {
    if (!stopping) console.log(`${cfg.name} exited (${sig ?? code}); see .testnet/logs/${cfg.name}.log`);
  });
  children.push(child);
}

console.log(`edgechain testnet: ${configs.length} nodes (logs in .testnet/logs/)`);
for (const { cfg } of configs) {
  const url = `http://${cfg.rpc.host}:${cfg.rpc.port}`;
  console.log(`  ${cfg.role.padEnd(8)} ${cfg.name.padEnd(12)} RPC ${url}   explorer ${url}/`);
}
console.log('Ctrl-C stops every node.');

let stopping = false;
function stop(sig: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${sig}: stopping ${children.length} nodes …`);
  for (const c of children) c.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const c of children) c.kill('SIGKILL');
  }, 8000);
  force.unref();
  Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => process.exit(0));
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
