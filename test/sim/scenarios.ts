import type { Mutant } from '../../src/consensus/types.ts';
import { Prng } from './prng.ts';
import { BYZ_KINDS, SIM_PARAMS, Simulation, type ByzKind, type NetModel, type SimConfig, type SimResult } from './sim.ts';

/**
 * The fault scenarios of the suites. Each builds a full SimConfig from (n, seed): the
 * same (scenario, n, seed, mutant) always gives the same run, event for event.
 */

const CALM: NetModel = { drop: 0, dup: 0, delayMin: 5, delayMean: 15 };
const LOSSY: NetModel = { drop: 0.15, dup: 0.1, delayMin: 1, delayMean: 60 };

function base(scenario: string, n: number, seed: number): SimConfig {
  return {
    scenario,
    n,
    seed,
    observers: 0,
    target: 3,
    params: SIM_PARAMS,
    net: CALM,
    calm: CALM,
    faultsEnd: 3000,
    livenessBound: 60_000,
    partitions: [],
    crashes: [],
    byzantine: [],
    skewMax: 400,
    txEvery: 40,
    faultTxEvery: 250,
  };
}

const f = (n: number) => Math.floor((n - 1) / 3);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function byz(kind: ByzKind) {
  return (c: SimConfig, r: Prng): void => {
    if (kind === 'non-sealer') {
      c.byzantine = [{ node: -1, kind }];
      return;
    }
    // Byzantine sealers among the early leaders (leader of (h, 0) is h mod n), so they propose
    const candidates = r.shuffle(range(Math.min(c.n, c.target + 1)).filter((i) => i > 0));
    c.byzantine = candidates.slice(0, f(c.n)).map((node) => ({ node, kind }));
    c.net = { drop: 0.02, dup: 0.05, delayMin: 2, delayMean: 25 };
    // Byzantine sealers misbehave for the whole run; the window is the twins' split and the loss
    c.faultsEnd = 1500;
  };
}

type Shaper = (c: SimConfig, r: Prng) => void;

export const SCENARIOS: Record<string, Shaper> = {
  normal: (c) => {
    c.observers = 1;
    c.faultsEnd = 0;
  },
  lossy: (c) => {
    c.net = LOSSY;
    c.faultsEnd = 2500;
  },
  'partition-minority': (c, r) => {
    c.observers = 1;
    const minority = r.shuffle(range(c.n)).slice(0, f(c.n));
    const from = r.int(0, 200);
    c.partitions = [{ groups: [minority, range(c.n).filter((i) => !minority.includes(i))], from, to: from + r.int(600, 1800) }];
    c.faultsEnd = c.partitions[0].to;
  },
  'partition-split': (c, r) => {
    const order = r.shuffle(range(c.n));
    const cut = Math.floor(c.n / 2);
    const from = r.int(0, 300);
    c.partitions = [{ groups: [order.slice(0, cut), order.slice(cut)], from, to: from + r.int(500, 1800) }];
    c.faultsEnd = c.partitions[0].to;
  },
  'partition-leader': (c, r) => {
    // isolate the leader of (h, 0) for several heights in a row (leader of (h, 0) is h mod n)
    let t = 0;
    for (let h = 1; h <= 3; h++) {
      const len = r.int(300, 900);
      c.partitions.push({ groups: [[h % c.n], range(c.n).filter((i) => i !== h % c.n)], from: t, to: t + len });
      t += len + r.int(0, 200);
    }
    c.faultsEnd = t;
  },
  'partition-commit': (c, r) => {
    // one node alone sees the COMMITs, finalizes, and is cut off: the others must view-change
    // and re-propose the same (locked) block
    c.commitsOnlyTo = { node: r.int(0, c.n - 1), until: r.int(1200, 2200) };
    c.faultsEnd = c.commitsOnlyTo.until;
  },
  'crash-restart': (c, r) => {
    const who = r.shuffle(range(c.n)).slice(0, r.int(1, f(c.n)));
    for (const node of who) {
      const at = r.int(0, 1500);
      c.crashes.push({ node, at, restartAt: at + r.int(100, 1400) });
    }
    c.net = { drop: 0.02, dup: 0.02, delayMin: 2, delayMean: 20 };
    c.faultsEnd = Math.max(...c.crashes.map((x) => x.restartAt)) + 1;
  },
  'crash-all': (c, r) => {
    const at = r.int(30, 600);
    for (const node of range(c.n)) c.crashes.push({ node, at, restartAt: at + r.int(50, 1500) });
    c.faultsEnd = Math.max(...c.crashes.map((x) => x.restartAt)) + 1;
  },
  'wal-crash': (c, r) => {
    // enumerate write points over the seeds: write index, before/after durability, torn record;
    // every other seed isolates the first leader so that VIEW-CHANGE and NEW-VIEW writes happen
    const s = c.seed;
    const viewChange = ((s >> 2) & 1) === 1;
    if (viewChange) c.partitions = [{ groups: [[1 % c.n], range(c.n).filter((i) => i !== 1 % c.n)], from: 0, to: r.int(700, 1500) }];
    const node = viewChange && r.chance(0.5) ? 2 % c.n : r.int(0, c.n - 1);
    c.walCrash = { node, write: 1 + ((s >> 3) % 6), before: (s & 1) === 1, torn: (s & 2) === 2, restartAfter: r.int(20, 1500) };
    c.faultsEnd = 2000;
  },
  // Wiped data dir: the leader of height 1, 2 or 3 crashes right after signing its proposal
  // (nobody receives it) and comes back with nothing but its double-sign guard; it syncs and,
  // leader of that height again, would propose another block: the guard must refuse it.
  'wipe-restart': (c, r) => {
    c.wipeCrash = { node: r.int(1, Math.min(3, c.n - 1)), proposal: 1, restartAfter: r.int(10, 300) };
    c.faultsEnd = 1500;
  },
  // A block period (minBlockIntervalMs) with timers that fire a little early, as Node's do:
  // the engine must re-arm a timer that fired before its deadline (found by the e2e bench:
  // a leader waiting for its block period slept until the replicas changed view).
  'timer-jitter': (c, r) => {
    c.observers = 1;
    c.params = { ...c.params, minBlockIntervalMs: r.int(50, 200) };
    c.timerEarlyMs = 3;
    c.faultsEnd = 1000; // early timers stay on after it: the fault window only paces the workload
  },
  // Every leader waits out a block period (docs/CONSENSUS.md, "Block period") unless a full
  // block waits (half the nodes have tiny blocks, so both happen), with early timers, clock skew, loss, and one
  // sealer crashed and restarted: waiting leaders must neither stall the chain nor run into
  // the replicas' view timers, and a leader that proposes at once on a full pool is safe too.
  'block-period': (c, r) => {
    c.observers = 1;
    // the default view timeout (the suite's 600 ms would cap the period at 150 ms); periods
    // past its quarter (500 ms) are capped by the engine
    c.params = { ...c.params, viewTimeoutMs: 2000 };
    c.blockPeriodMs = r.int(150, 700);
    // every other node fills a block with 2-3 txs (it rarely waits), the rest never (they always do)
    c.proposalMaxTxs = range(c.n + c.observers).map((i) => (i % 2 === 0 ? r.int(2, 3) : 1000));
    c.faultTxEvery = r.int(20, 60);
    c.timerEarlyMs = 3;
    c.net = { drop: 0.05, dup: 0.05, delayMin: 2, delayMean: 30 };
    const node = r.int(0, c.n - 1);
    const at = r.int(100, 1200);
    c.crashes = [{ node, at, restartAt: at + r.int(100, 1500) }];
    c.faultsEnd = 4000;
  },
  // Never-executable txs (nonce gaps) in every pool and no valid tx for 20 s: the chain must
  // stay idle (no view timer, no view change) and finalize the first valid tx within a view
  // timeout (the stub app of earlier versions hid a stall here: docs/CONSENSUS.md).
  'idle-nonce-gap': (c) => {
    c.observers = 1;
    c.junkTxs = 6;
    c.txStart = 20_000;
  },
  ...Object.fromEntries(BYZ_KINDS.map((k) => ['byz-' + k, byz(k)])),
  // Byzantine leaders whose compact proposals list a tx id nobody holds, or a badly signed tx
  // only they serve, or whose fetch server answers with short, wrong, garbage or too many txs;
  // tx gossip loses 20 % of the txs per pool meanwhile, so honest replicas do fetch.
  'byz-compact': (c, r) => {
    byz('compact')(c, r);
    c.txLoss = 0.2;
  },
  // Lock override: one honest node alone sees the COMMITs of height 1 and finalizes; the
  // Byzantine leader of (1, 1) then sends a NEW-VIEW with a valid justification but another
  // block (fresh, or behind a crafted certificate), and votes for it.
  'byz-lock': (c, r) => {
    if (c.n < 4) return;
    const lead = 2 % c.n;
    c.byzantine = [{ node: lead, kind: 'lock' }];
    c.commitsOnlyTo = { node: r.pick(range(c.n).filter((i) => i !== lead)), until: r.int(1200, 2200) };
    c.faultsEnd = c.commitsOnlyTo.until;
  },
  // Split lock: the Byzantine leader of (1, 0) sends a lower-hash twin of its block to f
  // sealers and votes for both; one honest node of the larger side alone sees the COMMITs.
  'byz-split': (c, r) => {
    if (c.n < 4) return;
    c.byzantine = [{ node: 1, kind: 'split' }];
    c.commitsOnlyTo = { node: r.pick(range(c.n).filter((i) => i % 2 === 0 && i !== 2 % c.n)), until: r.int(1200, 2200) };
    c.faultsEnd = c.commitsOnlyTo.until;
  },
  // Byzantine sync server: answers every sync request first with a forged block and a forged,
  // short, wrong-height or wrong-chain certificate; an honest node cut off for a while must
  // catch up through sync anyway.
  'byz-sync': (c, r) => {
    if (c.n < 4) return;
    const order = r.shuffle(range(c.n));
    c.byzantine = order.slice(0, f(c.n)).map((node) => ({ node, kind: 'sync' as const }));
    const victim = order[f(c.n)];
    const from = r.int(0, 200);
    c.partitions = [{ groups: [[victim], range(c.n).filter((i) => i !== victim)], from, to: from + r.int(600, 1500) }];
    c.faultsEnd = c.partitions[0].to;
  },
  // Compact proposals under tx gossip loss: every workload tx misses each pool with probability
  // 0.3 during the fault window, over a lossy network (fetches lost too); replicas rebuild the
  // proposals from their pools and fetch the rest from the leader or other peers.
  'compact-fetch': (c) => {
    c.observers = 1;
    c.txLoss = 0.3;
    c.net = { drop: 0.05, dup: 0.02, delayMin: 2, delayMean: 25 };
    c.faultsEnd = 2500;
    c.faultTxEvery = 60;
  },
  mixed: (c, r) => {
    c.net = { drop: 0.08, dup: 0.05, delayMin: 1, delayMean: 40 };
    c.observers = r.int(0, 1);
    c.faultsEnd = 2500;
    const order = r.shuffle(range(c.n));
    const bad = order.slice(0, f(c.n));
    // (not 'lock': it acts only as the leader of a view change, which mixed rarely makes it)
    // ('compact' has its own scenarios, byz-compact and compact-fetch; left out here so that the
    // seeds of mixed draw the same kinds as before it existed)
    c.byzantine = bad.map((node) => ({ node, kind: r.pick(BYZ_KINDS.filter((k) => k !== 'non-sealer' && k !== 'lock' && k !== 'compact')) }));
    if (r.chance(0.3)) c.byzantine.push({ node: -1, kind: 'non-sealer' });
    const honest = order.slice(f(c.n));
    const from = r.int(0, 1000);
    c.partitions = [{ groups: [honest.slice(0, 1), order.filter((i) => i !== honest[0])], from, to: from + r.int(300, 1400) }];
    const victim = honest[1];
    const at = r.int(0, 1500);
    c.crashes = [{ node: victim, at, restartAt: at + r.int(100, 900) }];
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

export function scenarioConfig(name: string, n: number, seed: number, mutant?: Mutant): SimConfig {
  const shape = SCENARIOS[name];
  if (!shape) throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  const c = base(name, n, seed);
  c.mutant = mutant;
  shape(c, Prng.from('scenario', name, n, seed));
  // the equivocation scenarios also take the evidence to the chain (docs/CONSENSUS.md "Evidence on chain")
  if (EVIDENCE_SCENARIOS.includes(name)) c.reportEvidence = true;
  return c;
}

/** Scenarios whose honest sealers submit the equivocation they see as evidence txs (SimConfig.reportEvidence). */
export const EVIDENCE_SCENARIOS: readonly string[] = ['byz-equivocate', 'byz-bad-votes'];

export function runScenario(name: string, n: number, seed: number, mutant?: Mutant): SimResult {
  return new Simulation(scenarioConfig(name, n, seed, mutant)).run();
}

export interface Summary {
  scenario: string;
  n: number;
  seeds: number;
  violations: { seed: number; message: string }[];
  latencyMean: number;
  latencyP99: number;
  messagesPerBlock: number;
  bytesPerBlock: number;
  steps: number;
  /** wal-crash: how often each WAL write point (`kind/durable|lost|torn`) was hit. */
  crashPoints: Record<string, number>;
  /** Equivocation evidence emitted by honest engines over all seeds (each one checked). */
  evidence: number;
  /** Evidence records on chain at the end, over all seeds (reportEvidence scenarios), and the seeds with at least one. */
  evidenceOnChain: number;
  evidenceOnChainSeeds: number;
  /** Faults injected over all seeds, by kind (SimResult.faults). */
  faults: Record<string, number>;
  /** Seeds in which every fault the scenario is about (SCENARIO_FAULTS) was actually injected. */
  hitSeeds: number;
}

/**
 * What each scenario is about: a seed "hits" when, for every entry, at least one of its
 * `|`-separated fault kinds was injected (SimResult.faults). The suites assert that at least
 * HIT_SHARE of the seeds hit; a scenario with no entry (normal) injects nothing.
 */
export const SCENARIO_FAULTS: Record<string, string[]> = {
  normal: [],
  lossy: ['dropped', 'duplicated'],
  'timer-jitter': ['early-timer'],
  'block-period': ['period-wait', 'full-block', 'crash', 'restart'],
  'partition-minority': ['partitioned'],
  'partition-split': ['partitioned'],
  'partition-leader': ['partitioned'],
  'partition-commit': ['partitioned'],
  'crash-restart': ['crash', 'restart'],
  'crash-all': ['crash', 'restart'],
  'wal-crash': ['wal-crash', 'restart'],
  'wipe-restart': ['wipe', 'restart', 'guard-refused'],
  'byz-silent': ['silent-leader'],
  'byz-sync': ['byz-sync'],
  mixed: ['crash', 'restart', 'partitioned', 'dropped', 'byzantine|silent-leader|byz-sync'],
  'compact-fetch': ['tx-lost', 'tx-fetch'],
};
for (const k of BYZ_KINDS) if (k !== 'silent') SCENARIO_FAULTS['byz-' + k] ??= ['byzantine'];
export const HIT_SHARE = 0.9;

export function hits(name: string, faults: Record<string, number>): boolean {
  return (SCENARIO_FAULTS[name] ?? []).every((alt) => alt.split('|').some((k) => (faults[k] ?? 0) > 0));
}

export function replayCommand(name: string, n: number, seed: number, mutant?: Mutant): string {
  return `npm run sim -- --scenario ${name} --n ${n} --seed ${seed}${mutant ? ' --mutant ' + mutant : ''}`;
}

/** Runs seeds [first, first + count); stops at the first violation if `stopOnViolation`. */
export function runSeeds(name: string, n: number, first: number, count: number, opts: { mutant?: Mutant; stopOnViolation?: boolean } = {}): Summary {
  const lat: number[] = [];
  let msgs = 0;
  let bytes = 0;
  let blocks = 0;
  let steps = 0;
  let seeds = 0;
  const violations: Summary['violations'] = [];
  const crashPoints: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let hitSeeds = 0;
  let evidence = 0;
  let evidenceOnChain = 0;
  let evidenceOnChainSeeds = 0;
  for (let seed = first; seed < first + count; seed++) {
    const r = runScenario(name, n, seed, opts.mutant);
    seeds++;
    for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
    if (hits(name, r.faults)) hitSeeds++;
    evidence += r.evidence;
    evidenceOnChain += r.evidenceOnChain;
    if (r.evidenceOnChain > 0) evidenceOnChainSeeds++;
    for (const l of r.latencies) lat.push(l);
    msgs += r.messages;
    bytes += r.bytes;
    blocks += r.blocks;
    steps += r.steps;
    if (r.walCrashAt) crashPoints[r.walCrashAt] = (crashPoints[r.walCrashAt] ?? 0) + 1;
    if (r.violations.length) {
      violations.push({ seed, message: r.violations[0] });
      if (opts.stopOnViolation) break;
    }
  }
  lat.sort((a, b) => a - b);
  return {
    scenario: name,
    n,
    seeds,
    violations,
    latencyMean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0,
    latencyP99: lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] : 0,
    messagesPerBlock: msgs / Math.max(1, blocks),
    bytesPerBlock: bytes / Math.max(1, blocks),
    steps,
    crashPoints,
    faults: Object.fromEntries(Object.entries(faults).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    hitSeeds,
    evidence,
    evidenceOnChain,
    evidenceOnChainSeeds,
  };
}

export function summaryLine(s: Summary): string {
  return (
    `${s.scenario.padEnd(20)} n=${String(s.n).padEnd(2)} seeds=${String(s.seeds).padEnd(6)} violations=${String(s.violations.length).padEnd(4)} ` +
    `latency mean=${s.latencyMean.toFixed(0)}ms p99=${s.latencyP99.toFixed(0)}ms msgs/block=${s.messagesPerBlock.toFixed(1)}`
  );
}

/** The faults line of a summary: the share of seeds that hit the scenario's faults and the totals. */
export function faultLine(s: Summary): string {
  const want = SCENARIO_FAULTS[s.scenario] ?? [];
  const share = want.length ? `${s.hitSeeds}/${s.seeds} seeds hit [${want.join(', ')}] (${((100 * s.hitSeeds) / Math.max(1, s.seeds)).toFixed(1)} %)` : 'no faults (baseline)';
  const totals = Object.entries(s.faults).map(([k, v]) => `${k}=${v}`).join(' ');
  return `  faults: ${share}${totals ? '; injected ' + totals : ''}${s.evidence ? `; equivocation evidence: ${s.evidence}` : ''}${s.evidenceOnChain ? `; on chain: ${s.evidenceOnChain} records in ${s.evidenceOnChainSeeds} seeds` : ''}`;
}
