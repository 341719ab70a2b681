/**
 * Sync benchmark: a fresh observer catches up a long chain. The chain (10,000 blocks, ~20 txs
 * each; quick: 2,000) is generated straight into one sealer's data dir by bench/chaingen.ts
 * (real signed txs, WorldState execution, quorum certificates, ChainStore/LevelDB). Then that
 * sealer is started alone (the 3 others stay offline, so its consensus just waits) with a fresh
 * observer, which syncs from it; the observer is timed from its first synced block to the head.
 *
 * Run alone: `npx node bench/sync.bench.ts [--quick]`. Knobs: EDGECHAIN_BENCH_SYNC_BLOCKS=n ·
 * EDGECHAIN_BENCH_SYNC_TXS=mean txs per block · EDGECHAIN_BENCH_CPU_PROF=<dir> (the observer and
 * the sealer run with --cpu-prof and are stopped gracefully so the profiles are written).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testnet, waitFor } from '../test/e2e/harness.ts';
import { readKeyFile } from '../src/crypto/index.ts';
import { parseGenesis } from '../src/chain/index.ts';
import { generateChain } from '../test/e2e/chaingen.ts';
import { cpuSeconds, killOnInterrupt } from './lib.ts';

const live = new Set<Testnet>();
function killAllSync(): void {
  for (const t of live) for (const n of t.nodes) n.proc?.kill('SIGKILL');
}

export async function run(opts: { quick: boolean; figures?: Record<string, number> }): Promise<Record<string, number>> {
  const env = process.env;
  const blocks = Number(env.EDGECHAIN_BENCH_SYNC_BLOCKS) || (opts.quick ? 2000 : 10_000);
  const meanTxs = Number(env.EDGECHAIN_BENCH_SYNC_TXS) || 20;
  const syncTimeoutS = opts.quick ? 60 : 150;
  const prof = env.EDGECHAIN_BENCH_CPU_PROF;
  const out: Record<string, number> = {};
  return killOnInterrupt(killAllSync, async () => {
    const t = await Testnet.create({ sealers: 4, observers: 1, devices: 400 });
    live.add(t);
    try {
      // ---- the chain, written into the first sealer's data dir
      const sealer = t.nodes[0];
      const obs = t.nodes.find((n) => n.node.role === 'observer')!;
      const genesis = parseGenesis(JSON.parse(readFileSync(t.layout.genesisPath, 'utf8')));
      const sealerKeys = t.nodes.filter((n) => n.node.role === 'sealer').map((n) => readKeyFile(join(t.dir, 'keys', 'nodes', `${n.node.name}.json`)));
      const devices = t.layout.accounts.filter((a) => a.role === 'user').map((a) => readKeyFile(a.keyPath));
      const companies = t.layout.accounts.filter((a) => a.role === 'company').map((a) => readKeyFile(a.keyPath));
      const cfg = JSON.parse(readFileSync(sealer.node.configPath, 'utf8'));
      const dataDir = join(t.dir, cfg.dataDir);
      const g0 = performance.now();
      const gen = await generateChain({
        dataDir, genesis, sealerKeys, devices, companies, blocks, meanTxs,
        progress: (h, n) => process.stderr.write(`bench: sync chain ${h}/${blocks} blocks, ${n} txs\n`),
      });
      out['sync.gen_s'] = round1((performance.now() - g0) / 1000);
      out['sync.blocks'] = gen.blocks;
      out['sync.txs'] = gen.txs;
      out['sync.chain_mb'] = round1(gen.bytes / 2 ** 20);

      // ---- one sealer serves, a fresh observer syncs
      withProf(prof, () => t.start(sealer.node.name));
      await t.ready(sealer.node.name);
      const head = await sealer.rpc.call<number>('getBlockNumber');
      if (head !== blocks) throw new Error(`sealer resumed at ${head}, expected ${blocks}`);
      const tSpawn = performance.now();
      withProf(prof, () => t.start(obs.node.name));
      let tFirst = 0;
      let cpu0 = cpuOf(undefined);
      let srv0 = cpuOf(undefined);
      const why = await waitFor('observer synced', async () => {
        if (exited(obs.proc) || exited(sealer.proc)) return 'exited';
        let h = 0;
        try {
          h = await obs.rpc.call<number>('getBlockNumber');
        } catch {
          return false;
        }
        if (h > 0 && !tFirst) {
          tFirst = performance.now();
          cpu0 = cpuOf(obs.proc?.pid);
          srv0 = cpuOf(sealer.proc?.pid);
        }
        return h >= head && 'synced';
      }, syncTimeoutS * 1000, 50);
      if (why === 'exited') {
        t.dumpLogs(20);
        throw new Error('a node exited during the sync');
      }
      const tDone = performance.now();
      const cpu1 = cpuOf(obs.proc?.pid);
      const srv1 = cpuOf(sealer.proc?.pid);
      const syncS = (tDone - (tFirst || tSpawn)) / 1000;
      out['sync.s'] = round1(syncS);
      out['sync.blocks_per_s'] = Math.round(blocks / syncS);
      out['sync.tx_per_s'] = Math.round(gen.txs / syncS);
      out['sync.total_s_incl_start'] = round1((tDone - tSpawn) / 1000);
      // CPU seconds the observer used in the timed window: the whole process, and its main thread
      out['sync.observer_cpu_s'] = round1(cpu1.all - cpu0.all);
      out['sync.observer_main_thread_cpu_s'] = round1(cpu1.main - cpu0.main);
      out['sync.server_cpu_s'] = round1(srv1.all - srv0.all);
      const count = (await obs.rpc.call<{ txSum: number }>('getTotalTransactionCount')).txSum;
      if (count !== gen.txs) throw new Error(`observer counts ${count} txs, the chain has ${gen.txs}`);
      const [a, b] = await t.heads([sealer.node.name, obs.node.name], head, 5000);
      if (a !== b) throw new Error(`observer head ${b} differs from the sealer's ${a}`);
      if (prof) for (const n of [obs, sealer]) await t.stopNode(n.node.name); // graceful: --cpu-prof writes on exit
    } finally {
      await t.stop();
      live.delete(t);
    }
    return out;
  });
}

/** Starts a node with --cpu-prof when profiling. */
function withProf(dir: string | undefined, start: () => unknown): void {
  const saved = process.env.NODE_OPTIONS;
  if (dir) process.env.NODE_OPTIONS = `${saved ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim();
  try {
    start();
  } finally {
    if (dir) {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  }
}

/** CPU time (user + system, s) of a process and of its main thread, from /proc (zeros if unavailable). */
/** CPU seconds of a process so far: all its threads, and its main thread (tid = pid). */
function cpuOf(pid: number | undefined): { all: number; main: number } {
  return { all: cpuSeconds(pid), main: cpuSeconds(pid, pid) };
}

const exited = (p: ChildProcess | null) => !!p && (p.exitCode !== null || p.signalCode !== null);
const round1 = (x: number) => Math.round(x * 10) / 10;

if (import.meta.main) {
  const res = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(32)} ${v}`);
}
