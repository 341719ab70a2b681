/**
 * The chaos runner (`npm run chaos`, docs/CONSENSUS.md "Chaos runner: fault model"): a
 * black-box run of the real process testnet (4 sealers + 1 observer, test/e2e/harness.ts)
 * under steady load (load.ts) through a seeded schedule of perturbations, one at a time:
 *
 *   kill     kill -9, down for the fault window, restart
 *   restart  SIGTERM (graceful), down for the fault window, restart
 *   pause    SIGSTOP for the fault window, SIGCONT
 *   cut      the node's veth set down for the fault window (netns.ts), then up
 *   wipe     kill -9, the whole data dir deleted, restart (it syncs from scratch)
 *
 * After each perturbation heals, and at the end, it checks from outside the nodes: the chain
 * resumes (a new block on some node) and the perturbed node catches up, each within the
 * recovery bound; every node has the same hash at every height (all heights, incrementally);
 * every tx accepted before the perturbation began is finalized; no sealer signed two
 * conflicting votes (listener.ts); no node died unless the runner killed it. At the end the
 * load stops, every accepted tx must be finalized within the bound (0 lost) and the chain's
 * tx count must grow by exactly the number finalized (nothing twice, nothing foreign).
 */
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Testnet } from '../e2e/harness.ts';
import { Client } from '../../src/sdk/index.ts';
import { RpcClient } from '../../src/cli/rpc-client.ts';
import { readKeyFile } from '../../src/crypto/keyfile.ts';
import { fromHex } from '../../src/util/bytes.ts';
import { NetnsLab, netnsAvailable } from './netns.ts';
import { VoteListener, type DoubleSign } from './listener.ts';
import { SteadyLoad } from './load.ts';

export const KINDS = ['kill', 'restart', 'pause', 'cut', 'wipe'] as const;
export type Kind = (typeof KINDS)[number];

export interface ChaosOptions {
  seed: number;
  durationS: number;
  /** Offered load, tx/s. */
  rate?: number;
  /** Bound on resume and catch-up after a perturbation heals (s). */
  recoveryBoundS?: number;
  /** Fault window range (s). */
  faultS?: [number, number];
  kinds?: readonly Kind[];
  /** Use network namespaces (needs root); without them `cut` is not available. Default: when available. */
  netns?: boolean;
  out?: string | null;
  log?: (line: string) => void;
}

export interface PerturbationRecord {
  index: number;
  kind: Kind;
  target: string;
  /** s since the schedule started */
  at: number;
  faultMs: number;
  heightAtStart: number;
  heightAtHeal: number;
  /** Blocks finalized by the other nodes during the fault window. */
  blocksDuringFault: number;
  /** cut only: the target's own height just before the cut and at the end of the window (read from inside its namespace). */
  /**
   * cut only: the target's height (read from inside its namespace) and the others' highest,
   * at `settleMs` into the window (the node has had time to act on what it had already
   * received) and at its end. `leaked` (a violation): the isolated node went up by 2 or more
   * in that interval; `verified`: the others went up by 2 or more and it by at most 1;
   * `inconclusive`: the others did not move enough to tell, or a read failed.
   */
  isolated?: { before: number | null; settleMs: number; mid: number | null; othersMid: number; atEnd: number | null; othersEnd: number; verdict: 'verified' | 'leaked' | 'inconclusive' };
  /** Time the heal itself took (restart until the node's RPC answers; SIGCONT; veth up). */
  healMs: number;
  /** Longest interval between consecutive block timestamps from the fault's start to the end of its checks (ms). */
  longestBlockGapMs: number | null;
  /** From the end of the heal to the first block above heightAtHeal on any other node (polled). */
  resumeMs: number | null;
  /** From the end of the heal to the perturbed node being above heightAtHeal (polled). */
  catchUpMs: number | null;
  checkedHeights: number;
  txsFinalizedSoFar: number;
  violations: string[];
}

export interface ChaosReport {
  seed: number;
  durationS: number;
  rate: number;
  recoveryBoundS: number;
  netns: boolean;
  kinds: Kind[];
  nodes: string[];
  startedAt: string;
  wallS: number;
  perturbations: PerturbationRecord[];
  survived: number;
  /** Per kind: how many, the worst catch-up and the longest block gap around them. */
  byKind: Record<string, { count: number; worstCatchUpMs: number | null; longestBlockGapMs: number | null }>;
  recovery: { longestBlockGapMs: number | null; worstResumeMs: number | null; worstCatchUpMs: number | null; meanResumeMs: number | null };
  txs: { accepted: number; finalized: number; lost: number; lostHashes: string[]; chainTxDelta: number; failedOnChain: number; rejected: Record<string, number>; unreachable: number; resent: number; busy: number };
  chain: { finalHeight: number; heightsCompared: number };
  doubleSigns: DoubleSign[];
  listener: { messages: number; votes: number; badSignature: number; malformed: number; votesBySealer: Record<string, number> };
  violations: string[];
  ok: boolean;
}

/** splitmix32: small, seedable, good enough for schedules. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

export interface Step {
  kind: Kind;
  target: number;
  faultMs: number;
  restMs: number;
}

/**
 * The seeded schedule: the i-th step depends only on (seed, kinds, node count, fault range).
 * The first |kinds| steps use every kind once (seeded order), so short runs cover them all.
 */
export function schedule(seed: number, kinds: readonly Kind[], nodes: number, faultS: [number, number]): () => Step {
  const r = rng(seed);
  const first = [...kinds];
  for (let i = first.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [first[i], first[j]] = [first[j], first[i]];
  }
  let i = 0;
  return () => {
    const kind = i < first.length ? first[i] : kinds[Math.floor(r() * kinds.length)];
    i++;
    const target = Math.floor(r() * nodes);
    const faultMs = Math.round((faultS[0] + r() * (faultS[1] - faultS[0])) * 1000);
    const restMs = Math.round((1 + r() * 3) * 1000);
    return { kind, target, faultMs, restMs };
  };
}

/** Longest interval between consecutive block timestamps over heights (from, to]. */
function longestGap(stamps: number[], from: number, to: number): number | null {
  let best: number | null = null;
  for (let h = Math.max(1, from + 1); h <= to; h++) {
    if (stamps[h] === undefined || stamps[h - 1] === undefined) continue;
    best = Math.max(best ?? 0, stamps[h] - stamps[h - 1]);
  }
  return best;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? ((s: string) => console.log(s));
  const rate = o.rate ?? 20;
  const boundMs = (o.recoveryBoundS ?? 60) * 1000;
  const faultS = o.faultS ?? [2, 8];
  const useNetns = o.netns ?? netnsAvailable();
  if (useNetns && !netnsAvailable()) throw new Error('--netns needs root and iproute2');
  const kinds = (o.kinds ?? KINDS).filter((k) => useNetns || k !== 'cut');
  if (kinds.length === 0) throw new Error('no perturbation kind to run');
  if (!useNetns && o.kinds?.includes('cut')) throw new Error('cut needs network namespaces (root and iproute2)');
  const started = Date.now();
  const violations: string[] = [];
  const perturbations: PerturbationRecord[] = [];

  const t = await Testnet.create({ sealers: 4, observers: 2, devices: 8, params: { viewTimeoutMs: 1000, maxViewTimeoutMs: 4000 } });
  // observer-2's key is the listener's identity; the other five are node processes
  const names = t.nodes.map((n) => n.node.name).filter((n) => n !== 'observer-2');
  const lab = useNetns ? new NetnsLab(names.length) : null;
  let listener: VoteListener | null = null;
  let sealerNames: string[] = [];
  // one SDK client per node URL: no transport resend (a paused or cut-off node is an answer here)
  const clients = new Map<string, Client>();
  const clientOf = (u: string) => {
    let c = clients.get(u);
    if (!c) clients.set(u, (c = new Client(u, { timeoutMs: 3_000, retries: 0, checkResults: false })));
    return c;
  };
  let load: SteadyLoad | null = null;
  const expectedExit = new Set<string>();
  const cleanup = () => {
    for (const n of t.nodes) {
      try {
        if (n.proc?.pid) process.kill(n.proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    lab?.teardown();
  };
  const onSignal = () => {
    cleanup();
    if (!process.env.EDGECHAIN_KEEP_E2E) rmSync(t.dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const url = (name: string) => t.byName(name).node.rpcUrl;
  const heightOf = async (name: string): Promise<number | null> => {
    try {
      const r = await clientOf(url(name)).raw('getBlockNumber', []);
      return typeof r === 'number' ? r : null;
    } catch {
      return null;
    }
  };
  const heights = async (skip: string | null = null) => {
    const hs = await Promise.all(names.map(async (n) => (n === skip ? null : heightOf(n))));
    return Object.fromEntries(names.map((n, i) => [n, hs[i]])) as Record<string, number | null>;
  };
  const maxHeight = async (skip: string | null = null) => Math.max(-1, ...Object.values(await heights(skip)).filter((h): h is number => h !== null));

  let agreedUpTo = 0;
  /** Block timestamps (ms) by height, from the first node, as the agreement check reads them. */
  const stamps: number[] = [];
  let finalHeight = 0;
  /** Compares every node's hash at every height in (agreedUpTo, min height]; returns the heights compared. */
  const checkAgreement = async (): Promise<number> => {
    // a starved node may be slow to answer: wait (bounded) until every node does
    let live: (number | null)[] = [];
    const answered = await waitUntil(async () => {
      live = Object.values(await heights());
      return live.every((h) => h !== null);
    }, boundMs);
    if (answered === null) throw new Error(`${names.filter((_, i) => live[i] === null).join(', ')} did not answer getBlockNumber within ${boundMs} ms`);
    const top = Math.min(...(live as number[]));
    const from = agreedUpTo + 1;
    for (let h = from; h <= top; h += 100) {
      const reqs: { id: number; method: string; params: unknown[] }[] = [];
      for (let k = h; k <= Math.min(top, h + 99); k++) reqs.push({ id: k, method: 'getBlockByNumber', params: [k, false] });
      const per = await Promise.all(names.map((n) => clientOf(url(n)).batch(reqs, 30_000)));
      const resultOf = (out: (typeof per)[number], k: number) => {
        const a = out.answers[k];
        return a?.ok ? (a.result as { hash?: string; timestamp?: number } | null) : null;
      };
      for (let k = 0; k < reqs.length; k++) {
        const hashes = per.map((out) => resultOf(out, k)?.hash ?? null);
        const b0 = resultOf(per[0], k);
        if (b0 && typeof b0.timestamp === 'number') stamps[reqs[k].id] = b0.timestamp;
        if (hashes.some((x) => x === null) || new Set(hashes).size !== 1) {
          throw new Error(`agreement: height ${reqs[k].id}: ${names.map((n, i) => `${n}=${hashes[i]}`).join(' ')}`);
        }
      }
    }
    const n = Math.max(0, top - agreedUpTo);
    agreedUpTo = Math.max(agreedUpTo, top);
    return n;
  };

  const waitUntil = async (fn: () => Promise<boolean>, ms: number): Promise<number | null> => {
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      if (await fn()) return Math.round(performance.now() - t0);
      await sleep(100);
    }
    return null;
  };

  const dataDirOf = (name: string) => {
    const cfgPath = t.byName(name).node.configPath;
    return resolve(dirname(cfgPath), JSON.parse(readFileSync(cfgPath, 'utf8')).dataDir);
  };

  const start = async (name: string) => {
    const rn = t.start(name);
    const proc = rn.proc!;
    proc.once('exit', (code, sig) => {
      if (expectedExit.has(name)) return;
      violations.push(`${name} exited on its own (${sig ?? code}) at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
    await t.ready(name, boundMs);
  };
  const stopExpected = async (name: string, how: 'kill' | 'term') => {
    expectedExit.add(name);
    await (how === 'kill' ? t.kill(name) : t.stopNode(name));
    expectedExit.delete(name);
  };

  try {
    // ---- the testnet, each node in its own namespace when we can
    if (lab) {
      lab.setup();
      t.launchPrefix = (name) => lab.prefix(names.indexOf(name));
    }
    const addrOf = (name: string) => (lab ? lab.addr(names.indexOf(name)) : '127.0.0.1');
    for (const name of names) {
      const rn = t.byName(name);
      const cfg = JSON.parse(readFileSync(rn.node.configPath, 'utf8'));
      cfg.rpc.host = addrOf(name);
      cfg.p2p.listen = [`/ip4/${addrOf(name)}/tcp/${rn.node.p2pPort}`];
      cfg.p2p.bootstrap = t.layout.nodes.filter((p) => p.role === 'sealer' && p.name !== name).map((p) => `/ip4/${addrOf(p.name)}/tcp/${p.p2pPort}/p2p/${p.peerId}`);
      writeFileSync(rn.node.configPath, JSON.stringify(cfg, null, 2));
      rn.node.rpcUrl = `http://${addrOf(name)}:${rn.node.rpcPort}`;
      rn.rpc = new RpcClient(rn.node.rpcUrl, 5000);
    }
    await Promise.all(names.map((n) => start(n)));
    log(`chaos: ${names.length} nodes up${lab ? ` (network namespaces ${lab.ns(0)}…, bridge ${lab.bridge}, ${lab.subnet}.0/24)` : ' (loopback; no link cuts)'}; kinds ${kinds.join(', ')}; seed ${o.seed}`);

    // the sealers in index order, as the chain numbers them (a vote's `sender`)
    const sealerList = await t.rpcOf(names[0]).call<{ index: number; name: string; publicKey: string }[]>('getSealerList');
    sealerList.sort((a, b) => a.index - b.index);
    sealerNames = sealerList.map((x) => x.name);
    const votes = new VoteListener(t.chainId, sealerList.map((x) => fromHex(x.publicKey.replace(/^0x/, ''))!));
    listener = votes;
    const obs2 = t.layout.nodes.find((n) => n.name === 'observer-2')!;
    const obs2Cfg = JSON.parse(readFileSync(obs2.configPath, 'utf8'));
    await votes.start({
      secretKey: readKeyFile(resolve(dirname(obs2.configPath), obs2Cfg.key)).secretKey,
      listen: `/ip4/${lab ? lab.hostAddr : '127.0.0.1'}/tcp/0`,
      bootstrap: names.map((n) => t.byName(n).node).map((p) => `/ip4/${addrOf(p.name)}/tcp/${p.p2pPort}/p2p/${p.peerId}`),
      allowedPublicKeys: t.layout.nodes.map((n) => fromHex(n.publicKey)!),
    });

    const txBase = (await t.rpcOf(names[0]).call<{ txSum: number; failedTxSum: number }>('getTotalTransactionCount'));
    const senders = t.layout.accounts.map((a) => readKeyFile(a.keyPath));
    const loadRng = rng(o.seed ^ 0x5bd1e995);
    load = new SteadyLoad({ chainId: t.chainId, genesisHash: t.genesisHash, senders, rate, random: loadRng, nodes: () => names.map((n) => ({ name: n, url: url(n) })) });
    await load.start();
    const warm = await waitUntil(async () => (await maxHeight()) >= 3 && votes.connectedPeers() >= names.length, boundMs);
    if (warm === null) throw new Error(`no progress under load within ${boundMs} ms of start`);

    // ---- the schedule
    const next = schedule(o.seed, kinds, names.length, faultS);
    const t0 = performance.now();
    const elapsedS = () => (performance.now() - t0) / 1000;
    // the first |kinds| steps (every kind once) run even past --duration: a short run on a slow machine still covers every kind
    for (let index = 0; (elapsedS() < o.durationS || index < kinds.length) && violations.length === 0; index++) {
      const step = next();
      const target = names[step.target];
      const rec: PerturbationRecord = {
        index, kind: step.kind, target, at: Math.round(elapsedS() * 10) / 10, faultMs: step.faultMs,
        heightAtStart: await maxHeight(), heightAtHeal: 0, healMs: 0, longestBlockGapMs: null, blocksDuringFault: 0, resumeMs: null, catchUpMs: null,
        checkedHeights: 0, txsFinalizedSoFar: 0, violations: [],
      };
      const loadClockAtStart = load.now();
      const pid = t.byName(target).proc!.pid!;
      const fail = (v: string) => {
        rec.violations.push(v);
        violations.push(`#${index} ${step.kind} ${target}: ${v}`);
      };
      try {
        // fault
        switch (step.kind) {
          case 'kill':
          case 'wipe':
            await stopExpected(target, 'kill');
            if (step.kind === 'wipe') rmSync(dataDirOf(target), { recursive: true, force: true });
            break;
          case 'restart':
            await stopExpected(target, 'term');
            break;
          case 'pause':
            process.kill(pid, 'SIGSTOP');
            break;
          case 'cut':
            rec.isolated = { before: await heightOf(target), settleMs: Math.min(1500, Math.round(step.faultMs / 2)), mid: null, othersMid: 0, atEnd: null, othersEnd: 0, verdict: 'inconclusive' };
            lab!.cutLinks(step.target);
            break;
        }
        const windowEnd = performance.now() + step.faultMs;
        const iso = rec.isolated;
        const inside = async () => (await lab!.rpcInside(step.target, t.byName(target).node.rpcPort, 'getBlockNumber')) as number | null;
        if (iso) {
          await sleep(iso.settleMs);
          [iso.mid, iso.othersMid] = await Promise.all([inside(), maxHeight(target)]);
        }
        await sleep(Math.max(0, windowEnd - performance.now())); // the fault window is part of the schedule
        if (iso) {
          [iso.atEnd, iso.othersEnd] = await Promise.all([inside(), maxHeight(target)]);
          if (iso.mid !== null && iso.atEnd !== null) {
            if (iso.atEnd - iso.mid >= 2) iso.verdict = 'leaked';
            else if (iso.othersEnd - iso.othersMid >= 2) iso.verdict = 'verified';
          }
        }
        rec.heightAtHeal = await maxHeight(target);
        rec.blocksDuringFault = rec.heightAtHeal - rec.heightAtStart;
        // heal
        const tHeal = performance.now();
        switch (step.kind) {
          case 'kill':
          case 'wipe':
          case 'restart':
            await start(target);
            break;
          case 'pause':
            process.kill(pid, 'SIGCONT');
            break;
          case 'cut':
            lab!.healLinks(step.target);
            break;
        }
        // checks
        const H = rec.heightAtHeal;
        if (iso?.verdict === 'leaked') fail(`cut leaked: ${target} went from ${iso.mid} to ${iso.atEnd} while cut off (the others from ${iso.othersMid} to ${iso.othersEnd})`);
        rec.healMs = Math.round(performance.now() - tHeal);
        const tHealed = performance.now();
        const resumed = await waitUntil(async () => (await maxHeight(target)) > H, boundMs);
        rec.resumeMs = resumed === null ? null : Math.round(performance.now() - tHealed);
        if (resumed === null) fail(`no block above ${H} within ${boundMs} ms of the heal`);
        const caught = await waitUntil(async () => ((await heightOf(target)) ?? -1) > H, Math.max(0, boundMs - (performance.now() - tHealed)));
        rec.catchUpMs = caught === null ? null : Math.round(performance.now() - tHealed);
        if (caught === null) fail(`${target} not above ${H} within ${boundMs} ms of the heal`);
        if (rec.violations.length === 0) {
          try {
            rec.checkedHeights = await checkAgreement();
          } catch (e) {
            fail((e as Error).message);
          }
          const pendingOld = await waitUntil(async () => {
            await load!.refreshFinalized(url(names[0]));
            return load!.unfinalizedBefore(loadClockAtStart).length === 0;
          }, boundMs);
          if (pendingOld === null) fail(`${load.unfinalizedBefore(loadClockAtStart).length} txs accepted before the perturbation still not finalized ${boundMs} ms after its checks began`);
        }
      } catch (e) {
        fail(`runner: ${(e as Error).message}`);
        // leave the testnet whole for the end checks
        try {
          if (step.kind === 'pause') process.kill(pid, 'SIGCONT');
          if (step.kind === 'cut' && lab!.isCut(step.target)) lab!.healLinks(step.target);
        } catch {
          /* the end checks will say what is wrong */
        }
      }
      rec.longestBlockGapMs = longestGap(stamps, rec.heightAtStart, agreedUpTo);
      const ds = votes.doubleSigns();
      if (ds.length > 0) fail(`double sign: ${JSON.stringify(ds)}`);
      rec.txsFinalizedSoFar = [...load.txs.values()].filter((x) => x.finalizedAt !== null).length;
      perturbations.push(rec);
      log(`chaos #${index} ${step.kind.padEnd(7)} ${target.padEnd(10)} fault ${(step.faultMs / 1000).toFixed(1)} s, ${rec.blocksDuringFault} blocks meanwhile; healed in ${rec.healMs} ms; longest block gap ${rec.longestBlockGapMs} ms; resumed ${rec.resumeMs} ms, caught up ${rec.catchUpMs} ms; agreed to ${agreedUpTo}; ${rec.txsFinalizedSoFar}/${load.txs.size} txs final${rec.isolated ? `; isolation ${rec.isolated.verdict} (it ${rec.isolated.mid}→${rec.isolated.atEnd}, others ${rec.isolated.othersMid}→${rec.isolated.othersEnd})` : ''}${rec.violations.length ? `; VIOLATION ${rec.violations.join('; ')}` : ''}`);
      if (violations.length === 0) await sleep(step.restMs); // the schedule's quiet time between faults
    }

    // ---- the end: stop the load, every accepted tx must be finalized
    await load.stop();
    const drained = await waitUntil(async () => (await load!.refreshFinalized(url(names[0]))) === 0, boundMs * 2);
    if (drained === null) violations.push(`end: ${[...load.txs.values()].filter((x) => x.finalizedAt === null).length} accepted txs not finalized within ${2 * boundMs} ms of the load stopping`);
    // every node at the same head, then every height compared
    const top = await maxHeight();
    if ((await waitUntil(async () => Object.values(await heights()).every((h) => h !== null && h >= top), boundMs)) === null) violations.push(`end: not every node reached height ${top}`);
    try {
      await checkAgreement();
    } catch (e) {
      violations.push(`end: ${(e as Error).message}`);
    }
    finalHeight = agreedUpTo;
    const txEnd = await t.rpcOf(names[0]).call<{ txSum: number; failedTxSum: number }>('getTotalTransactionCount');
    const finalized = [...load.txs.values()].filter((x) => x.finalizedAt !== null).length;
    const chainTxDelta = txEnd.txSum - txBase.txSum;
    if (chainTxDelta !== finalized) violations.push(`end: the chain holds ${chainTxDelta} new txs, the client saw ${finalized} of its own finalized`);
    const ds = votes.doubleSigns();
    if (ds.length > 0 && !violations.some((v) => v.includes('double sign'))) violations.push(`double sign: ${JSON.stringify(ds)}`);

    const resumes = perturbations.map((p) => p.resumeMs).filter((x): x is number => x !== null);
    const catchUps = perturbations.map((p) => p.catchUpMs).filter((x): x is number => x !== null);
    const lost = [...load.txs.values()].filter((x) => x.finalizedAt === null);
    const report: ChaosReport = {
      seed: o.seed,
      durationS: o.durationS,
      rate,
      recoveryBoundS: boundMs / 1000,
      netns: !!lab,
      kinds: [...kinds],
      nodes: names,
      startedAt: new Date(started).toISOString(),
      wallS: Math.round((Date.now() - started) / 1000),
      perturbations,
      survived: perturbations.filter((p) => p.violations.length === 0).length,
      byKind: Object.fromEntries(kinds.map((k) => {
        const ps = perturbations.filter((p) => p.kind === k);
        const worst = (xs: (number | null)[]) => (xs.some((x) => x !== null) ? Math.max(...xs.filter((x): x is number => x !== null)) : null);
        return [k, { count: ps.length, worstCatchUpMs: worst(ps.map((p) => p.catchUpMs)), longestBlockGapMs: worst(ps.map((p) => p.longestBlockGapMs)) }];
      })),
      recovery: {
        longestBlockGapMs: longestGap(stamps, 1, agreedUpTo),
        worstResumeMs: resumes.length ? Math.max(...resumes) : null,
        worstCatchUpMs: catchUps.length ? Math.max(...catchUps) : null,
        meanResumeMs: resumes.length ? Math.round(resumes.reduce((a, b) => a + b, 0) / resumes.length) : null,
      },
      txs: {
        accepted: load.txs.size, finalized, lost: lost.length, lostHashes: lost.slice(0, 50).map((x) => x.hash), chainTxDelta,
        failedOnChain: txEnd.failedTxSum - txBase.failedTxSum, rejected: load.counters.rejected,
        unreachable: load.counters.unreachable, resent: load.counters.resent, busy: load.counters.busy,
      },
      chain: { finalHeight, heightsCompared: agreedUpTo },
      doubleSigns: ds,
      listener: {
        messages: votes.stats.messages, votes: votes.stats.votes, badSignature: votes.stats.badSignature, malformed: votes.stats.malformed,
        votesBySealer: Object.fromEntries(sealerNames.map((n, i) => [n, votes.stats.bySealer[i]])),
      },
      violations,
      ok: violations.length === 0,
    };
    if (o.out) {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, JSON.stringify(report, null, 2) + '\n');
    }
    if (!report.ok) {
      if (o.out) for (const n of names) writeFileSync(`${o.out}.${n}.log`, t.log(n));
      log(`chaos: VIOLATIONS${o.out ? ` (node logs next to ${o.out})` : ''}:\n  ${violations.join('\n  ')}`);
      for (const n of names) log(`----- ${n} (last 30 log lines)\n${t.log(n).trim().split('\n').slice(-30).join('\n')}`);
    }
    return report;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (load) await load.stop().catch(() => {});
    await listener?.stop().catch(() => {});
    for (const n of names) expectedExit.add(n);
    // a paused node must get SIGCONT before SIGTERM could matter; stop() uses SIGKILL
    await t.stop().catch(() => {});
    lab?.teardown();
  }
}

