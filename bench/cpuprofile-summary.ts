/**
 * Summarises V8 .cpuprofile files (from `--cpu-prof`, e.g. the sealers of
 * `EDGECHAIN_BENCH_CPU_PROF=<dir> npx node bench/e2e.bench.ts`): busy share, top functions
 * by self time, and self time grouped by package / source folder.
 * `npx node bench/cpuprofile-summary.ts <file.cpuprofile|dir> [--top 25] [--from S] [--to S]`
 * (--from/--to: only samples in that window, seconds from each profile's start; `--timeline`
 * prints the busy share per second of each profile, to find the load window).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export function summarise(p: Profile, window: { fromS?: number; toS?: number } = {}): { totalMs: number; idleMs: number; gcMs: number; byFn: Map<string, number>; byArea: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += (p.timeDeltas[i] ?? 0) / 1e6;
    if (window.fromS !== undefined && t < window.fromS) continue;
    if (window.toS !== undefined && t > window.toS) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  let idle = 0;
  let gc = 0;
  let total = 0;
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    total += ms;
    if (cf.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    if (cf.functionName === '(garbage collector)') gc += ms;
    const key = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
    const area = areaOf(cf.url, cf.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
  }
  return { totalMs: total, idleMs: idle, gcMs: gc, byFn, byArea };
}

/** Busy share (%) of each second of the profile. */
export function timeline(p: Profile): number[] {
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const busy: number[] = [];
  const tot: number[] = [];
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = (p.timeDeltas[i] ?? 0) / 1000;
    t += d;
    const b = Math.floor(t / 1000);
    tot[b] = (tot[b] ?? 0) + d;
    if (!idle.has(p.samples[i])) busy[b] = (busy[b] ?? 0) + d;
  }
  return Array.from(tot, (x, i) => Math.round((100 * (busy[i] ?? 0)) / (x || 1)));
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const j = url.indexOf('/src/');
  if (j >= 0) return url.slice(j + 1);
  return url.replace(/^file:\/\//, '');
}

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/builtin)';
  if (url.startsWith('node:')) return url.split('/')[0];
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/src\/([^/]+)\//.exec(url);
  return m ? `src/${m[1]}` : url;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const topIdx = args.indexOf('--top');
  const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
  const num = (flag: string) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : undefined);
  const window = { fromS: num('--from'), toS: num('--to') };
  const valueIdx = new Set(['--top', '--from', '--to'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
  const target = args.find((a, i) => !a.startsWith('--') && !valueIdx.has(i));
  if (!target) {
    console.error('usage: bench/cpuprofile-summary.ts <file.cpuprofile|dir> [--top N]');
    process.exit(2);
  }
  const files = statSync(target).isDirectory() ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f)) : [target];
  const agg = { totalMs: 0, idleMs: 0, gcMs: 0, byFn: new Map<string, number>(), byArea: new Map<string, number>() };
  for (const f of files) {
    const prof = JSON.parse(readFileSync(f, 'utf8')) as Profile;
    if (args.includes('--timeline')) console.log(`${f}: busy % per second: ${timeline(prof).join(' ')}`);
    const s = summarise(prof, window);
    console.log(`${f}: ${(s.totalMs / 1000).toFixed(1)} s sampled, busy ${(((s.totalMs - s.idleMs) / s.totalMs) * 100).toFixed(0)} %, GC ${(s.gcMs / 1000).toFixed(1)} s`);
    agg.totalMs += s.totalMs;
    agg.idleMs += s.idleMs;
    agg.gcMs += s.gcMs;
    for (const [k, v] of s.byFn) agg.byFn.set(k, (agg.byFn.get(k) ?? 0) + v);
    for (const [k, v] of s.byArea) agg.byArea.set(k, (agg.byArea.get(k) ?? 0) + v);
  }
  const busy = agg.totalMs - agg.idleMs;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)} %`;
  console.log(`\nall files: busy ${(busy / 1000).toFixed(1)} s of ${(agg.totalMs / 1000).toFixed(1)} s sampled; shares below are of busy time\n\nby area (self time):`);
  for (const [k, v] of [...agg.byArea].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(v)}  ${k}`);
  console.log(`\ntop ${top} functions (self time):`);
  for (const [k, v] of [...agg.byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)}  ${k}`);
}
