import { sign, addressBytes } from '../crypto/keys.ts';
import type { KeyPair } from '../crypto/keys.ts';
import type { CommitCertificate, CommitSeal } from '../codec/types.ts';
import {
  ConsensusMessageCodec,
  ConsensusPayloadCodec,
  ConsensusWalRecordCodec,
  payloadPosition,
  signedBytes,
  type ConsensusKind,
  type ConsensusMessage,
  type ConsensusPayload,
  type PreparedCertificate,
  type ViewChange,
} from '../codec/consensus.ts';
import { decodeBlock, type DecodedBlock } from '../chain/block.ts';
import { buildCertificate, verifyCertificate, voteBytes, type VoteKind } from '../chain/certificate.ts';
import type { SealerSet } from '../chain/sealers.ts';
import { compareBytes, equalBytes, fromHex, toHex } from '../util/bytes.ts';
import { SignatureMemo, type VerifyFn } from './sigmemo.ts';
import type { EngineDeps, EngineInput, EngineOptions, EngineOutput, EngineStatus, Head, Phase, Verdict } from './types.ts';

export { CONSENSUS_SIGN_DOMAIN, signedBytes } from '../codec/consensus.ts';

interface Cert {
  view: number;
  hash: Uint8Array;
  hashHex: string;
  seals: CommitSeal[];
  block: DecodedBlock;
}

interface VcEntry {
  /** The signed envelope without its block attachment (what a NEW-VIEW carries). */
  stripped: Uint8Array;
  vc: ViewChange;
  block: DecodedBlock | null;
}

interface MyMsg {
  hashHex: string;
  bytes: Uint8Array;
}

/** Why a message was rejected or ignored (a `~` prefix means ignore): counted, see verdictCounts(). */
class Reject {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The own commit certificate is announced viewTimeoutMs / this after finalizing, unless every other sealer showed it finalized too. */
export const CERT_DELAY_DIVISOR = 8;

/**
 * PBFT (DESIGN §5) as a pure, deterministic state machine: step(input) → outputs.
 * No clock, no I/O, no randomness: see docs/CONSENSUS.md for the protocol and the rules.
 */
export class PbftEngine {
  private readonly opts: Required<Omit<EngineOptions, 'mutant'>> & Pick<EngineOptions, 'mutant'>;
  private readonly key: KeyPair | null;
  private readonly sealersAt: (h: number) => SealerSet;
  private readonly verifyFn: VerifyFn;
  private readonly verdicts = new Map<string, number>();

  private started = false;
  private out: EngineOutput[] = [];
  private now = 0;

  // head and height
  private height = 1;
  private headHash: Uint8Array = new Uint8Array(32);
  private headTs = 0;
  private sealers!: SealerSet;
  private me = -1;
  private quorum = 1;
  /** The quorum of PREPAREs (= quorum, except under the 'prepare-f-plus-1' mutant). */
  private prepareQuorum = 1;

  // per height
  private view = 0;
  private phase: Phase = 'idle';
  private proposal: { view: number; hashHex: string } | null = null;
  /** The leader's PRE-PREPARE of this height as received (attachment stripped): evidence if it equivocates. */
  private prePrepareMsg: Uint8Array | null = null;
  private blocks = new Map<string, DecodedBlock>();
  private appVerdicts = new Map<string, boolean>();
  private validating = new Set<string>();
  private prepares = new Map<number, Map<string, Map<number, Uint8Array>>>();
  private commits = new Map<number, Map<string, Map<number, Uint8Array>>>();
  private voteHashes = new Map<string, Set<string>>();
  private myVotes = new Map<string, MyMsg>();
  private myProposals = new Map<number, MyMsg>();
  private myVCs = new Map<number, Uint8Array>();
  private locked: Cert | null = null;
  private vcs = new Map<number, Map<number, VcEntry>>();
  private vcHighest = new Map<number, number>();
  private newViewSent = new Map<number, Uint8Array>();
  private buildRequested: number | null = null;
  /** When this node entered the height (its own clock): the block period runs from here at the latest. */
  private enteredAt = 0;
  private activity = false;
  private finalizeSyncAsked = false;
  /** Retransmission of own votes while undecided: next re-send and the current (doubling) gap. */
  private resendAt: number | null = null;
  private resendGap = 0;

  // across heights
  private pending = false;
  /** The pool holds a full block: a leader does not wait out its block period. */
  private full = false;
  private viewDeadline: number | null = null;
  private proposeAt: number | null = null;
  private timerEmitted: number | null = null;
  private future: { height: number; sender: number; bytes: Uint8Array; block: DecodedBlock | null }[] = [];
  private futureBytes = 0;
  private futureSenders = new Map<number, number>();
  private lastSyncAt = -Infinity;
  /**
   * This node's commit certificate of the height it finalized last, announced at `at` unless
   * every other sealer shows first that it finalized that height too (a signed message of a
   * later height from each; `seen`). docs/CONSENSUS.md "Normal case".
   */
  private certOut: { height: number; view: number; bytes: Uint8Array; at: number; set: SealerSet; me: number; seen: Set<number> } | null = null;
  /** Heights finalized since the driver's last input, and when a height entered by the second of them is to be set up again (resume). */
  private finalizesInStep = 0;
  private resumeAt: number | null = null;

  constructor(opts: EngineOptions, deps: EngineDeps) {
    this.opts = {
      futureHeights: 4,
      viewWindow: 64,
      maxBuffered: 4096,
      maxBufferedBytes: 64 * 1024 * 1024,
      blockPeriodMs: 0,
      ...opts,
    };
    this.key = deps.key;
    this.sealersAt = deps.sealersAt;
    // one memo of verified signatures per node: the node passes the one its gossip boundary fills
    this.verifyFn = deps.verify ?? new SignatureMemo().verify;
  }

  // ------------------------------------------------------------------ public

  step(input: EngineInput): EngineOutput[] {
    this.out = [];
    this.now = input.now;
    // The ledger answers 'built', 'validated' (and an empty build's 'work') in place, inside the
    // driver's step, before it has applied the finalizations of that step; a message, timer or
    // synced block comes from the driver, once everything finalized before is applied.
    const fromDriver = input.type === 'message' || input.type === 'timer' || input.type === 'synced';
    if (fromDriver || input.type === 'start') this.finalizesInStep = 0;
    if (input.type === 'start') {
      this.start(input.head, input.wal, input.pending ?? false, input.full ?? false);
    } else if (!this.started) {
      this.count('ignore', input.type, 'not-started');
    } else {
      if (fromDriver && this.resumeAt !== null) this.resume();
      switch (input.type) {
        case 'message':
          this.onMessage(input.bytes, input.block ?? null);
          break;
        case 'timer':
          // the driver's timer is spent: whatever deadline is still ahead (a timer may fire
          // a little early) is set again by emitTimer below
          this.timerEmitted = null;
          this.onTimer();
          break;
        case 'work':
          this.onWork(input.pending, input.full ?? false);
          break;
        case 'built':
          this.onBuilt(input.height, input.view, input.block);
          break;
        case 'validated':
          this.onValidated(input.hash, input.valid, input.stateRoot);
          break;
        case 'synced':
          this.onSynced(input.block, input.certificate, input.decoded);
          break;
      }
    }
    this.emitTimer();
    const out = this.out;
    this.out = [];
    return out;
  }

  status(): EngineStatus {
    const li = this.sealers ? this.sealers.leaderIndex(this.height, this.view) : 0;
    return {
      height: this.height,
      view: this.view,
      phase: this.phase,
      leaderIndex: li,
      leaderAddress: this.sealers ? this.sealers.sealers[li].address : '',
      sealerIndex: this.me,
      isSealer: this.me >= 0,
      lockedHash: this.locked ? this.locked.hashHex : null,
      lockedView: this.locked ? this.locked.view : null,
      pending: this.pending,
      timerAt: this.timerEmitted,
    };
  }

  /** Counters of message verdicts, keyed `verdict:kind:reason` (accept / ignore / reject). */
  verdictCounts(): Record<string, number> {
    return Object.fromEntries([...this.verdicts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }

  // ------------------------------------------------------------------ helpers

  private count(v: Verdict, kind: string, reason: string): void {
    const k = `${v}:${kind}:${reason}`;
    this.verdicts.set(k, (this.verdicts.get(k) ?? 0) + 1);
  }

  private sigOk(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
    return this.verifyFn(sig, msg, pub);
  }

  private timeout(view: number): number {
    const p = this.opts.params;
    return Math.min(p.viewTimeoutMs * 2 ** Math.min(view, 30), Math.max(p.maxViewTimeoutMs, p.viewTimeoutMs));
  }

  private leaderOf(view: number): number {
    return this.sealers.leaderIndex(this.height, view);
  }

  private setupHeight(): void {
    this.sealers = this.sealersAt(this.height);
    this.me = this.key ? this.sealers.indexOfKey(this.key.publicKey) : -1;
    this.quorum = this.opts.mutant === 'quorum-f-plus-1' ? this.sealers.f + 1 : this.sealers.quorum;
    this.prepareQuorum = this.opts.mutant === 'prepare-f-plus-1' ? this.sealers.f + 1 : this.quorum;
    this.view = 0;
    this.phase = 'idle';
    this.proposal = null;
    this.prePrepareMsg = null;
    this.blocks = new Map();
    this.appVerdicts = new Map();
    this.validating = new Set();
    this.prepares = new Map();
    this.commits = new Map();
    this.voteHashes = new Map();
    this.myVotes = new Map();
    this.myProposals = new Map();
    this.myVCs = new Map();
    this.locked = null;
    this.vcs = new Map();
    this.vcHighest = new Map();
    this.newViewSent = new Map();
    this.buildRequested = null;
    this.activity = false;
    this.finalizeSyncAsked = false;
    this.viewDeadline = null;
    this.proposeAt = null;
    this.resendAt = null;
    this.enteredAt = this.now;
  }

  private emitTimer(): void {
    let at: number | null = null;
    for (const t of [this.viewDeadline, this.proposeAt, this.resendAt, this.certOut?.at ?? null, this.resumeAt]) if (t !== null && (at === null || t < at)) at = t;
    if (at !== this.timerEmitted) {
      this.timerEmitted = at;
      this.out.push({ type: 'set-timer', at });
    }
  }

  private startViewTimer(): void {
    if (this.viewDeadline === null) this.viewDeadline = this.now + this.timeout(this.view);
  }

  /** First re-send of own votes a quarter of the base view timeout after the first vote. */
  private armResend(): void {
    if (this.resendAt !== null || this.me < 0) return;
    this.resendGap = Math.max(1, Math.floor(this.opts.params.viewTimeoutMs / 4));
    this.resendAt = this.now + this.resendGap;
  }

  /**
   * Re-broadcasts, identical bytes, what this node signed in the current view while the
   * height is undecided: its proposal (leader, while it lacks a quorum of PREPAREs), PREPARE
   * and COMMIT. A lost vote is recovered by the next re-send instead of by a view change.
   * The gap doubles after each re-send (capped at maxViewTimeoutMs); a view change stops it.
   */
  private resendVotes(): void {
    if (this.me < 0 || this.phase === 'view-change') return;
    const v = this.view;
    const sent: Uint8Array[] = [];
    const mine = this.myProposals.get(v);
    if (mine && (this.prepares.get(v)?.get(mine.hashHex)?.size ?? 0) < this.prepareQuorum) sent.push(mine.bytes);
    for (const kind of ['prepare', 'commit'] as const) {
      const m = this.myVotes.get(`${kind}/${v}`);
      if (m) sent.push(m.bytes);
    }
    if (sent.length === 0) return;
    for (const bytes of sent) {
      const e = ConsensusMessageCodec.decode(bytes);
      const pl = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
      if (pl && pl.ok) this.out.push({ type: 'broadcast', bytes, kind: pl.value.kind!, height: this.height, view: v });
    }
    this.resendGap = Math.min(this.resendGap * 2, Math.max(this.opts.params.maxViewTimeoutMs, this.opts.params.viewTimeoutMs));
    this.resendAt = this.now + this.resendGap;
  }

  private requestSync(force: boolean): void {
    if (!force && this.now - this.lastSyncAt < this.opts.params.viewTimeoutMs) return;
    this.lastSyncAt = this.now;
    this.out.push({ type: 'request-sync', fromHeight: this.height });
  }

  /** Signs a payload as this node: votes over voteBytes, everything else domain-separated. Returns the envelope and its encoding. */
  private signEnvelope(payload: Uint8Array, vote: { kind: VoteKind; view: number; hash: Uint8Array } | null, block: Uint8Array): { env: ConsensusMessage; bytes: Uint8Array } {
    const key = this.key!;
    const msg = vote ? voteBytes(vote.kind, this.opts.chainId, this.height, vote.view, vote.hash) : signedBytes(payload);
    const env: ConsensusMessage = { payload, sender: this.me, signature: sign(msg, key.secretKey), block };
    return { env, bytes: ConsensusMessageCodec.encode(env) };
  }

  /** The first `quorum` signatures of a vote set, by sealer index: the seals of a certificate. */
  private sealsOf(sigs: Map<number, Uint8Array>): CommitSeal[] {
    return [...sigs.entries()].sort((a, b) => a[0] - b[0]).slice(0, this.quorum).map(([sealer, signature]) => ({ sealer, signature }));
  }

  private persistAndBroadcast(bytes: Uint8Array, kind: ConsensusKind, view: number, extra?: { prepared: PreparedCertificate; block: Uint8Array }): void {
    const record = ConsensusWalRecordCodec.encode({
      height: this.height,
      message: bytes,
      prepared: extra ? extra.prepared : null,
      preparedBlock: extra ? extra.block : new Uint8Array(0),
    });
    this.out.push({ type: 'persist', record });
    this.out.push({ type: 'broadcast', bytes, kind, height: this.height, view });
  }

  private certPayload(c: Cert): PreparedCertificate {
    return { view: c.view, blockHash: c.hash, prepares: c.seals };
  }

  // ------------------------------------------------------------------ start / restore

  private start(head: Head, wal: readonly Uint8Array[], pending: boolean, full: boolean): void {
    this.started = true;
    this.height = head.height + 1;
    this.headHash = head.hash;
    this.headTs = head.timestamp;
    this.pending = pending;
    this.full = pending && full;
    this.setupHeight();
    if (this.me >= 0) this.restore(wal);
    if (this.pending || this.activity) this.startViewTimer();
    this.maybePropose();
  }

  private restore(wal: readonly Uint8Array[]): void {
    let maxView = -1;
    let maxIsVc = false;
    for (const raw of wal) {
      const r = ConsensusWalRecordCodec.decode(raw);
      if (!r.ok || r.value.height !== this.height) continue; // torn, garbage or another height
      const env = ConsensusMessageCodec.decode(r.value.message);
      if (!env.ok || env.value.sender !== this.me) continue;
      const p = ConsensusPayloadCodec.decode(env.value.payload);
      if (!p.ok) continue;
      const pos = payloadPosition(p.value);
      if (pos.height !== this.height) continue;
      if (!this.envelopeSigOk(env.value, p.value)) continue;
      const hashHex = pos.blockHash ? toHex(pos.blockHash) : '';
      if (pos.kind === 'prepare' || pos.kind === 'commit') {
        this.myVotes.set(`${pos.kind}/${pos.view}`, { hashHex, bytes: r.value.message });
        this.storeVote(pos.kind, pos.view, hashHex, this.me, env.value.signature);
        if (pos.kind === 'commit' && r.value.prepared) {
          const c = this.checkCert(r.value.prepared, r.value.preparedBlock, Infinity);
          if (!(c instanceof Reject) && c && (!this.locked || c.view > this.locked.view)) {
            this.locked = c;
            this.blocks.set(c.hashHex, c.block);
          }
        }
      } else if (pos.kind === 'viewChange') {
        this.myVCs.set(pos.view, r.value.message);
        const vc = p.value.viewChange!;
        let block: DecodedBlock | null = null;
        if (vc.prepared) {
          const c = this.checkCert(vc.prepared, env.value.block, pos.view);
          if (!(c instanceof Reject) && c) {
            block = c.block;
            if (!this.locked || c.view > this.locked.view) this.locked = c;
          }
        }
        this.storeVc(pos.view, this.me, { stripped: this.strip(env.value), vc, block });
      } else {
        this.myProposals.set(pos.view, { hashHex, bytes: r.value.message });
        const b = decodeBlock(env.value.block, { chainId: this.opts.chainId, params: this.opts.params });
        if (b.ok && equalBytes(b.value.hash, pos.blockHash!)) this.blocks.set(hashHex, b.value);
        if (pos.kind === 'newView') this.newViewSent.set(pos.view, r.value.message);
      }
      // The highest view decides; within it, a VIEW-CHANGE(V) is always the node's first
      // record of V, so any NEW-VIEW, PREPARE or COMMIT of V means it had left the view change
      // (the last record at the highest view wins, whatever order the records come back in).
      if (pos.view > maxView) {
        maxView = pos.view;
        maxIsVc = pos.kind === 'viewChange';
      } else if (pos.view === maxView && pos.kind !== 'viewChange') {
        maxIsVc = false;
      }
    }
    if (maxView < 0) return;
    this.activity = true;
    this.view = maxView;
    if (maxIsVc) {
      this.phase = 'view-change';
      this.out.push({ type: 'broadcast', bytes: this.myVCs.get(maxView)!, kind: 'viewChange', height: this.height, view: maxView });
    } else {
      const mine = this.myProposals.get(maxView);
      const prep = this.myVotes.get(`prepare/${maxView}`);
      const hashHex = mine?.hashHex ?? prep?.hashHex ?? null;
      if (hashHex !== null && this.blocks.has(hashHex)) {
        this.proposal = { view: maxView, hashHex };
        this.phase = this.myVotes.has(`commit/${maxView}`) ? 'prepared' : 'proposed';
      } else {
        this.phase = 'idle';
      }
      // re-send what we already signed in this view (identical bytes, already durable)
      for (const m of [mine?.bytes, prep?.bytes, this.myVotes.get(`commit/${maxView}`)?.bytes]) {
        if (!m) continue;
        const e = ConsensusMessageCodec.decode(m);
        const pl = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
        if (pl && pl.ok) this.out.push({ type: 'broadcast', bytes: m, kind: pl.value.kind!, height: this.height, view: maxView });
      }
      if (prep) this.armResend();
    }
  }

  // ------------------------------------------------------------------ inputs

  private onWork(pending: boolean, full: boolean): void {
    this.pending = pending;
    this.full = pending && full;
    if (pending && this.me >= 0) this.startViewTimer();
    if (!pending && !this.activity && this.phase === 'idle' && this.view === 0) this.viewDeadline = null;
    this.maybePropose();
  }

  private onTimer(): void {
    if (this.certOut !== null && this.now >= this.certOut.at) this.announceCertificate();
    if (this.proposeAt !== null && this.now >= this.proposeAt) {
      this.proposeAt = null;
      this.maybePropose();
    }
    if (this.resendAt !== null && this.now >= this.resendAt) {
      this.resendAt = null;
      this.resendVotes();
    }
    if (this.viewDeadline === null || this.now < this.viewDeadline) return;
    this.viewDeadline = null;
    this.requestSync(true);
    if (this.me < 0) {
      // observers never vote: they only poll sync while something is in flight
      if (this.activity || this.pending) this.viewDeadline = this.now + this.timeout(0);
      return;
    }
    if (this.phase !== 'view-change') {
      this.startViewChange(this.view + 1);
      return;
    }
    // In view change at V: move on to V+1 only if a quorum has left the views below V
    // (so the leader of V is the one failing); otherwise re-send our VIEW-CHANGE and wait.
    let atLeast = 0;
    for (const v of this.vcHighest.values()) if (v >= this.view) atLeast++;
    if (atLeast >= this.quorum) {
      this.startViewChange(this.view + 1);
    } else {
      const mine = this.myVCs.get(this.view);
      if (mine) this.out.push({ type: 'broadcast', bytes: mine, kind: 'viewChange', height: this.height, view: this.view });
      this.viewDeadline = this.now + this.timeout(this.view);
    }
  }

  private onBuilt(height: number, view: number, block: DecodedBlock | null): void {
    if (height !== this.height || view !== this.buildRequested || this.me < 0 || this.leaderOf(view) !== this.me) return;
    this.buildRequested = null;
    if (!block) return;
    const c = this.checkBlock(block.bytes, block.hash, view, true);
    if (c instanceof Reject) {
      this.count('reject', 'built', c.reason);
      return;
    }
    if (view === 0) {
      if (this.view !== 0 || this.phase !== 'idle' || this.myProposals.has(0)) return;
      const payload = ConsensusPayloadCodec.encode({ prePrepare: { height: this.height, view: 0, blockHash: c.hash } });
      const { bytes } = this.signEnvelope(payload, null, c.bytes);
      this.myProposals.set(0, { hashHex: c.hashHex, bytes });
      this.persistAndBroadcast(bytes, 'prePrepare', 0);
      this.acceptProposal(0, c, true);
    } else if (this.view === view && this.phase === 'view-change') {
      this.blocks.set(c.hashHex.slice(2), c);
      this.sendNewView(view, c);
    }
  }

  private onValidated(hash: Uint8Array, valid: boolean, stateRoot: Uint8Array | null): void {
    const hashHex = toHex(hash);
    if (!this.validating.has(hashHex)) return;
    this.validating.delete(hashHex);
    const b = this.blocks.get(hashHex);
    const good = valid && !!b && !!stateRoot && equalBytes(stateRoot, b.header.stateRoot);
    this.appVerdicts.set(hashHex, good);
    if (!good) this.count('reject', 'proposal', valid ? 'state-root-mismatch' : 'app-invalid');
    if (good && this.proposal && this.proposal.hashHex === hashHex && this.proposal.view === this.view) this.sendPrepare(this.view, hashHex);
  }

  private onSynced(bytes: Uint8Array, cert: CommitCertificate, decoded: DecodedBlock | undefined): void {
    let block: DecodedBlock;
    if (decoded && decoded.bytes === bytes) block = decoded;
    else {
      const b = decodeBlock(bytes, { chainId: this.opts.chainId, params: this.opts.params });
      if (!b.ok) return this.count('reject', 'sync', 'bad-block');
      block = b.value;
    }
    if (block.header.height !== this.height) return this.count('ignore', 'sync', 'not-next-height');
    if (!equalBytes(block.header.parentHash, this.headHash)) return this.count('reject', 'sync', 'wrong-parent');
    const v = verifyCertificate(cert, { chainId: this.opts.chainId, height: this.height, blockHash: block.hash }, this.sealers, (s, m, p) => this.sigOk(s, m, p));
    if (!v.ok && this.opts.mutant !== 'sync-no-cert') return this.count('reject', 'sync', 'bad-certificate');
    this.count('accept', 'sync', 'ok');
    this.finalize(block, cert, true);
  }

  // ------------------------------------------------------------------ messages

  private envelopeSigOk(env: ConsensusMessage, p: ConsensusPayload, sealers: SealerSet = this.sealers): boolean {
    if (env.sender >= sealers.n) return false;
    const pub = sealers.sealers[env.sender].publicKey;
    const pos = payloadPosition(p);
    const msg =
      pos.kind === 'prepare' || pos.kind === 'commit'
        ? voteBytes(pos.kind, this.opts.chainId, pos.height, pos.view, pos.blockHash!)
        : signedBytes(env.payload);
    return this.sigOk(env.signature, msg, pub);
  }

  private strip(env: ConsensusMessage): Uint8Array {
    return ConsensusMessageCodec.encode({ payload: env.payload, sender: env.sender, signature: env.signature, block: new Uint8Array(0) });
  }

  private onMessage(bytes: Uint8Array, rebuilt: DecodedBlock | null): void {
    const e = ConsensusMessageCodec.decode(bytes);
    if (!e.ok) return this.count('reject', 'unknown', 'malformed');
    const env = e.value;
    // a compact proposal's block comes rebuilt by the driver (EngineInput 'message')
    const attached = env.block.length === 0 && rebuilt ? rebuilt : null;
    const p = ConsensusPayloadCodec.decode(env.payload);
    if (!p.ok) return this.count('reject', 'unknown', 'malformed-payload');
    const pos = payloadPosition(p.value);
    const kind = pos.kind;
    if (pos.height < this.height) return this.count('ignore', kind, 'stale-height');
    if (env.sender >= this.sealers.n) return this.count('reject', kind, 'not-a-sealer');
    if (pos.height > this.height) {
      if (pos.height > this.height + this.opts.futureHeights) {
        // far behind (e.g. back from a crash while the others moved on): ask for sync, at most
        // once per view timeout; the blocks it brings are checked against their certificates
        this.requestSync(false);
        return this.count('ignore', kind, 'too-far-height');
      }
      if (!this.envelopeSigOk(env, p.value)) return this.count('reject', kind, 'bad-signature');
      this.noteAhead(pos.height, env.sender);
      this.bufferFuture(pos.height, env.sender, bytes, attached);
      return;
    }
    if (env.sender === this.me) return this.count('ignore', kind, 'self');
    let r: Reject | null;
    switch (kind) {
      case 'prepare':
      case 'commit':
        r = this.onVote(kind, pos.view, pos.blockHash!, env);
        break;
      case 'prePrepare':
        r = this.onPrePrepare(pos.view, pos.blockHash!, env, attached);
        break;
      case 'viewChange':
        r = this.onViewChange(env, p.value);
        break;
      case 'certificate':
        r = this.onCertificate(env, p.value);
        break;
      default:
        r = this.onNewView(env, p.value, attached);
    }
    if (r instanceof Reject) {
      this.count(r.reason.startsWith('~') ? 'ignore' : 'reject', kind, r.reason.replace(/^~/, ''));
    } else {
      this.count('accept', kind, 'ok');
      this.noteAhead(pos.height, env.sender);
    }
  }

  /** Another sealer's commit certificate for the current height: finalize if the block is known. */
  private onCertificate(env: ConsensusMessage, p: ConsensusPayload): Reject | null {
    const cert = p.certificate!;
    if (!this.sigOk(env.signature, signedBytes(env.payload), this.sealers.sealers[env.sender].publicKey)) return new Reject('bad-signature');
    if (env.block.length > 0 || env.compact) return new Reject('unexpected-attachment');
    const v = verifyCertificate(cert, { chainId: this.opts.chainId, height: this.height, blockHash: cert.blockHash }, this.sealers, (s, m, pk) => this.sigOk(s, m, pk));
    if (!v.ok) return new Reject('bad-certificate');
    const block = this.blocks.get(toHex(cert.blockHash));
    if (!block) {
      if (!this.finalizeSyncAsked) {
        this.finalizeSyncAsked = true;
        this.requestSync(true);
      }
      return new Reject('~block-unknown');
    }
    this.finalize(block, buildCertificate(cert.height, cert.view, cert.blockHash, cert.seals), false, false);
    return null;
  }

  private bufferFuture(height: number, sender: number, bytes: Uint8Array, block: DecodedBlock | null): void {
    const perSender = Math.max(16, Math.floor(this.opts.maxBuffered / this.sealers.n));
    let mine = 0;
    for (const f of this.future) if (f.sender === sender) mine++;
    if (mine >= perSender || this.future.length >= this.opts.maxBuffered || this.futureBytes + bytes.length > this.opts.maxBufferedBytes) {
      return this.count('ignore', 'future', 'buffer-full');
    }
    this.future.push({ height, sender, bytes, block });
    this.futureBytes += bytes.length + (block ? block.bytes.length : 0);
    this.count('ignore', 'future', 'buffered');
    this.futureSenders.set(sender, Math.max(height, this.futureSenders.get(sender) ?? 0));
    let ahead = 0;
    for (const h of this.futureSenders.values()) if (h > this.height) ahead++;
    if (ahead >= this.sealers.f + 1) this.requestSync(false);
  }

  private storeVote(kind: 'prepare' | 'commit', view: number, hashHex: string, sender: number, sig: Uint8Array): number {
    const byView = kind === 'prepare' ? this.prepares : this.commits;
    let byHash = byView.get(view);
    if (!byHash) byView.set(view, (byHash = new Map()));
    let bySender = byHash.get(hashHex);
    if (!bySender) byHash.set(hashHex, (bySender = new Map()));
    bySender.set(sender, sig);
    return bySender.size;
  }

  private onVote(kind: 'prepare' | 'commit', view: number, hash: Uint8Array, env: ConsensusMessage): Reject | null {
    if (view > this.view + this.opts.viewWindow) return new Reject('~too-far-view');
    if (kind === 'prepare' && view < this.view) return new Reject('~stale-view');
    if (env.block.length > 0 || env.compact) return new Reject('unexpected-attachment');
    const hashHex = toHex(hash);
    const have = (kind === 'prepare' ? this.prepares : this.commits).get(view)?.get(hashHex)?.get(env.sender);
    if (have && equalBytes(have, env.signature)) return new Reject('~duplicate');
    const vk = `${kind}/${view}/${env.sender}`;
    const hashes = this.voteHashes.get(vk) ?? new Set<string>();
    if (!hashes.has(hashHex) && hashes.size >= 2) return new Reject('~equivocation-bound');
    const pub = this.sealers.sealers[env.sender].publicKey;
    if (!this.sigOk(env.signature, voteBytes(kind, this.opts.chainId, this.height, view, hash), pub)) return new Reject('bad-signature');
    if (hashes.size === 1 && !hashes.has(hashHex)) this.voteEvidence(kind, view, [...hashes][0], env);
    hashes.add(hashHex);
    this.voteHashes.set(vk, hashes);
    this.storeVote(kind, view, hashHex, env.sender, env.signature);
    this.noteActivity();
    if (kind === 'prepare') this.checkPrepared(view, hashHex);
    else this.checkCommitted(view, hashHex);
    return null;
  }

  /** A second validly signed vote of `env.sender` at (kind, view) for another block: evidence. */
  private voteEvidence(kind: 'prepare' | 'commit', view: number, firstHex: string, env: ConsensusMessage): void {
    const firstSig = (kind === 'prepare' ? this.prepares : this.commits).get(view)?.get(firstHex)?.get(env.sender);
    const firstHash = fromHex(firstHex);
    if (!firstSig || !firstHash) return;
    const payload = ConsensusPayloadCodec.encode({ [kind]: { height: this.height, view, blockHash: firstHash } });
    const first = ConsensusMessageCodec.encode({ payload, sender: env.sender, signature: firstSig, block: new Uint8Array(0) });
    this.out.push({ type: 'equivocation', kind, height: this.height, view, sender: env.sender, messages: [first, this.strip(env)] });
  }

  private noteActivity(): void {
    if (!this.activity) {
      this.activity = true;
      if (this.me >= 0 || this.viewDeadline === null) this.startViewTimer();
    }
  }

  /** Stateless + head-relative checks of a proposed block. `fresh`: proposed in `view` itself. */
  private checkBlock(bytes: Uint8Array, hash: Uint8Array, view: number, fresh: boolean, rebuilt: DecodedBlock | null = null): DecodedBlock | Reject {
    let blk: DecodedBlock;
    if (rebuilt) blk = rebuilt;
    else {
      const b = decodeBlock(bytes, { chainId: this.opts.chainId, params: this.opts.params });
      if (!b.ok) return new Reject('bad-block');
      blk = b.value;
    }
    const h = blk.header;
    if (!equalBytes(blk.hash, hash)) return new Reject('block-hash-mismatch');
    if (h.height !== this.height) return new Reject('wrong-height');
    if (!equalBytes(h.parentHash, this.headHash)) return new Reject('wrong-parent');
    if (h.view > view || (fresh && h.view !== view)) return new Reject('wrong-view');
    const proposer = this.sealers.sealers[this.sealers.leaderIndex(this.height, h.view)];
    if (!equalBytes(h.proposer, addressBytes(proposer.publicKey))) return new Reject('wrong-proposer');
    const p = this.opts.params;
    if (h.timestamp < this.headTs + Math.max(1, p.minBlockIntervalMs)) return new Reject('timestamp-too-early');
    if (fresh && h.timestamp > this.now + p.timestampToleranceMs) return new Reject('timestamp-in-future');
    if (blk.txs.length === 0) return new Reject('empty-block');
    return blk;
  }

  private onPrePrepare(view: number, hash: Uint8Array, env: ConsensusMessage, rebuilt: DecodedBlock | null): Reject | null {
    if (view !== 0) return new Reject('pre-prepare-not-view-0');
    if (env.sender !== this.leaderOf(0)) return new Reject('not-leader');
    if (!this.sigOk(env.signature, signedBytes(env.payload), this.sealers.sealers[env.sender].publicKey)) return new Reject('bad-signature');
    const hashHex = toHex(hash);
    if (this.blocks.has(hashHex) && (this.proposal?.view === 0 || this.view > 0)) return new Reject('~duplicate');
    const b = this.checkBlock(env.block, hash, 0, true, rebuilt);
    if (b instanceof Reject) return b;
    this.blocks.set(hashHex, b);
    this.noteActivity();
    if (this.view !== 0 || this.phase === 'view-change') {
      // too late to vote, but keep the block: commits for it may still finalize it
      this.checkAllCommits();
      return new Reject('~stale-view');
    }
    if (this.proposal) {
      if (this.prePrepareMsg && this.proposal.hashHex !== hashHex) {
        this.out.push({ type: 'equivocation', kind: 'prePrepare', height: this.height, view: 0, sender: env.sender, messages: [this.prePrepareMsg, this.strip(env)] });
        this.prePrepareMsg = null; // once per height
      }
      return new Reject('leader-equivocation');
    }
    this.prePrepareMsg = this.strip(env);
    this.acceptProposal(0, b, false);
    return null;
  }

  /** Enter the normal phase of `view` with this proposal; the leader votes for its own. */
  private acceptProposal(view: number, b: DecodedBlock, own: boolean): void {
    this.view = view;
    this.phase = 'proposed';
    this.proposal = { view, hashHex: b.hashHex.slice(2) };
    this.blocks.set(this.proposal.hashHex, b);
    this.activity = true;
    if (this.viewDeadline === null || own) this.viewDeadline = this.now + this.timeout(view);
    const hx = this.proposal.hashHex;
    if (own) {
      this.appVerdicts.set(hx, true);
      this.sendPrepare(view, hx);
    } else if (this.me >= 0) {
      const v = this.appVerdicts.get(hx);
      if (v === true) this.sendPrepare(view, hx);
      else if (v === undefined && !this.validating.has(hx)) {
        this.validating.add(hx);
        this.out.push({ type: 'request-validate', height: this.height, view, block: b });
      }
    }
    this.checkPrepared(view, hx);
    this.checkAllCommits();
  }

  private sendPrepare(view: number, hashHex: string): void {
    if (this.me < 0 || view !== this.view || this.phase === 'view-change') return;
    const k = `prepare/${view}`;
    const prev = this.myVotes.get(k);
    if (prev) return; // never a second PREPARE at (h, v), even for the same block
    const b = this.blocks.get(hashHex);
    if (!b) return;
    const payload = ConsensusPayloadCodec.encode({ prepare: { height: this.height, view, blockHash: b.hash } });
    const { env, bytes } = this.signEnvelope(payload, { kind: 'prepare', view, hash: b.hash }, new Uint8Array(0));
    this.myVotes.set(k, { hashHex, bytes });
    this.persistAndBroadcast(bytes, 'prepare', view);
    this.armResend();
    this.storeVote('prepare', view, hashHex, this.me, env.signature);
    this.checkPrepared(view, hashHex);
  }

  private checkPrepared(view: number, hashHex: string): void {
    if (view !== this.view || this.phase !== 'proposed' || this.me < 0) return;
    if (this.myVotes.get(`prepare/${view}`)?.hashHex !== hashHex) return;
    const sigs = this.prepares.get(view)?.get(hashHex);
    if (!sigs || sigs.size < this.prepareQuorum) return;
    const block = this.blocks.get(hashHex);
    if (!block) return;
    const cert: Cert = { view, hash: block.hash, hashHex, seals: this.sealsOf(sigs), block };
    if (!this.locked || this.locked.view <= view) this.locked = cert;
    this.phase = 'prepared';
    const k = `commit/${view}`;
    if (this.myVotes.has(k)) return;
    const payload = ConsensusPayloadCodec.encode({ commit: { height: this.height, view, blockHash: block.hash } });
    const { env, bytes } = this.signEnvelope(payload, { kind: 'commit', view, hash: block.hash }, new Uint8Array(0));
    this.myVotes.set(k, { hashHex, bytes });
    this.persistAndBroadcast(bytes, 'commit', view, { prepared: this.certPayload(cert), block: block.bytes });
    this.armResend();
    this.storeVote('commit', view, hashHex, this.me, env.signature);
    this.checkCommitted(view, hashHex);
  }

  private checkAllCommits(): void {
    for (const [view, byHash] of [...this.commits.entries()].sort((a, b) => a[0] - b[0])) {
      for (const hashHex of [...byHash.keys()].sort()) {
        if (this.checkCommitted(view, hashHex)) return;
      }
    }
  }

  private checkCommitted(view: number, hashHex: string): boolean {
    const sigs = this.commits.get(view)?.get(hashHex);
    if (!sigs || sigs.size < this.quorum) return false;
    const block = this.blocks.get(hashHex);
    if (!block) {
      if (!this.finalizeSyncAsked) {
        this.finalizeSyncAsked = true;
        this.requestSync(true);
      }
      return false;
    }
    this.finalize(block, buildCertificate(this.height, view, block.hash, this.sealsOf(sigs)), false);
    return true;
  }

  private finalize(block: DecodedBlock, certificate: CommitCertificate, viaSync: boolean, announce = !viaSync): void {
    this.out.push({ type: 'finalize', block, certificate, viaSync });
    // a certificate still held for the height before goes out now: some sealer did not show it finalized that one
    if (this.certOut !== null) this.announceCertificate();
    if (announce && this.me >= 0) {
      // the commit certificate, for a sealer that missed COMMITs: announced a little later,
      // and not at all if every other sealer shows first that it finalized this height
      const payload = ConsensusPayloadCodec.encode({ certificate });
      const { bytes } = this.signEnvelope(payload, null, new Uint8Array(0));
      const at = this.now + Math.max(1, Math.floor(this.opts.params.viewTimeoutMs / CERT_DELAY_DIVISOR));
      this.certOut = { height: this.height, view: certificate.view, bytes, at, set: this.sealers, me: this.me, seen: new Set() };
    }
    this.height += 1;
    this.headHash = block.hash;
    this.headTs = block.header.timestamp;
    this.setupHeight();
    if (++this.finalizesInStep > 1) {
      // The ledger applies finalized blocks after the driver's step, and the sealer set of a
      // height is read from the applied state (a change is in effect two heights after its
      // block): a height finalized before this one since the driver's last input may not be
      // applied yet, so the set just read may be stale. The new height is set up again at the
      // driver's next input (a timer due now), before anything is done at it.
      this.resumeAt = this.now;
      return;
    }
    this.enterHeight();
  }

  /** A height deferred by a second finalization in one step, set up with the ledger's state caught up. */
  private resume(): void {
    this.resumeAt = null;
    this.setupHeight();
    this.enterHeight();
  }

  /** After setupHeight: the view timer, the proposal if ours, and the buffered messages of the new height replayed (older ones dropped). */
  private enterHeight(): void {
    const height = this.height;
    if (this.pending && this.me >= 0) this.startViewTimer();
    const now = this.future.filter((f) => f.height === height);
    this.future = this.future.filter((f) => f.height > height);
    this.futureBytes = this.future.reduce((a, f) => a + f.bytes.length + (f.block ? f.block.bytes.length : 0), 0);
    for (const [s, h] of [...this.futureSenders.entries()]) if (h <= height) this.futureSenders.delete(s);
    this.maybePropose();
    for (const f of now) {
      if (this.height !== height) {
        // a replayed message finalized this height already: the rest belongs to later heights
        if (f.height >= this.height) this.future.push(f);
        continue;
      }
      this.onMessage(f.bytes, f.block);
    }
  }

  private announceCertificate(): void {
    const c = this.certOut!;
    this.certOut = null;
    this.out.push({ type: 'broadcast', bytes: c.bytes, kind: 'certificate', height: c.height, view: c.view });
  }

  /**
   * A verified message of a height above the held certificate's: its sender finalized that
   * height. Senders are counted by their place in the certificate height's set (the sender
   * index is the one the engine checked the signature with: the current set's), so a set
   * change between the two heights cannot make a newcomer stand in for a sealer that lags.
   */
  private noteAhead(height: number, sender: number): void {
    const c = this.certOut;
    if (c === null || height <= c.height) return;
    const key = this.sealers.sealers[sender]?.publicKey;
    const i = key ? c.set.indexOfKey(key) : -1;
    if (i < 0 || i === c.me) return;
    c.seen.add(i);
    if (c.seen.size >= c.set.n - 1) this.certOut = null;
  }

  /** The leader's block period: the option, at most a quarter of the view timeout (EngineOptions.blockPeriodMs). */
  private blockPeriod(): number {
    return Math.min(this.opts.blockPeriodMs, Math.floor(this.opts.params.viewTimeoutMs / 4));
  }

  private maybePropose(): void {
    if (this.me < 0 || !this.pending || this.view !== 0 || this.phase !== 'idle' || this.proposal) return;
    if (this.leaderOf(0) !== this.me || this.myProposals.has(0) || this.buildRequested !== null) return;
    const p = this.opts.params;
    const earliest = this.headTs + Math.max(1, p.minBlockIntervalMs);
    // The chain's floor, from the parent's timestamp; and this leader's own block period unless
    // a full block waits, from the parent's timestamp too but never later than a period after
    // this node entered the height (a clock behind the parent's leader's does not stretch it).
    const period = this.full ? 0 : this.blockPeriod();
    const due = Math.max(p.minBlockIntervalMs > 0 ? this.headTs + p.minBlockIntervalMs : 0, period > 0 ? Math.min(this.headTs, this.enteredAt) + period : 0);
    if (this.now < due) {
      this.proposeAt = due;
      return;
    }
    this.proposeAt = null;
    this.buildRequested = 0;
    this.startViewTimer();
    this.out.push({ type: 'request-build', height: this.height, view: 0, parentHash: this.headHash, timestamp: Math.max(this.now, earliest) });
  }

  // ------------------------------------------------------------------ view change

  /** Verifies a prepared certificate of this height (and its block, if given). Null if absent. */
  private checkCert(c: PreparedCertificate, blockBytes: Uint8Array | null, belowView: number): Cert | null | Reject {
    if (c.view >= belowView) return new Reject('cert-view-too-high');
    const seen = new Set<number>();
    const msg = voteBytes('prepare', this.opts.chainId, this.height, c.view, c.blockHash);
    const dupOk = this.opts.mutant === 'cert-dup-sealers';
    let signers = 0;
    for (const s of c.prepares) {
      if (s.sealer >= this.sealers.n || (seen.has(s.sealer) && !dupOk)) return new Reject('cert-bad-sealer');
      seen.add(s.sealer);
      signers++;
      if (!this.sigOk(s.signature, msg, this.sealers.sealers[s.sealer].publicKey)) return new Reject('cert-bad-signature');
    }
    if ((dupOk ? signers : seen.size) < this.prepareQuorum) return new Reject('cert-no-quorum');
    const hashHex = toHex(c.blockHash);
    if (blockBytes === null) return { view: c.view, hash: c.blockHash, hashHex, seals: c.prepares, block: null as unknown as DecodedBlock };
    const b = this.checkBlock(blockBytes, c.blockHash, c.view, false);
    if (b instanceof Reject) return new Reject('cert-' + b.reason);
    return { view: c.view, hash: c.blockHash, hashHex, seals: c.prepares, block: b };
  }

  private storeVc(view: number, sender: number, e: VcEntry): void {
    this.vcHighest.set(sender, Math.max(view, this.vcHighest.get(sender) ?? -1));
    if (view > this.view + this.opts.viewWindow) return;
    // only a sender's latest VIEW-CHANGE matters (it has left the lower views): n entries at most
    for (const [v, m] of this.vcs) if (v < view) m.delete(sender);
    let m = this.vcs.get(view);
    if (!m) this.vcs.set(view, (m = new Map()));
    m.set(sender, e);
  }

  private onViewChange(env: ConsensusMessage, p: ConsensusPayload): Reject | null {
    const vc = p.viewChange!;
    const V = vc.newView;
    if (V < 1) return new Reject('view-change-to-0');
    if (V < this.view) return new Reject('~stale-view');
    const known = this.vcs.get(V)?.get(env.sender);
    if (known && equalBytes(known.stripped, this.strip(env))) {
      this.resendNewView(V, env.sender);
      return new Reject('~duplicate');
    }
    if ((this.vcHighest.get(env.sender) ?? -1) > V) return new Reject('~superseded');
    if (!this.sigOk(env.signature, signedBytes(env.payload), this.sealers.sealers[env.sender].publicKey)) return new Reject('bad-signature');
    let block: DecodedBlock | null = null;
    if (vc.prepared) {
      const c = this.checkCert(vc.prepared, env.block, V);
      if (c instanceof Reject) return c;
      block = c!.block;
    } else if (env.block.length > 0 || env.compact) return new Reject('unexpected-attachment');
    this.storeVc(V, env.sender, { stripped: this.strip(env), vc, block });
    if (block) this.blocks.set(toHex(block.hash), block);
    this.noteActivity();
    if (block) this.checkAllCommits();
    if (this.height !== vc.height) return null;
    this.resendNewView(V, env.sender);
    this.checkJoin();
    this.checkNewView();
    return null;
  }

  private resendNewView(V: number, to: number): void {
    const nv = this.newViewSent.get(V);
    if (nv && V === this.view && this.phase !== 'view-change') {
      this.out.push({ type: 'send', to, toKey: this.sealers.sealers[to].publicKey, bytes: nv, kind: 'newView', height: this.height, view: V });
    }
  }

  /** f+1 sealers asked for views above ours: join the highest view that at least f+1 of them reached. */
  private checkJoin(): void {
    const above = [...this.vcHighest.entries()].filter(([s, v]) => s !== this.me && v > this.view).map(([, v]) => v).sort((a, b) => b - a);
    const need = this.sealers.f + 1;
    if (above.length >= need) this.startViewChange(above[need - 1]);
  }

  private startViewChange(V: number): void {
    if (V <= this.view && this.phase === 'view-change') return;
    if (V < this.view) return;
    this.view = V;
    this.phase = 'view-change';
    this.proposal = null;
    this.buildRequested = null;
    this.activity = true;
    this.viewDeadline = this.now + this.timeout(V);
    this.resendAt = null;
    if (this.me >= 0 && !this.myVCs.has(V)) {
      const prepared = this.locked ? this.certPayload(this.locked) : null;
      const payload = ConsensusPayloadCodec.encode({ viewChange: { height: this.height, newView: V, prepared } });
      const { env, bytes } = this.signEnvelope(payload, null, this.locked ? this.locked.block.bytes : new Uint8Array(0));
      this.myVCs.set(V, bytes);
      this.persistAndBroadcast(bytes, 'viewChange', V);
      this.storeVc(V, this.me, {
        stripped: this.strip(env),
        vc: { height: this.height, newView: V, prepared },
        block: this.locked ? this.locked.block : null,
      });
    }
    this.checkNewView();
    this.checkJoin();
  }

  /** The highest prepared certificate among VIEW-CHANGEs (ties: lowest hash), honouring the mutant. */
  private highest(entries: readonly { vc: ViewChange }[]): PreparedCertificate | null {
    if (this.opts.mutant === 'no-locking') return null;
    let best: PreparedCertificate | null = null;
    for (const e of entries) {
      const c = e.vc.prepared;
      if (!c) continue;
      if (!best || c.view > best.view || (c.view === best.view && compareBytes(c.blockHash, best.blockHash) < 0)) best = c;
    }
    return best;
  }

  private checkNewView(): void {
    const V = this.view;
    if (this.me < 0 || this.phase !== 'view-change' || this.leaderOf(V) !== this.me || this.newViewSent.has(V)) return;
    const m = this.vcs.get(V);
    if (!m || m.size < this.quorum) return;
    const entries = [...m.values()];
    const best = this.highest(entries);
    if (best) {
      const hx = toHex(best.blockHash);
      const block = this.blocks.get(hx) ?? entries.find((e) => e.block && e.block.hashHex.slice(2) === hx)?.block;
      if (block) this.sendNewView(V, block);
      return;
    }
    const mine = this.myProposals.get(V);
    if (mine) {
      const b = this.blocks.get(mine.hashHex);
      if (b) this.sendNewView(V, b);
      return;
    }
    if (this.buildRequested === V || !this.pending) return;
    this.buildRequested = V;
    const earliest = this.headTs + Math.max(1, this.opts.params.minBlockIntervalMs);
    this.out.push({ type: 'request-build', height: this.height, view: V, parentHash: this.headHash, timestamp: Math.max(this.now, earliest) });
  }

  private sendNewView(V: number, block: DecodedBlock): void {
    const m = this.vcs.get(V);
    if (!m || m.size < this.quorum) return;
    const ordered = [...m.entries()].sort((a, b) => a[0] - b[0]);
    const best = this.highest(ordered.map(([, e]) => e));
    const hx = block.hashHex.slice(2);
    if (best && toHex(best.blockHash) !== hx) return;
    const mine = this.myProposals.get(V);
    if (mine && mine.hashHex !== hx) return; // never two proposals at one (h, v)
    let bytes = mine?.bytes;
    if (!bytes) {
      const payload = ConsensusPayloadCodec.encode({
        newView: { height: this.height, view: V, viewChanges: ordered.map(([, e]) => e.stripped), blockHash: block.hash },
      });
      bytes = this.signEnvelope(payload, null, block.bytes).bytes;
      this.myProposals.set(V, { hashHex: hx, bytes });
      this.persistAndBroadcast(bytes, 'newView', V);
    } else {
      this.out.push({ type: 'broadcast', bytes, kind: 'newView', height: this.height, view: V });
    }
    this.newViewSent.set(V, bytes);
    this.acceptProposal(V, block, true);
  }

  private onNewView(env: ConsensusMessage, p: ConsensusPayload, rebuilt: DecodedBlock | null): Reject | null {
    const nv = p.newView!;
    const V = nv.view;
    if (V < 1) return new Reject('new-view-to-0');
    if (env.sender !== this.leaderOf(V)) return new Reject('not-leader');
    if (V < this.view) return new Reject('~stale-view');
    const hashHex = toHex(nv.blockHash);
    if (V === this.view && this.phase !== 'view-change' && this.proposal) {
      return new Reject(this.proposal.hashHex === hashHex ? '~duplicate' : 'leader-equivocation');
    }
    if (V > this.view + this.opts.viewWindow) return new Reject('~too-far-view');
    if (!this.sigOk(env.signature, signedBytes(env.payload), this.sealers.sealers[env.sender].publicKey)) return new Reject('bad-signature');
    // the justification: a quorum of valid VIEW-CHANGEs for exactly (h, V) by distinct sealers
    const entries: { vc: ViewChange }[] = [];
    const senders = new Set<number>();
    for (const raw of nv.viewChanges) {
      const e = ConsensusMessageCodec.decode(raw);
      if (!e.ok || e.value.block.length > 0) return new Reject('bad-justification');
      const pl = ConsensusPayloadCodec.decode(e.value.payload);
      if (!pl.ok || pl.value.kind !== 'viewChange') return new Reject('bad-justification');
      const vc = pl.value.viewChange!;
      if (vc.height !== this.height || vc.newView !== V) return new Reject('bad-justification');
      const s = e.value.sender;
      if (s >= this.sealers.n || senders.has(s)) return new Reject('bad-justification');
      if (!this.sigOk(e.value.signature, signedBytes(e.value.payload), this.sealers.sealers[s].publicKey)) return new Reject('bad-justification-signature');
      if (vc.prepared) {
        const c = this.checkCert(vc.prepared, null, V);
        if (c instanceof Reject) return new Reject('bad-justification-' + c.reason);
      }
      senders.add(s);
      entries.push({ vc });
    }
    if (senders.size < this.quorum) return new Reject('justification-no-quorum');
    let best = this.highest(entries);
    if (best && !equalBytes(best.blockHash, nv.blockHash)) {
      if (this.opts.mutant !== 'nv-no-check') return new Reject('not-highest-prepared');
      best = null; // the mutant takes any block the leader sends
    }
    const b = this.checkBlock(env.block, nv.blockHash, V, !best, rebuilt);
    if (b instanceof Reject) return b;
    this.blocks.set(hashHex, b);
    if (this.myVotes.has(`prepare/${V}`) && this.myVotes.get(`prepare/${V}`)!.hashHex !== hashHex) return new Reject('conflicts-own-vote');
    this.viewDeadline = this.now + this.timeout(V);
    this.acceptProposal(V, b, false);
    return null;
  }
}
