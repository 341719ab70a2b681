import { sha256 } from '../../src/crypto/hash.ts';
import { addressBytes, keyPairFromLabel, sign, type KeyPair } from '../../src/crypto/keys.ts';
import { buildBlock, decodeBlock, type DecodedBlock } from '../../src/chain/block.ts';
import { buildCertificate, verifyCertificate, voteBytes } from '../../src/chain/certificate.ts';
import { SealerSet } from '../../src/chain/sealers.ts';
import { decodeTx, TxVerifier, type SignedTx } from '../../src/chain/tx.ts';
import { TxCodec } from '../../src/codec/chain.ts';
import type { ChainParams, CommitCertificate } from '../../src/codec/types.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, payloadPosition, type ConsensusMessage, type ConsensusPayload } from '../../src/codec/consensus.ts';
import { PbftEngine, signedBytes } from '../../src/consensus/engine.ts';
import type { EngineInput, EngineOutput, Mutant } from '../../src/consensus/types.ts';
import { describeWalRecord, walRecordHeight } from '../../src/consensus/wal.ts';
import { amnesicHeightOf, guardDecide, guardItemOf, type GuardState } from '../../src/consensus/guard.ts';
import { compareBytes, toHex, utf8 } from '../../src/util/bytes.ts';
import { CompactProposals, type Ledger, type LedgerOutput } from '../../src/ledger/index.ts';
import { gossipCheck } from '../../src/consensus/gossip.ts';
import { SignatureMemo } from '../../src/consensus/sigmemo.ts';
import type { TxPool } from '../../src/txpool/pool.ts';
import { EventQueue, Prng } from './prng.ts';
import { SIM_CHAIN_ID, SIM_PARAMS, T0, memoVerify, workloadTx, nextWorkloadTx, junkTx, simChain, simCompanyKey, newDisk, newLedger, type SimDisk, type VerifyFn } from './ledger-node.ts';
import { signTx, type SignedTx as GovTx } from '../../src/chain/tx.ts';
import { GovAction } from '../../src/domain/governance.ts';
import { verify as realVerify } from '../../src/crypto/keys.ts';
import { NO_GENESIS } from '../../src/chain/tx.ts';
import { EvidenceReporter } from '../../src/node/evidence-reporter.ts';

export { SIM_PARAMS, T0 };

export const BYZ_KINDS = ['twins', 'equivocate', 'bad-votes', 'forged', 'non-sealer', 'wrong-block', 'future', 'silent', 'garbage', 'lock', 'split', 'sync', 'compact'] as const;
export type ByzKind = (typeof BYZ_KINDS)[number];

export interface NetModel {
  drop: number;
  dup: number;
  delayMin: number;
  delayMean: number;
}

/**
 * A sealer-set change of a governance run (docs/GOVERNANCE.md): the company proposes it (and
 * so passes it, 1 of 1) once the highest honest height reaches `atHeight`; faults may start at
 * the same moment, so that they straddle the change's effect height.
 */
export interface GovStep {
  action: 'add' | 'remove';
  /** The sealer node (sim-sealer-i) added or removed. */
  sealer: number;
  atHeight: number;
  crash?: { node: number; forMs: number };
  partition?: { groups: number[][]; forMs: number };
}

export interface GovPlan {
  /** Nodes sim-sealer-0…maxSealers−1 run from the start; the first n are the genesis sealers, the others wait to be voted in. */
  maxSealers: number;
  steps: GovStep[];
}

/** What a governance run did: each step's receipt, the sealer counts of the membership history, and per step whether the boundary was crossed as it should. */
export interface GovReport {
  receipts: { step: number; status: number | null; reason: string; height: number | null; effectiveAt: number }[];
  history: number[];
  /** Per step: an added sealer signed a certificate at or after the effect height; a removed one signed none there. */
  crossed: boolean[];
}

export interface SimConfig {
  scenario: string;
  n: number;
  seed: number;
  mutant?: Mutant;
  observers: number;
  /** Every honest node must finalize this many heights. */
  target: number;
  params: ChainParams;
  /** Network during the fault window; after it, `calm` applies. */
  net: NetModel;
  calm: NetModel;
  /** Virtual ms after start when faults stop (partitions heal, crashed nodes are back, loss ends). */
  faultsEnd: number;
  /** Liveness bound: virtual ms after faultsEnd by which every honest node reaches `target`. */
  livenessBound: number;
  /** Node ids in different groups cannot talk while active; nodes in no group talk to everyone. */
  partitions: { groups: number[][]; from: number; to: number }[];
  crashes: { node: number; at: number; restartAt: number }[];
  walCrash?: { node: number; write: number; before: boolean; torn: boolean; restartAfter: number };
  /**
   * Wiped data dir: `node` crashes right after signing its `proposal`-th PRE-PREPARE (before
   * the network carries it) and restarts `restartAfter` ms later with no chain, no WAL and a
   * fresh app: only its double-sign guard survives (unless `noGuard`, the test of the test).
   */
  wipeCrash?: { node: number; proposal: number; restartAfter: number };
  noGuard?: boolean;
  byzantine: { node: number; kind: ByzKind }[];
  /**
   * Lock test: honest COMMITs of view 0 reach only `node`, and only until it has finalized a
   * block; from then on it is cut off from everyone (so nobody can sync from it) until `until`.
   */
  commitsOnlyTo?: { node: number; until: number };
  skewMax: number;
  /**
   * Timers fire up to this many ms early, as Node's setTimeout does measured against
   * Date.now() (its clock is monotonic and rounded); drawn from a PRNG stream of its own.
   */
  timerEarlyMs?: number;
  /** Every sealer's block period (EngineOptions.blockPeriodMs; default 0), and the most txs each node's proposals carry, by node id (default SIM_BLOCK_TXS). */
  blockPeriodMs?: number;
  proposalMaxTxs?: number[];
  txEvery: number;
  /**
   * Mean ms between workload txs while faults are active (default: txEvery). Fewer txs in the
   * fault window keep runs that go past the heal cheap: cost grows with blocks, not with time.
   */
  faultTxEvery?: number;
  /** Real signature checks everywhere (bench); default: the memoized verifier. */
  realVerify?: boolean;
  /**
   * Idle start: the valid workload begins this many virtual ms after start (default 1). Until
   * then the chain must stay idle: the first valid tx must find every honest engine still at
   * view 0 and be finalized within one view timeout.
   */
  txStart?: number;
  /** Never-executable txs (nonce gaps, ledger-node.ts junkTx) put into every pool at start. */
  junkTxs?: number;
  /**
   * Honest sealers report equivocation on chain (src/node/evidence-reporter.ts, as a node does):
   * an evidence tx from the sealer's own account into its pool, gossiped to every other pool.
   * The run then checks that every evidence record on chain accuses a Byzantine sealer.
   */
  reportEvidence?: boolean;
  /** Sealer-set changes by governance during the run. */
  gov?: GovPlan;
  /**
   * Tx gossip loss: each workload tx misses each node's pool with this probability while the
   * faults are active (a compact proposal's receiver must then fetch it). Default 0.
   */
  txLoss?: number;
  /** Every node sends its proposals whole (no compact proposals): the fallback, and the figures before them. */
  fullProposals?: boolean;
}

export interface SimResult {
  violations: string[];
  /** Virtual ms from a height's first proposal to its first honest finalization. */
  latencies: number[];
  messages: number;
  bytes: number;
  blocks: number;
  steps: number;
  endTime: number;
  heights: number[];
  /** wal-crash: the kind of the record at the crash point, and whether it was durable. */
  walCrashAt: string | null;
  /**
   * The faults this run actually injected (not merely scheduled), by kind: `crash`, `restart`,
   * `wal-crash`, `partitioned` (transmissions a partition, a twin split or a withheld COMMIT
   * stopped), `dropped`, `duplicated`, `early-timer`, `byzantine` (messages a Byzantine node
   * sent that an honest engine would not have), `silent-leader` (heights whose view-0 leader
   * was a silent sealer), `byz-sync` (sync answers a Byzantine peer forged), `wipe` (a node
   * restarted with an empty data dir), `guard-refused` (messages the double-sign guard kept in),
   * and, with a block period, `period-wait` / `full-block` (view-0 proposals made when the period
   * ran out / at once because the pool held a full block: the policy at work, not faults).
   */
  faults: Record<string, number>;
  /** Equivocation evidence honest engines emitted (each checked: both signatures valid, same slot, two blocks, a Byzantine sender). */
  evidence: number;
  /** reportEvidence: evidence records in the committed state of the most advanced honest node at the end. */
  evidenceOnChain: number;
  /** The highest honest height when the faults stopped (null: the run ended before), and the height liveness then required. */
  healHeight: number | null;
  liveTarget: number;
  gov: GovReport | null;
}

interface SimNode {
  id: number;
  sealer: number;
  key: KeyPair | null;
  honest: boolean;
  byz: ByzKind | null;
  engine: PbftEngine | null;
  up: boolean;
  skew: number;
  timerGen: number;
  wal: Uint8Array[];
  walWrites: number;
  chain: { block: DecodedBlock; cert: CommitCertificate }[];
  /** Survives crashes: the committed state and the block store. */
  disk: SimDisk;
  /** While up: the real ledger over the disk, with a fresh pool and engine per start. */
  ledger: Ledger | null;
  pool: TxPool | null;
  /** While up: compact proposals over its pool (src/ledger/compact.ts), as the node's. */
  compact: CompactProposals | null;
  /** The ledger asked for a 'work' input (see Ledger onWork). */
  wake: boolean;
  /** reportEvidence: the node's evidence reporter (new per start, like the pool), and its calls waiting for the step to end. */
  reporter: EvidenceReporter | null;
  afterStep: (() => void)[];
  /** The double-sign guard (src/consensus/guard.ts), kept across crashes and wipes. */
  guard: GuardState | null;
  amnesic: number | null;
  proposals: number;
  byzState: { alt: Map<string, { orig: string; alt: DecodedBlock; altBytes: Uint8Array; halfB: Set<number> }>; counter: number };
}

type Ev =
  | { k: 'deliver'; to: number; bytes: Uint8Array }
  | { k: 'timer'; node: number; gen: number }
  | { k: 'tx'; i: number }
  | { k: 'pool'; node: number; i: number; junk?: boolean; gov?: boolean; bytes?: Uint8Array }
  | { k: 'crash'; node: number }
  | { k: 'restart'; node: number }
  | { k: 'sync'; node: number; blocks: { bytes: Uint8Array; cert: CommitCertificate }[] }
  | { k: 'tick'; node: number }
  /** A compact proposal's missing txs: ask peers[attempt] (the sender first), until the deadline. */
  | { k: 'fetch'; node: number; c: CompactProposals; key: string; ids: Uint8Array[]; peers: number[]; attempt: number; deadline: number }
  | { k: 'fetched'; node: number; c: CompactProposals; key: string; txs: Uint8Array[]; peers: number[]; attempt: number; deadline: number }
  | { k: 'heal' };

const sealerKeys = new Map<string, KeyPair>();
function sealerKey(i: number): KeyPair {
  const l = 'sim-sealer-' + i;
  let k = sealerKeys.get(l);
  if (!k) sealerKeys.set(l, (k = keyPairFromLabel(l)));
  return k;
}

const sealerSets = new Map<number, SealerSet>();
export function simSealers(n: number): SealerSet {
  let s = sealerSets.get(n);
  if (!s) {
    s = SealerSet.fromKeys(Array.from({ length: n }, (_, i) => ({ name: 'sealer-' + i, publicKey: sealerKey(i).publicKey, role: i === 0 ? ('proxy' as const) : ('company' as const) })));
    sealerSets.set(n, s);
  }
  return s;
}

export class Simulation {
  readonly cfg: SimConfig;
  readonly rng: Prng;
  private readonly timerRng: Prng;
  /** Tx gossip loss and the tx fetches of compact proposals (a stream of their own). */
  private readonly fetchRng: Prng;
  readonly sealers: SealerSet;
  readonly nodes: SimNode[] = [];
  readonly verifyFn: VerifyFn;
  private q = new EventQueue<Ev>();
  t = T0;
  private readonly violations: string[] = [];
  private decided = new Map<number, string>();
  private firstProposal = new Map<number, number>();
  private latencies: number[] = [];
  private votes = new Map<string, string>();
  private messages = 0;
  private bytes = 0;
  private steps = 0;
  private txCount = 0;
  private outsider: KeyPair | null = null;
  private walCrashAt: string | null = null;
  /** Hash of block 0 of this n-sealer chain. */
  private readonly genesisHash: Uint8Array;
  /** When the first valid tx was submitted (idle-start scenarios). */
  private firstTxAt: number | null = null;
  private readonly faults: Record<string, number> = {};
  /** Delays of evidence gossip (reportEvidence), apart from the scenario's PRNG. */
  private readonly evidenceRng: Prng;
  private evidence = 0;

  constructor(cfg: SimConfig) {
    this.cfg = cfg;
    this.rng = Prng.from(cfg.scenario, cfg.n, cfg.seed, cfg.mutant ?? '');
    this.timerRng = Prng.from('timer', cfg.scenario, cfg.n, cfg.seed, cfg.mutant ?? '');
    this.evidenceRng = Prng.from('evidence', cfg.scenario, cfg.n, cfg.seed, cfg.mutant ?? '');
    this.fetchRng = Prng.from('fetch', cfg.scenario, cfg.n, cfg.seed, cfg.mutant ?? '');
    this.sealers = simSealers(cfg.n);
    this.verifyFn = cfg.realVerify ? realVerify : memoVerify;
    this.genesisHash = simChain(cfg.n, !!cfg.gov).block0Hash;
    const byzOf = new Map(cfg.byzantine.map((b) => [b.node, b.kind]));
    const mk = (id: number, sealer: number, key: KeyPair | null, byz: ByzKind | null): SimNode => ({
      id,
      sealer,
      key,
      honest: byz === null,
      byz,
      engine: null,
      up: false,
      skew: cfg.skewMax > 0 ? this.rng.int(-cfg.skewMax, cfg.skewMax) : 0,
      timerGen: 0,
      wal: [],
      walWrites: 0,
      chain: [],
      disk: newDisk(cfg.n, !!cfg.gov),
      ledger: null,
      pool: null,
      compact: null,
      wake: false,
      reporter: null,
      afterStep: [],
      guard: null,
      amnesic: null,
      proposals: 0,
      byzState: { alt: new Map(), counter: 0 },
    });
    const sealerNodes = cfg.gov ? cfg.gov.maxSealers : cfg.n;
    for (let i = 0; i < sealerNodes; i++) this.nodes.push(mk(i, i, sealerKey(i), byzOf.get(i) ?? null));
    for (let o = 0; o < cfg.observers; o++) this.nodes.push(mk(sealerNodes + o, -1, null, null));
    for (const b of cfg.byzantine) {
      if (b.kind === 'twins') this.nodes.push(mk(this.nodes.length, b.node, sealerKey(b.node), 'twins'));
      if (b.kind === 'non-sealer') {
        this.outsider = keyPairFromLabel('sim-outsider');
        this.nodes.push(mk(this.nodes.length, -1, null, 'non-sealer'));
      }
    }
  }

  // ---------------------------------------------------------------- governance (docs/GOVERNANCE.md)

  /** The governance txs injected so far (re-sent to a restarted node's pool, as workload txs are). */
  private readonly govTxs: GovTx[] = [];
  private readonly govReceipts = new Map<string, { status: number; reason: string; height: number; effectiveAt: number }>();
  private readonly setCache = new Map<number, { rec: unknown; set: SealerSet }>();

  /** The sealer set of height h, from the chain (the most advanced honest node's committed membership); the genesis set without governance. */
  private setAt(h: number): SealerSet {
    if (!this.cfg.gov) return this.sealers;
    let best: SimNode | null = null;
    for (const nd of this.nodes) if (nd.honest && (!best || nd.disk.state.height > best.disk.state.height)) best = nd;
    const m = best?.disk.state.membershipAt(h);
    if (!m) return this.sealers;
    const hit = this.setCache.get(m.fromHeight);
    if (hit && hit.rec === m) return hit.set;
    const set = SealerSet.fromKeys(m.sealers.map((x) => ({ name: x.name, publicKey: Buffer.from(x.publicKey, 'hex'), role: x.role })));
    this.setCache.set(m.fromHeight, { rec: m, set });
    return set;
  }

  /** Injects the next governance step once the chain reaches its height, with the faults it brings. */
  private maybeGov(h: number): void {
    const plan = this.cfg.gov!;
    const i = this.govTxs.length;
    const step = plan.steps[i];
    if (!step || h < step.atHeight) return;
    const publicKey = sealerKey(step.sealer).publicKey;
    const tx = signTx(simCompanyKey(), SIM_CHAIN_ID, i, {
      kind: 'propose',
      propose: { action: step.action === 'add' ? GovAction.ADD_SEALER : GovAction.REMOVE_SEALER, address: new Uint8Array(0), publicKey, name: step.action === 'add' ? 'sealer-' + step.sealer : '' },
    });
    this.govTxs.push(tx);
    for (const nd of this.nodes) this.q.push(this.t + this.rng.int(1, 30), { k: 'pool', node: nd.id, i, gov: true });
    if (step.crash) {
      this.q.push(this.t + 1, { k: 'crash', node: step.crash.node });
      this.q.push(this.t + step.crash.forMs, { k: 'restart', node: step.crash.node });
    }
    if (step.partition) this.cfg.partitions.push({ groups: step.partition.groups, from: this.t - T0, to: this.t - T0 + step.partition.forMs });
  }

  private noteGovReceipts(block: DecodedBlock, receipts: readonly { txHash: Uint8Array; status: number; reason: string; proposal?: { effectiveAt?: number } | null }[]): void {
    for (const r of receipts) {
      const k = toHex(r.txHash);
      if (this.govReceipts.has(k) || !this.govTxs.some((t) => t.hashHex.endsWith(k))) continue;
      this.govReceipts.set(k, { status: r.status, reason: r.reason, height: block.header.height, effectiveAt: r.proposal?.effectiveAt ?? 0 });
    }
  }

  private govReport(): GovReport | null {
    const plan = this.cfg.gov;
    if (!plan) return null;
    let best: SimNode | null = null;
    for (const nd of this.nodes) if (nd.honest && (!best || nd.chain.length > best.chain.length)) best = nd;
    const receipts = plan.steps.map((_, step) => {
      const tx = this.govTxs[step];
      const r = tx ? this.govReceipts.get(tx.hashHex.replace(/^0x/, '')) : undefined;
      return { step, status: r?.status ?? null, reason: r?.reason ?? (tx ? 'not in a block' : 'never injected'), height: r?.height ?? null, effectiveAt: r?.effectiveAt ?? 0 };
    });
    const crossed = plan.steps.map((s, step) => {
      const e = receipts[step].effectiveAt;
      if (!best || !e) return false;
      const key = toHex(sealerKey(s.sealer).publicKey);
      let signed = false;
      for (const { block, cert } of best.chain) {
        const h = block.header.height;
        if (h < e) continue;
        const set = this.setAt(h);
        if (cert.seals.some((x) => toHex(set.sealers[x.sealer].publicKey) === key)) signed = true;
      }
      return s.action === 'add' ? signed : !signed && best.chain.length >= e;
    });
    return { receipts, history: best ? best.disk.state.membershipHistory().map((m) => m.sealers.length) : [], crossed };
  }

  // ---------------------------------------------------------------- running

  run(): SimResult {
    const cfg = this.cfg;
    for (const nd of this.nodes) {
      if (nd.byz === 'silent') continue;
      if (nd.byz === 'non-sealer' && nd.sealer === -1 && nd.id >= (cfg.gov ? cfg.gov.maxSealers : cfg.n) + cfg.observers) {
        this.q.push(this.t + this.rng.int(50, 300), { k: 'tick', node: nd.id });
        continue;
      }
      this.startNode(nd);
      if (nd.byz && ['forged', 'future', 'garbage', 'non-sealer'].includes(nd.byz)) this.q.push(this.t + this.rng.int(50, 300), { k: 'tick', node: nd.id });
    }
    for (const c of cfg.crashes) {
      this.q.push(T0 + c.at, { k: 'crash', node: c.node });
      this.q.push(T0 + c.restartAt, { k: 'restart', node: c.node });
    }
    this.q.push(T0 + cfg.faultsEnd, { k: 'heal' });
    this.q.push(this.t + (cfg.txStart ?? 1), { k: 'tx', i: 0 });
    for (let j = 0; j < (cfg.junkTxs ?? 0); j++) for (const nd of this.nodes) this.q.push(this.t + this.rng.int(1, 30), { k: 'pool', node: nd.id, i: j, junk: true });
    const deadline = T0 + cfg.faultsEnd + cfg.livenessBound;
    // Every run goes past the heal: liveness is judged only after the faults stopped, and
    // asks for progress made after it (two heights above the highest honest one at the heal),
    // so a chain that happened to reach the target before a fault fired proves nothing.
    let done = false;
    let healed = false;
    let healHeight = 0;
    let liveTarget = cfg.target;
    while (this.violations.length === 0) {
      const e = this.q.pop();
      if (!e) break;
      if (e.t > deadline) break;
      this.t = Math.max(this.t, e.t);
      this.handle(e.v);
      if (e.v.k === 'heal') {
        healed = true;
        healHeight = Math.max(0, ...this.honestNodes().map((nd) => nd.chain.length));
        liveTarget = Math.max(cfg.target, healHeight + 2);
      }
      if (healed && this.allReached(liveTarget)) {
        done = true;
        break;
      }
    }
    if (!done && this.violations.length === 0) {
      const lag = this.honestNodes().map((nd) => `node${nd.id}@${nd.chain.length}`).join(' ');
      this.violations.push(`liveness: not every honest node reached height ${liveTarget} (heal at height ${healHeight}) within ${cfg.livenessBound} ms after faults stopped (${lag})`);
    }
    const evidenceOnChain = this.cfg.reportEvidence ? this.checkEvidenceOnChain() : 0;
    return {
      violations: this.violations,
      latencies: this.latencies,
      messages: this.messages,
      bytes: this.bytes,
      blocks: Math.max(1, this.decided.size),
      steps: this.steps,
      endTime: this.t - T0,
      heights: this.nodes.map((nd) => nd.chain.length),
      walCrashAt: this.walCrashAt,
      faults: { ...this.faults },
      evidence: this.evidence,
      evidenceOnChain,
      healHeight: healed ? healHeight : null,
      liveTarget,
      gov: this.govReport(),
    };
  }

  private fault(kind: string, k = 1): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + k;
  }

  private honestNodes(): SimNode[] {
    return this.nodes.filter((nd) => nd.honest);
  }

  private allReached(target: number): boolean {
    for (const nd of this.nodes) if (nd.honest && nd.chain.length < target) return false;
    return true;
  }

  private faulty(): boolean {
    return this.t < T0 + this.cfg.faultsEnd;
  }

  private handle(e: Ev): void {
    switch (e.k) {
      case 'deliver': {
        const nd = this.nodes[e.to];
        if (nd.up && nd.engine) this.receive(nd, e.bytes);
        break;
      }
      case 'fetch':
        this.fetchStep(e);
        break;
      case 'fetched': {
        const nd = this.nodes[e.node];
        if (!nd.up || nd.compact !== e.c) break;
        const r = e.c.supply(e.key, e.txs);
        if (r.type === 'ready') this.drive(nd, { type: 'message', now: this.t + nd.skew, bytes: r.bytes, block: r.block });
        else if (r.type === 'missing') this.q.push(this.t, { k: 'fetch', node: nd.id, c: e.c, key: e.key, ids: r.ids, peers: e.peers, attempt: r.useful > 0 ? e.attempt : e.attempt + 1, deadline: e.deadline });
        else if (r.type === 'invalid') this.fault('compact-invalid');
        break;
      }
      case 'timer': {
        const nd = this.nodes[e.node];
        if (nd.up && nd.engine && e.gen === nd.timerGen) this.drive(nd, { type: 'timer', now: this.t + nd.skew });
        break;
      }
      case 'tx': {
        if (e.i === 0 && this.cfg.txStart !== undefined) this.checkIdle();
        workloadTx(e.i);
        for (const nd of this.nodes) this.q.push(this.t + this.rng.int(1, 30), { k: 'pool', node: nd.id, i: e.i });
        this.txCount++;
        const every = this.faulty() ? (this.cfg.faultTxEvery ?? this.cfg.txEvery) : this.cfg.txEvery;
        this.q.push(this.t + this.rng.int(Math.ceil(every / 2), every * 2), { k: 'tx', i: e.i + 1 });
        break;
      }
      case 'pool': {
        const nd = this.nodes[e.node];
        if (!nd.up || !nd.ledger || !nd.pool) break;
        if (!e.junk && !e.gov && !e.bytes && this.cfg.txLoss && this.faulty() && this.fetchRng.chance(this.cfg.txLoss)) {
          this.fault('tx-lost');
          break;
        }
        nd.pool.add(e.bytes ?? (e.gov ? this.govTxs[e.i] : e.junk ? junkTx(e.i) : workloadTx(e.i)));
        if (nd.wake) this.drive(nd, nd.ledger.workInput());
        break;
      }
      case 'crash':
        if (this.nodes[e.node].up) this.fault('crash');
        this.crash(this.nodes[e.node]);
        break;
      case 'restart': {
        const nd = this.nodes[e.node];
        if (!nd.up) {
          this.fault('restart');
          this.startNode(nd);
        }
        break;
      }
      case 'sync': {
        const nd = this.nodes[e.node];
        for (const b of e.blocks) {
          if (!nd.up || !nd.engine) break;
          this.drive(nd, { type: 'synced', now: this.t + nd.skew, block: b.bytes, certificate: b.cert });
        }
        break;
      }
      case 'tick':
        this.byzTick(this.nodes[e.node]);
        this.q.push(this.t + this.rng.int(100, 400), { k: 'tick', node: e.node });
        break;
      case 'heal':
        for (const nd of this.nodes) {
          if (nd.up || nd.byz === 'silent' || (nd.byz === 'non-sealer' && nd.sealer === -1)) continue;
          this.fault('restart');
          this.startNode(nd);
        }
        break;
    }
  }

  // ---------------------------------------------------------------- nodes

  private startNode(nd: SimNode): void {
    nd.up = true;
    nd.timerGen++;
    const parts = newLedger({
      n: this.cfg.n,
      gov: !!this.cfg.gov,
      disk: nd.disk,
      key: nd.key,
      params: this.cfg.params,
      mutant: this.cfg.mutant,
      blockPeriodMs: this.cfg.blockPeriodMs,
      proposalMaxTxs: this.cfg.proposalMaxTxs?.[nd.id],
      now: () => this.t + nd.skew,
      onWork: () => {
        nd.wake = true;
      },
      // with real crypto each node has its own memo, as a node process does (the engine keeps no cache)
      verify: this.cfg.realVerify ? new SignatureMemo(undefined, realVerify).verify : this.verifyFn,
      txVerifier: this.cfg.realVerify ? new TxVerifier() : undefined,
    });
    nd.ledger = parts.ledger;
    nd.pool = parts.pool;
    // as the node: only the leader's proposals of heights not yet decided are rebuilt and fetched for
    const wanted = (h: number, v: number, sender: number) => !!nd.engine && h >= nd.engine.status().height && this.setAt(h).leaderIndex(h, v) === sender;
    nd.compact = new CompactProposals({ chainId: SIM_CHAIN_ID, params: this.cfg.params, wanted }, parts.pool);
    nd.engine = parts.engine;
    nd.afterStep = [];
    nd.reporter =
      this.cfg.reportEvidence && nd.honest && nd.key
        ? new EvidenceReporter({
            key: nd.key,
            chainId: SIM_CHAIN_ID,
            genesisHash: NO_GENESIS,
            state: nd.disk.state,
            pool: parts.pool,
            // gossip: every other node's pool, after a network delay (its own PRNG: the scenario's draws stay as they were)
            gossip: (tx) => {
              for (const other of this.nodes) if (other.id !== nd.id) this.q.push(this.t + this.evidenceRng.int(1, 30), { k: 'pool', node: other.id, i: -1, bytes: tx.bytes });
            },
            sealersAt: (h) => this.setAt(h),
          })
        : null;
    // a restarted node's pool is empty, as a real node's: clients re-send their txs to it
    // (those already committed are refused as stale), or their later nonces would wait forever
    for (let i = 0; i < this.txCount; i++) this.q.push(this.t + 1, { k: 'pool', node: nd.id, i });
    for (let i = 0; i < this.govTxs.length; i++) this.q.push(this.t + 1, { k: 'pool', node: nd.id, i, gov: true });
    const top = nd.chain[nd.chain.length - 1];
    const head = top
      ? { height: top.block.header.height, hash: top.block.hash, timestamp: top.block.header.timestamp }
      : { height: 0, hash: this.genesisHash, timestamp: T0 - 1000 };
    nd.amnesic = amnesicHeightOf(nd.guard, head.height, nd.wal.map((r) => walRecordHeight(r)));
    this.drive(nd, { type: 'start', now: this.t + nd.skew, head, wal: [...nd.wal], pending: false });
  }

  private crash(nd: SimNode): void {
    if (!nd.up) return;
    nd.up = false;
    nd.ledger?.close(); // the pending execution is lost with the process; the committed state is the disk
    nd.ledger = null;
    nd.pool = null;
    nd.compact = null;
    nd.engine = null;
    nd.reporter = null;
    nd.afterStep = [];
    nd.timerGen++;
  }

  /**
   * Feeds one input through the node's ledger (which answers the engine's block requests
   * itself), applies the other outputs in order, then the 'work' input the ledger asked for.
   */
  private drive(nd: SimNode, first: EngineInput): void {
    const inputs: EngineInput[] = [first];
    while (inputs.length > 0) {
      const input = inputs.shift()!;
      const ledger = nd.ledger;
      if (!ledger || !nd.up) return;
      nd.wake = false;
      const sink = (o: LedgerOutput): boolean => {
        if (!nd.up) return false;
        switch (o.type) {
          case 'persist': {
            nd.walWrites++;
            const wc = this.cfg.walCrash;
            if (wc && wc.node === nd.id && wc.write === nd.walWrites) {
              this.walCrashAt = `${describeWalRecord(o.record)?.kind ?? '?'}/${wc.before ? (wc.torn ? 'torn' : 'lost') : 'durable'}`;
              this.fault('wal-crash');
              if (wc.before) {
                if (wc.torn) nd.wal.push(o.record.subarray(0, Math.max(1, o.record.length >> 1)));
              } else nd.wal.push(o.record);
              this.crash(nd);
              this.q.push(this.t + wc.restartAfter, { k: 'restart', node: nd.id });
              return false;
            }
            nd.wal.push(o.record);
            break;
          }
          case 'broadcast':
          case 'send': {
            const to = o.type === 'send' ? o.to : null;
            if (nd.honest && nd.key && !this.cfg.noGuard) {
              // the double-sign guard: durable before the message leaves, refuses conflicts
              const item = guardItemOf(o.bytes, this.cfg.gov ? (nd.engine?.status().sealerIndex ?? -1) : nd.sealer);
              const d = item ? guardDecide(nd.guard, item, nd.amnesic) : null;
              if (d && !d.ok) {
                this.fault('guard-refused');
                break;
              }
              if (d && d.changed) {
                nd.guard = d.next;
                if (nd.amnesic !== null && d.next.height > nd.amnesic) nd.amnesic = null;
              }
            }
            if (nd.honest) this.checkOwnMessage(nd, o.bytes);
            const wc = this.cfg.wipeCrash;
            if (wc && wc.node === nd.id && o.kind === 'prePrepare' && ++nd.proposals === wc.proposal) {
              // signed (and counted by the double-vote check), never transmitted: crash and wipe
              this.fault('wipe');
              this.crash(nd);
              nd.wal = [];
              nd.chain = [];
              nd.disk = newDisk(this.cfg.n, !!this.cfg.gov);
              this.q.push(this.t + wc.restartAfter, { k: 'restart', node: nd.id });
              return false;
            }
            if ((o.kind === 'prePrepare' || o.kind === 'newView') && !this.firstProposal.has(o.height)) this.firstProposal.set(o.height, this.t);
            if (this.cfg.blockPeriodMs && nd.honest && o.kind === 'prePrepare' && o.view === 0) {
              // the block period at work: a leader that waited it out (its timer), or one that did not wait, its pool holding a full block
              if (input.type === 'timer') this.fault('period-wait');
              else if (ledger.workInput().full) this.fault('full-block');
            }
            const toNodes = to === null ? null : this.cfg.gov && o.type === 'send' ? this.nodesOfKey(o.toKey) : this.nodesOfSealer(to);
            if (nd.byz) this.byzSend(nd, o.bytes, to, toNodes);
            else this.send(nd.id, this.wire(nd, o.bytes, o.kind), toNodes, o.kind, o.view);
            break;
          }
          case 'finalized':
            if (nd.reporter) nd.afterStep.push(() => nd.reporter?.onBlock());
            if (this.cfg.gov) this.noteGovReceipts(o.block, o.result.receipts);
            this.onFinalize(nd, o.block, o.certificate);
            nd.disk.write(o.block, o.result.stateRoot);
            if (nd.disk.writeErrors.length) this.violate(`node${nd.id}: ${nd.disk.writeErrors[0]}`);
            break;
          case 'set-timer': {
            nd.timerGen++;
            if (o.at !== null) {
              let fireAt = o.at - nd.skew;
              const early = this.cfg.timerEarlyMs ?? 0;
              if (early > 0 && fireAt - this.t >= 2 && this.timerRng.chance(0.5)) {
                fireAt -= this.timerRng.int(1, Math.min(early, Math.floor(fireAt - this.t) - 1));
                this.fault('early-timer');
              }
              this.q.push(Math.max(this.t, fireAt), { k: 'timer', node: nd.id, gen: nd.timerGen });
            }
            break;
          }
          case 'request-sync':
            this.requestSync(nd, o.fromHeight);
            break;
          case 'equivocation':
            if (nd.honest) this.checkEvidence(nd, o);
            // reported once the step is over (the pool must not change under the ledger's step)
            if (nd.reporter) nd.afterStep.push(() => nd.reporter?.report(o));
            break;
        }
        return true;
      };
      try {
        ledger.step(input, sink);
      } catch (e) {
        // the ledger refuses a finalized block that does not execute to its state root here
        return this.violate(`validity: node${nd.id} could not apply a finalized block: ${(e as Error).message}`);
      }
      this.steps++;
      if (nd.up && nd.ledger === ledger) for (const f of nd.afterStep.splice(0)) f();
      if (nd.wake && nd.up && nd.ledger === ledger) inputs.push(ledger.workInput());
    }
  }

  private nodesOfKey(key: Uint8Array): number[] {
    const hex = toHex(key);
    return this.nodes.filter((nd) => nd.key && toHex(nd.key.publicKey) === hex).map((nd) => nd.id);
  }

  /** What an honest node puts on the wire: its proposals compact (header + tx ids), as the node does. */
  private wire(nd: SimNode, bytes: Uint8Array, kind: string): Uint8Array {
    if (this.cfg.fullProposals || !nd.compact) return bytes;
    return nd.compact.compact(bytes, kind as Parameters<CompactProposals['compact']>[1]);
  }

  /**
   * A message arrives, as at the node's gossip boundary (node/proposals.ts): a compact proposal
   * that passes the boundary check is rebuilt from the pool, or waits while its missing txs are
   * fetched through the simulated network; everything else goes to the engine as it is.
   */
  private receive(nd: SimNode, bytes: Uint8Array): void {
    const c = nd.compact!;
    const env = ConsensusMessageCodec.decode(bytes);
    if (!env.ok || !env.value.compact || !gossipCheck(bytes, { chainId: SIM_CHAIN_ID, sealersAt: (h) => this.setAt(h), verify: this.verifyFn }).ok) {
      return this.drive(nd, { type: 'message', now: this.t + nd.skew, bytes });
    }
    const x = c.expand(bytes, env.value);
    if (x.type === 'ready') return this.drive(nd, { type: 'message', now: this.t + nd.skew, bytes, block: x.block });
    if (x.type === 'invalid') return this.fault('compact-invalid');
    if (x.type === 'full' || !x.fresh) return;
    this.fault('tx-fetch');
    const senders = this.nodesOfSealer(x.sender).filter((id) => id !== nd.id);
    const rest = this.fetchRng.shuffle(this.others(nd).filter((id) => !senders.includes(id)));
    const deadline = this.t + Math.max(300, Math.round(this.cfg.params.viewTimeoutMs * 1.5));
    this.fetchStep({ k: 'fetch', node: nd.id, c, key: x.key, ids: x.ids, peers: [...senders, ...rest], attempt: 0, deadline });
  }

  /** One fetch request: to peers[attempt] through the network model (lost: the next peer after a timeout), answered from its pool or recent blocks. */
  private fetchStep(e: Extract<Ev, { k: 'fetch' }>): void {
    const nd = this.nodes[e.node];
    if (!nd.up || nd.compact !== e.c) return;
    // the txs may have reached the pool meanwhile (the node looks again while it waits)
    const again = e.c.recheck(e.key);
    if (again.type === 'ready') return this.drive(nd, { type: 'message', now: this.t + nd.skew, bytes: again.bytes, block: again.block });
    if (again.type !== 'missing') return;
    e = { ...e, ids: again.ids };
    if (e.attempt >= e.peers.length || this.t >= e.deadline) {
      this.fault('fetch-abandoned');
      return e.c.abandon(e.key);
    }
    const net = this.faulty() ? this.cfg.net : this.cfg.calm;
    const peer = this.nodes[e.peers[e.attempt]];
    const next = { ...e, attempt: e.attempt + 1 };
    const FETCH_TIMEOUT = 200;
    this.messages++;
    this.bytes += 35 * e.ids.length;
    if (!peer.up || !peer.compact || this.blocked(nd.id, peer.id) || this.fetchRng.chance(net.drop) || this.fetchRng.chance(net.drop)) {
      this.fault('fetch-lost');
      this.q.push(Math.min(e.deadline, this.t + FETCH_TIMEOUT), { ...next, k: 'fetch' });
      return;
    }
    const txs = peer.byz === 'compact' ? this.byzServe(peer, e.ids) : peer.compact.serve(e.ids, 4 << 20);
    this.bytes += txs.reduce((a, t) => a + t.length + 3, 0);
    const rtt = 2 * net.delayMin + this.fetchRng.exp(2 * net.delayMean);
    this.q.push(this.t + rtt, { k: 'fetched', node: nd.id, c: e.c, key: e.key, txs, peers: e.peers, attempt: e.attempt, deadline: e.deadline });
  }

  /** A Byzantine fetch server: short answers, txs nobody asked for, undecodable bytes, too many entries. */
  private byzServe(peer: SimNode, ids: Uint8Array[]): Uint8Array[] {
    this.fault('byzantine');
    const r = this.fetchRng;
    const honest = peer.compact!.serve(ids, 4 << 20);
    switch (r.int(0, 3)) {
      case 0:
        return honest.slice(0, Math.floor(honest.length / 2)); // short
      case 1:
        return ids.map((_, i) => workloadTx(r.int(0, 40) + i).bytes); // the wrong txs
      case 2:
        return [r.bytes(r.int(1, 200)), ...honest.slice(1)]; // garbage in front
      default:
        return [...honest, ...honest, ...ids.map(() => r.bytes(64))]; // repeats and more than asked
    }
  }

  private nodesOfSealer(i: number): number[] {
    return this.nodes.filter((nd) => nd.sealer === i).map((nd) => nd.id);
  }

  private blocked(a: number, b: number): boolean {
    const co = this.cfg.commitsOnlyTo;
    if (co && this.t < T0 + co.until && (a === co.node || b === co.node) && this.nodes[co.node].chain.length > 0) return true;
    for (const p of this.cfg.partitions) {
      if (this.t < T0 + p.from || this.t >= T0 + p.to) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga >= 0 && gb >= 0 && ga !== gb) return true;
    }
    // twins: each twin talks to its own half of the sealers during the fault window
    if (this.faulty()) {
      const tw = this.twinSides(a, b);
      if (tw) return true;
    }
    return false;
  }

  private twinSides(a: number, b: number): boolean {
    for (const x of [a, b]) {
      const nd = this.nodes[x];
      if (nd.byz !== 'twins') continue;
      const other = x === a ? b : a;
      const isCopy = nd.id !== nd.sealer;
      const side = other % 2 === 0;
      if (isCopy ? side : !side) return true;
    }
    return false;
  }

  /** Transmits bytes from `from` to `to` (null: every other node) through the network model. */
  send(from: number, bytes: Uint8Array, to: number[] | null, kind?: string, view?: number): void {
    const net = this.faulty() ? this.cfg.net : this.cfg.calm;
    const targets = to ?? this.nodes.map((nd) => nd.id).filter((id) => id !== from);
    const co = this.cfg.commitsOnlyTo;
    // COMMITs of view 0 reach only co.node (until it has finalized), nobody else, until co.until
    const commitCut = !!co && kind === 'commit' && view === 0 && this.t < T0 + co.until;
    for (const id of targets) {
      if (id === from) continue;
      this.messages++;
      this.bytes += bytes.length;
      if (commitCut && (id !== co!.node || this.nodes[co!.node].chain.length > 0)) {
        this.fault('partitioned');
        continue;
      }
      if (this.blocked(from, id)) {
        this.fault('partitioned');
        continue;
      }
      if (this.rng.chance(net.drop)) {
        this.fault('dropped');
        continue;
      }
      const copies = this.rng.chance(net.dup) ? 2 : 1;
      if (copies === 2) this.fault('duplicated');
      for (let c = 0; c < copies; c++) {
        this.q.push(this.t + net.delayMin + this.rng.exp(net.delayMean), { k: 'deliver', to: id, bytes });
      }
    }
  }

  private requestSync(nd: SimNode, from: number): void {
    let best: SimNode | null = null;
    for (const p of this.nodes) {
      if (p.id === nd.id || !p.honest || !p.up || this.blocked(p.id, nd.id)) continue;
      if (p.chain.length >= from && (!best || p.chain.length > best.chain.length)) best = p;
    }
    const net = this.faulty() ? this.cfg.net : this.cfg.calm;
    // Byzantine sync servers answer first, with forged blocks and certificates
    for (const p of this.nodes) {
      if (p.byz !== 'sync' || !p.up || p.id === nd.id || this.blocked(p.id, nd.id)) continue;
      const forged = this.forgedSync(p, nd, from);
      if (forged) {
        this.fault('byz-sync');
        this.q.push(this.t + net.delayMin + this.rng.exp(net.delayMean), { k: 'sync', node: nd.id, blocks: [forged] });
      }
    }
    if (!best) return;
    if (this.rng.chance(net.drop)) return;
    const blocks = best.chain.slice(from - 1, from - 1 + 16).map((e) => ({ bytes: e.block.bytes, cert: e.cert }));
    this.q.push(this.t + 2 * net.delayMin + this.rng.exp(2 * net.delayMean), { k: 'sync', node: nd.id, blocks });
  }

  // ---------------------------------------------------------------- checks

  private violate(msg: string): void {
    this.violations.push(msg);
  }

  /** No honest double vote: every PREPARE/COMMIT and proposal signed by an honest key, ever. */
  private checkOwnMessage(nd: SimNode, bytes: Uint8Array): void {
    const e = ConsensusMessageCodec.decode(bytes);
    if (!e.ok) return this.violate(`node${nd.id} sent an undecodable message`);
    const p = ConsensusPayloadCodec.decode(e.value.payload);
    if (!p.ok) return this.violate(`node${nd.id} sent an undecodable payload`);
    const pos = payloadPosition(p.value);
    if (pos.kind === 'viewChange' || pos.kind === 'certificate') return;
    const k = `${pos.kind === 'newView' ? 'prePrepare' : pos.kind}:${pos.height}:${pos.view}:${e.value.sender}`;
    const h = toHex(pos.blockHash!);
    const prev = this.votes.get(k);
    if (prev === undefined) this.votes.set(k, h);
    else if (prev !== h) this.violate(`double vote: honest sealer ${e.value.sender} signed ${pos.kind} for two blocks at height ${pos.height} view ${pos.view}`);
  }

  /** Evidence must stand on its own: two valid signatures of the accused for two blocks at one (kind, height, view). */
  private checkEvidence(nd: SimNode, o: Extract<EngineOutput, { type: 'equivocation' }>): void {
    const hashes: string[] = [];
    for (const m of o.messages) {
      const e = ConsensusMessageCodec.decode(m);
      const p = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
      if (!e.ok || !p || !p.ok) return this.violate(`node${nd.id} emitted undecodable evidence`);
      const pos = payloadPosition(p.value);
      const msg = pos.kind === 'prepare' || pos.kind === 'commit' ? voteBytes(pos.kind, SIM_CHAIN_ID, pos.height, pos.view, pos.blockHash!) : signedBytes(e.value.payload);
      const pub = this.setAt(o.height).sealers[e.value.sender]?.publicKey;
      if (e.value.sender !== o.sender || pos.kind !== o.kind || pos.height !== o.height || pos.view !== o.view || !pub || !this.verifyFn(e.value.signature, msg, pub)) {
        return this.violate(`node${nd.id} emitted invalid evidence against sealer ${o.sender} (${o.kind} h=${o.height} v=${o.view})`);
      }
      hashes.push(toHex(pos.blockHash!));
    }
    if (hashes[0] === hashes[1]) return this.violate(`node${nd.id} emitted evidence of one block only against sealer ${o.sender}`);
    const accused = this.cfg.gov ? this.nodesOfKey(this.setAt(o.height).sealers[o.sender].publicKey).map((id) => this.nodes[id]) : [this.nodes[o.sender]];
    if (accused.some((x) => x?.honest)) return this.violate(`evidence against honest sealer ${o.sender} (node${nd.id})`);
    this.evidence++;
  }

  /**
   * Evidence on chain (reportEvidence): every record in an honest node's committed state accuses
   * a Byzantine sealer, once per offence; the count of the most advanced honest node's.
   */
  private checkEvidenceOnChain(): number {
    let best: SimNode | null = null;
    for (const nd of this.honestNodes()) if (!best || nd.disk.state.height > best.disk.state.height) best = nd;
    for (const nd of this.honestNodes()) {
      const seen = new Set<string>();
      for (const e of nd.disk.state.evidence()) {
        const accused = this.nodes.find((x) => x.sealer === e.sealerIndex && x.key?.address === e.sealer);
        if (!accused || accused.honest) this.violate(`evidence on chain against honest sealer ${e.sealerIndex} (node${nd.id}, evidence ${e.id})`);
        const k = `${e.sealer}/${e.height}/${e.view}/${e.kind}`;
        if (seen.has(k)) this.violate(`evidence recorded twice for one offence ${k} (node${nd.id})`);
        seen.add(k);
      }
    }
    return best ? best.disk.state.evidence().length : 0;
  }

  private onFinalize(nd: SimNode, block: DecodedBlock, cert: CommitCertificate): void {
    const h = block.header.height;
    if (!nd.honest) {
      nd.chain.push({ block, cert });
      return;
    }
    if (h !== nd.chain.length + 1) return this.violate(`node${nd.id} finalized height ${h} after ${nd.chain.length}`);
    const parent = nd.chain.length ? nd.chain[nd.chain.length - 1].block.hash : this.genesisHash;
    if (toHex(block.header.parentHash) !== toHex(parent)) return this.violate(`validity: node${nd.id} finalized a block with a wrong parent at height ${h}`);
    const vc = verifyCertificate(cert, { chainId: SIM_CHAIN_ID, height: h, blockHash: block.hash }, this.setAt(h), this.verifyFn);
    if (!vc.ok) return this.violate(`validity: node${nd.id} finalized height ${h} with an invalid certificate (${vc.error.code})`);
    // the ledger has re-executed it and checked its state root (drive reports a refusal)
    if (block.txs.length === 0) return this.violate(`validity: node${nd.id} finalized an empty block at height ${h}`);
    const d = this.decided.get(h);
    if (d === undefined) {
      this.decided.set(h, block.hashHex);
      if (this.nodes[this.sealers.leaderIndex(h, 0)]?.byz === 'silent') this.fault('silent-leader');
      if (this.cfg.gov) this.maybeGov(h);
      const p = this.firstProposal.get(h);
      if (p !== undefined) this.latencies.push(this.t - p);
      if (h === 1 && this.firstTxAt !== null && this.t - this.firstTxAt > this.cfg.params.viewTimeoutMs) {
        return this.violate(`liveness: the first valid tx after the idle start took ${this.t - this.firstTxAt} ms to finalize (more than a view timeout)`);
      }
    } else if (d !== block.hashHex) {
      return this.violate(`agreement: height ${h} finalized as ${d.slice(0, 18)} and ${block.hashHex.slice(0, 18)} (node${nd.id})`);
    }
    nd.chain.push({ block, cert });
  }

  /** Idle start: when the first valid tx is submitted, no honest engine may have left view 0 or finalized anything. */
  private checkIdle(): void {
    this.firstTxAt = this.t;
    for (const nd of this.honestNodes()) {
      const st = nd.engine?.status();
      if (st && (st.view !== 0 || st.height !== 1)) this.violate(`liveness: node${nd.id} is at height ${st.height} view ${st.view} after the idle start (junk txs only: expected height 1 view 0)`);
    }
  }

  // ---------------------------------------------------------------- Byzantine behaviour

  private signAs(key: KeyPair, sender: number, p: ConsensusPayload, block: Uint8Array = new Uint8Array(0)): Uint8Array {
    const payload = ConsensusPayloadCodec.encode(p);
    const pos = payloadPosition(p);
    const msg =
      pos.kind === 'prepare' || pos.kind === 'commit' ? voteBytes(pos.kind, SIM_CHAIN_ID, pos.height, pos.view, pos.blockHash!) : signedBytes(payload);
    return ConsensusMessageCodec.encode({ payload, sender, signature: sign(msg, key.secretKey), block });
  }

  private others(nd: SimNode): number[] {
    return this.nodes.map((x) => x.id).filter((id) => id !== nd.id);
  }

  private alternative(nd: SimNode, b: DecodedBlock, mode: 'timestamp' | 'parent' | 'root' | 'tx' | 'future-ts' | 'empty'): DecodedBlock {
    const h = b.header;
    const fields = { chainId: h.chainId, height: h.height, parentHash: h.parentHash, timestamp: h.timestamp, proposer: h.proposer, view: h.view, stateRoot: h.stateRoot, receiptRoot: h.receiptRoot };
    let txs: readonly SignedTx[] = b.txs;
    switch (mode) {
      case 'timestamp':
        fields.timestamp += 1;
        break;
      case 'parent':
        fields.parentHash = this.rng.bytes(32);
        break;
      case 'root':
        fields.stateRoot = this.rng.bytes(32);
        break;
      case 'future-ts':
        fields.timestamp += 3_600_000;
        break;
      case 'empty':
        txs = [];
        break;
      case 'tx': {
        const t = b.txs[0];
        const sig = new Uint8Array(t.tx.signature);
        sig[5] ^= 0x40;
        const bad = decodeTx(TxCodec.encode({ ...t.tx, signature: sig }), { chainId: SIM_CHAIN_ID, maxTxBytes: 1 << 20 });
        if (bad.ok) txs = [bad.value, ...b.txs.slice(1)];
        break;
      }
    }
    return buildBlock(fields, txs);
  }

  /** Outgoing messages of a Byzantine sealer's (honest) engine, distorted by its kind. */
  private byzSend(nd: SimNode, bytes: Uint8Array, to: number | null, toNodes: number[] | null = null): void {
    const targets = to === null ? this.others(nd) : (toNodes ?? this.nodesOfSealer(to));
    const e = ConsensusMessageCodec.decode(bytes);
    const p = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
    if (!e.ok || !p || !p.ok || !nd.key) return this.send(nd.id, bytes, targets);
    const pos = payloadPosition(p.value);
    const st = nd.byzState;
    const halfB = new Set(targets.filter((id) => id % 2 === 1));
    const halfA = targets.filter((id) => !halfB.has(id));
    switch (nd.byz) {
      case 'lock':
        return this.byzLock(nd, e.value, p.value, bytes, targets);
      case 'equivocate':
      case 'split':
      case 'wrong-block': {
        if ((pos.kind === 'prePrepare' || pos.kind === 'newView') && e.value.block.length > 0) {
          const blk = this.blockOf(e.value.block);
          if (blk && (pos.kind === 'prePrepare' || blk.header.view === pos.view)) {
            const modes = ['parent', 'root', 'tx', 'future-ts', 'empty'] as const;
            // split: the twin block is ground to a lower hash than the real one, so that a
            // view change breaking the tie between two prepared certificates picks it
            const alt = nd.byz === 'split' ? this.lowerTwin(nd, blk) : this.alternative(nd, blk, nd.byz === 'equivocate' ? 'timestamp' : modes[st.counter++ % modes.length]);
            const altP: ConsensusPayload =
              pos.kind === 'prePrepare'
                ? { prePrepare: { ...p.value.prePrepare!, blockHash: alt.hash } }
                : { newView: { ...p.value.newView!, blockHash: alt.hash } };
            const altBytes = this.signAs(nd.key, nd.sealer, altP, alt.bytes);
            this.fault('byzantine');
            if (nd.byz === 'wrong-block') return this.send(nd.id, altBytes, targets);
            if (nd.byz === 'split') {
              // the twin goes to the smaller half only: f+1 PREPAREs for it at most
              halfB.clear();
              for (const id of targets.filter((x) => x % 2 === 1).slice(0, Math.max(1, this.sealers.f))) halfB.add(id);
              halfA.length = 0;
              halfA.push(...targets.filter((x) => !halfB.has(x)));
            }
            st.alt.set(`${pos.height}/${pos.view}`, { orig: toHex(pos.blockHash!), alt, altBytes, halfB });
            this.send(nd.id, bytes, halfA);
            this.send(nd.id, altBytes, [...halfB]);
            return;
          }
        }
        if ((pos.kind === 'prepare' || pos.kind === 'commit') && (nd.byz === 'equivocate' || nd.byz === 'split')) {
          const a = st.alt.get(`${pos.height}/${pos.view}`);
          if (a) {
            const altVote = this.signAs(nd.key, nd.sealer, { [pos.kind]: { height: pos.height, view: pos.view, blockHash: a.alt.hash } } as ConsensusPayload);
            this.fault('byzantine');
            this.send(nd.id, bytes, targets.filter((id) => !a.halfB.has(id)));
            this.send(nd.id, altVote, targets.filter((id) => a.halfB.has(id)));
            return;
          }
        }
        return this.send(nd.id, bytes, targets);
      }
      case 'compact': {
        // its proposals go out compact, in turn: listing a tx id nobody holds; a block with a
        // badly signed tx (its id is real, only this sealer serves it); or honest ids while its
        // fetch server answers wrong (byzServe)
        if ((pos.kind === 'prePrepare' || pos.kind === 'newView') && e.value.block.length > 0) {
          const blk = this.blockOf(e.value.block);
          if (blk && (pos.kind === 'prePrepare' || blk.header.view === pos.view)) {
            const mode = st.counter++ % 3;
            let out: Uint8Array;
            if (mode === 1) {
              const alt = this.alternative(nd, blk, 'tx');
              const altP: ConsensusPayload = pos.kind === 'prePrepare' ? { prePrepare: { ...p.value.prePrepare!, blockHash: alt.hash } } : { newView: { ...p.value.newView!, blockHash: alt.hash } };
              out = nd.compact!.compact(this.signAs(nd.key, nd.sealer, altP, alt.bytes), pos.kind);
            } else {
              out = nd.compact!.compact(bytes, pos.kind);
              if (mode === 0) {
                const c = ConsensusMessageCodec.decode(out);
                if (c.ok && c.value.compact) {
                  const ids = [...c.value.compact.txIds];
                  ids[this.rng.int(0, ids.length - 1)] = this.rng.bytes(32);
                  out = ConsensusMessageCodec.encode({ ...c.value, compact: { header: c.value.compact.header, txIds: ids } });
                }
              }
            }
            this.fault('byzantine');
            return this.send(nd.id, out, targets);
          }
        }
        return this.send(nd.id, bytes, targets);
      }
      case 'bad-votes': {
        if (pos.kind === 'prepare' || pos.kind === 'commit') {
          const rnd = this.rng.bytes(32);
          const conflicting = this.signAs(nd.key, nd.sealer, { [pos.kind]: { height: pos.height, view: pos.view, blockHash: rnd } } as ConsensusPayload);
          const other = pos.kind === 'prepare' ? 'commit' : 'prepare';
          const unknown = this.signAs(nd.key, nd.sealer, { [other]: { height: pos.height, view: pos.view + this.rng.int(0, 2), blockHash: this.rng.bytes(32) } } as ConsensusPayload);
          this.fault('byzantine', 2);
          // the two halves get conflicting votes, and one node of the first half gets both
          this.send(nd.id, bytes, halfA);
          this.send(nd.id, conflicting, [...halfB, ...halfA.slice(0, 1)]);
          this.send(nd.id, unknown, targets);
          return;
        }
        return this.send(nd.id, bytes, targets);
      }
      case 'forged': {
        // the real message, plus copies re-attributed to other sealers and with flipped signature bits
        this.send(nd.id, bytes, targets);
        this.fault('byzantine', 2);
        const victim = (nd.sealer + 1 + this.rng.int(0, this.cfg.n - 2)) % this.cfg.n;
        this.send(nd.id, ConsensusMessageCodec.encode({ ...e.value, sender: victim }), targets);
        const sig = new Uint8Array(e.value.signature);
        sig[this.rng.int(0, 63)] ^= 1 << this.rng.int(0, 7);
        this.send(nd.id, ConsensusMessageCodec.encode({ ...e.value, signature: sig }), targets);
        return;
      }
      default:
        // a twin's copy: every message it sends is the second voice of one key
        if (nd.byz === 'twins' && nd.id !== nd.sealer) this.fault('byzantine');
        return this.send(nd.id, bytes, targets);
    }
  }

  /** The same block with a later timestamp and a hash below the original's (a few tries). */
  private lowerTwin(nd: SimNode, b: DecodedBlock): DecodedBlock {
    const h = b.header;
    for (let k = 1; k < 256; k++) {
      const alt = buildBlock({ chainId: h.chainId, height: h.height, parentHash: h.parentHash, timestamp: h.timestamp + k, proposer: h.proposer, view: h.view, stateRoot: h.stateRoot, receiptRoot: h.receiptRoot }, b.txs);
      if (compareBytes(alt.hash, b.hash) < 0) return alt;
    }
    return this.alternative(nd, b, 'timestamp');
  }

  /**
   * A Byzantine leader of a view >= 1 overrides the lock it was given: its NEW-VIEW keeps a
   * valid justification but carries another block, and it votes for that block. Variants by
   * seed: 'fresh' (a fresh block of the view, ignoring the prepared certificates),
   * 'dup-cert' (its own VIEW-CHANGE swapped for one with a crafted certificate for a lower-
   * hash twin block, its one PREPARE signature repeated up to a quorum), 'outsider-cert' (the
   * same with signatures by a non-sealer key, under sealer indices and out-of-range ones).
   */
  private byzLock(nd: SimNode, env: ConsensusMessage, p: ConsensusPayload, bytes: Uint8Array, targets: number[]): void {
    const key = nd.key!;
    const pos = payloadPosition(p);
    const st = nd.byzState;
    const slot = `${pos.height}/${pos.view}`;
    if (pos.kind === 'newView' && env.block.length > 0) {
      let a = st.alt.get(slot);
      if (!a) {
        const blk = this.blockOf(env.block);
        const nv = p.newView!;
        if (!blk) return this.send(nd.id, bytes, targets);
        const variant = (['fresh', 'dup-cert', 'outsider-cert'] as const)[this.cfg.seed % 3];
        let alt: DecodedBlock | null;
        let viewChanges = nv.viewChanges;
        if (variant === 'fresh') {
          alt = nd.ledger ? nd.ledger.build(pos.height, pos.view, blk.header.parentHash, Math.max(blk.header.timestamp + 1, this.t + nd.skew - 50)) : null;
          if (alt && alt.hashHex === blk.hashHex) alt = null;
        } else {
          alt = this.lowerTwin(nd, blk);
          const certView = Math.max(0, pos.view - 1);
          const sig = sign(voteBytes('prepare', SIM_CHAIN_ID, pos.height, certView, alt.hash), key.secretKey);
          const q = this.sealers.quorum;
          const outsider = keyPairFromLabel('sim-outsider');
          const osig = sign(voteBytes('prepare', SIM_CHAIN_ID, pos.height, certView, alt.hash), outsider.secretKey);
          const prepares =
            variant === 'dup-cert'
              ? Array.from({ length: q }, () => ({ sealer: nd.sealer, signature: sig }))
              : [{ sealer: nd.sealer, signature: sig }, ...Array.from({ length: q - 1 }, (_, i) => ({ sealer: i % 2 === 0 ? (nd.sealer + 1 + i) % this.cfg.n : this.cfg.n + i, signature: osig }))];
          const vcPayload = ConsensusPayloadCodec.encode({ viewChange: { height: pos.height, newView: pos.view, prepared: { view: certView, blockHash: alt.hash, prepares } } });
          const crafted = ConsensusMessageCodec.encode({ payload: vcPayload, sender: nd.sealer, signature: sign(signedBytes(vcPayload), key.secretKey), block: new Uint8Array(0) });
          const others = viewChanges.filter((raw) => {
            const d = ConsensusMessageCodec.decode(raw);
            return !(d.ok && d.value.sender === nd.sealer);
          });
          viewChanges = [...others.slice(0, this.sealers.quorum - 1), crafted];
        }
        if (!alt) return this.send(nd.id, bytes, targets);
        const altBytes = this.signAs(key, nd.sealer, { newView: { ...nv, viewChanges, blockHash: alt.hash } }, alt.bytes);
        a = { orig: toHex(pos.blockHash!), alt, altBytes, halfB: new Set() };
        st.alt.set(slot, a);
      }
      this.fault('byzantine');
      return this.send(nd.id, a.altBytes, targets);
    }
    if (pos.kind === 'prepare' || pos.kind === 'commit') {
      const a = st.alt.get(slot);
      if (a) {
        // vote for the override, PREPARE and COMMIT at once
        this.fault('byzantine', 2);
        this.send(nd.id, this.signAs(key, nd.sealer, { prepare: { height: pos.height, view: pos.view, blockHash: a.alt.hash } }), targets);
        this.send(nd.id, this.signAs(key, nd.sealer, { commit: { height: pos.height, view: pos.view, blockHash: a.alt.hash } }), targets);
        return;
      }
    }
    this.send(nd.id, bytes, targets);
  }

  /**
   * A Byzantine sync server's answer to `nd` asking from height `from`: a block on nd's head
   * with a forged, short (too few seals), wrong-height (the real certificate of another
   * height) or wrong-chain (a full quorum of seals, signed for another chain id) certificate.
   */
  private forgedSync(byz: SimNode, nd: SimNode, from: number): { bytes: Uint8Array; cert: CommitCertificate } | null {
    if (from !== nd.chain.length + 1) return null;
    const parent = nd.chain.length ? nd.chain[nd.chain.length - 1].block : null;
    const r = this.rng;
    if (!nd.ledger) return null;
    const txs = [nextWorkloadTx(nd.ledger.state, r.int(0, 7))];
    const header = {
      chainId: SIM_CHAIN_ID,
      height: from,
      parentHash: parent ? parent.hash : this.genesisHash,
      timestamp: (parent ? parent.header.timestamp : T0 - 1000) + r.int(1, 500),
      proposer: addressBytes(this.sealers.sealers[this.sealers.leaderIndex(from, 0)].publicKey),
      view: 0,
      stateRoot: new Uint8Array(32),
      receiptRoot: new Uint8Array(32),
    };
    // a block that executes to its roots on nd (the requester's real ledger): only its certificate is wrong
    const roots = nd.ledger.validate(buildBlock(header, txs));
    if (!roots.stateRoot) return null;
    const blk = buildBlock({ ...header, stateRoot: roots.stateRoot }, txs);
    const q = this.sealers.quorum;
    const seal = (chainId: string, s: number, height = from, hash = blk.hash) => ({ sealer: s, signature: sign(voteBytes('commit', chainId, height, 0, hash), sealerKey(s).secretKey) });
    const variant = (['forged', 'short', 'wrong-height', 'wrong-chain'] as const)[byz.byzState.counter++ % 4];
    let cert: CommitCertificate;
    switch (variant) {
      case 'forged':
        cert = buildCertificate(from, 0, blk.hash, Array.from({ length: q }, (_, s) => ({ sealer: s, signature: r.bytes(64) })));
        break;
      case 'short':
        cert = buildCertificate(from, 0, blk.hash, [seal(SIM_CHAIN_ID, byz.sealer)]);
        break;
      case 'wrong-height':
        cert = buildCertificate(from + 1, 0, blk.hash, Array.from({ length: q }, (_, s) => seal(SIM_CHAIN_ID, s, from + 1)));
        break;
      default:
        cert = buildCertificate(from, 0, blk.hash, Array.from({ length: q }, (_, s) => seal(SIM_CHAIN_ID + '-other', s)));
    }
    return { bytes: blk.bytes, cert };
  }

  private blockOf(bytes: Uint8Array): DecodedBlock | null {
    const r = decodeBlock(bytes, { chainId: SIM_CHAIN_ID, params: this.cfg.params });
    return r.ok ? r.value : null;
  }

  /** Periodic injections of the Byzantine kinds that speak on their own. */
  private byzTick(nd: SimNode): void {
    const h = Math.max(1, ...this.nodes.filter((x) => x.honest).map((x) => x.chain.length + 1));
    const view = nd.engine ? nd.engine.status().view : 0;
    const targets = this.others(nd);
    const n = this.cfg.n;
    const r = this.rng;
    if (nd.byz === 'forged' || nd.byz === 'future' || nd.byz === 'garbage' || nd.byz === 'non-sealer') this.fault('byzantine');
    switch (nd.byz) {
      case 'forged': {
        // votes with random signatures attributed to honest sealers
        const victim = (nd.sealer + 1 + r.int(0, n - 2)) % n;
        const payload = ConsensusPayloadCodec.encode({ commit: { height: h, view, blockHash: r.bytes(32) } });
        this.send(nd.id, ConsensusMessageCodec.encode({ payload, sender: victim, signature: r.bytes(64), block: new Uint8Array(0) }), targets);
        const vc = ConsensusPayloadCodec.encode({ viewChange: { height: h, newView: view + 1 } });
        this.send(nd.id, ConsensusMessageCodec.encode({ payload: vc, sender: victim, signature: r.bytes(64), block: new Uint8Array(0) }), targets);
        break;
      }
      case 'future': {
        const key = nd.key!;
        const s = nd.sealer;
        this.send(nd.id, this.signAs(key, s, { viewChange: { height: h, newView: 2 ** 31 + r.int(0, 1000) } }), targets);
        this.send(nd.id, this.signAs(key, s, { prepare: { height: h, view: view + 1000, blockHash: r.bytes(32) } }), targets);
        this.send(nd.id, this.signAs(key, s, { commit: { height: h + 1_000_000, view: 0, blockHash: r.bytes(32) } }), targets);
        this.send(nd.id, this.signAs(key, s, { prepare: { height: h + r.int(1, 3), view: r.int(0, 5), blockHash: r.bytes(32) } }), targets);
        this.send(nd.id, this.signAs(key, s, { viewChange: { height: h, newView: view + r.int(2, 40) } }), targets);
        break;
      }
      case 'garbage': {
        this.send(nd.id, r.bytes(r.int(0, 300)), targets);
        const junkPayload = r.bytes(r.int(1, 80));
        this.send(nd.id, ConsensusMessageCodec.encode({ payload: junkPayload, sender: nd.sealer, signature: sign(signedBytes(junkPayload), nd.key!.secretKey), block: r.bytes(r.int(0, 50)) }), targets);
        const real = this.signAs(nd.key!, nd.sealer, { prepare: { height: h, view, blockHash: r.bytes(32) } });
        this.send(nd.id, real.subarray(0, r.int(1, real.length - 1)), targets);
        break;
      }
      case 'non-sealer': {
        const key = this.outsider!;
        const victim = r.int(0, n - 1);
        // well-signed by the outsider, attributed to a sealer (bad signature) or to an index outside the set
        this.send(nd.id, this.signAs(key, victim, { prepare: { height: h, view, blockHash: r.bytes(32) } }), targets);
        this.send(nd.id, this.signAs(key, n + r.int(0, 5), { commit: { height: h, view, blockHash: r.bytes(32) } }), targets);
        for (let i = 0; i <= this.sealers.f; i++) this.send(nd.id, this.signAs(key, (victim + i) % n, { viewChange: { height: h, newView: view + 3 } }), targets);
        const leader = this.sealers.leaderIndex(h, 0);
        const parent = this.nodes[0].chain.length >= h - 1 && h > 1 ? this.nodes[0].chain[h - 2].block.hash : this.genesisHash;
        const blk = buildBlock(
          { chainId: SIM_CHAIN_ID, height: h, parentHash: parent, timestamp: this.t, proposer: sha256(this.sealers.sealers[leader].publicKey).subarray(0, 20), view: 0, stateRoot: r.bytes(32), receiptRoot: new Uint8Array(32) },
          [workloadTx(r.int(0, 5))],
        );
        this.send(nd.id, this.signAs(key, leader, { prePrepare: { height: h, view: 0, blockHash: blk.hash } }, blk.bytes), targets);
        break;
      }
      default:
        break;
    }
  }
}
