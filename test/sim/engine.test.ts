import { describe, expect, it } from 'vitest';
import { PbftEngine } from '../../src/consensus/engine.ts';
import type { EngineOutput, EngineInput } from '../../src/consensus/types.ts';
import { verifyCertificate } from '../../src/chain/certificate.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, ConsensusWalRecordCodec } from '../../src/codec/consensus.ts';
import { keyPairFromLabel, sign, type KeyPair } from '../../src/crypto/keys.ts';
import { CERT_DELAY_DIVISOR, signedBytes } from '../../src/consensus/engine.ts';
import { SignatureMemo } from '../../src/consensus/sigmemo.ts';
import { gossipCheck } from '../../src/consensus/gossip.ts';
import { equalBytes } from '../../src/util/bytes.ts';
import { describeWalRecord } from '../../src/consensus/wal.ts';
import type { Ledger } from '../../src/ledger/index.ts';
import type { TxPool } from '../../src/txpool/pool.ts';
import { SIM_CHAIN_ID, memoVerify, workloadTx, simChain, newDisk, newLedger, buildWith } from './ledger-node.ts';
import { SIM_PARAMS, T0, simSealers } from './sim.ts';

// One rule per test, on engines driven by hand (the simulator suites cover the rest).

const GENESIS_HASH = simChain(4).block0Hash;
const head = { height: 0, hash: GENESIS_HASH, timestamp: T0 - 1000 };
const headOf = (n: number) => ({ height: 0, hash: simChain(n).block0Hash, timestamp: T0 - 1000 });

function engine(n: number, key: KeyPair | null, extra: Partial<ConstructorParameters<typeof PbftEngine>[0]> = {}): PbftEngine {
  return new PbftEngine({ chainId: SIM_CHAIN_ID, params: SIM_PARAMS, ...extra }, { key, sealersAt: () => simSealers(n), verify: memoVerify });
}

const keyOf = (i: number) => keyPairFromLabel('sim-sealer-' + i);

/** A fully connected, lossless, instant cluster of real ledgers (state, pool, engine) answering the engines' block requests. */
class Cluster {
  readonly n: number;
  readonly engines: PbftEngine[];
  readonly ledgers: Ledger[];
  readonly pools: TxPool[];
  readonly keys: (KeyPair | null)[];
  /** Every engine output, including the block requests the ledger answers. */
  readonly outs: EngineOutput[][] = [];
  readonly finalized: Extract<EngineOutput, { type: 'finalize' }>[][] = [];
  now = T0;
  queue: { to: number; bytes: Uint8Array }[] = [];

  constructor(n: number, observers = 0, o: { blockPeriodMs?: number; proposalMaxTxs?: number; params?: typeof SIM_PARAMS } = {}) {
    this.n = n;
    this.keys = [...Array.from({ length: n }, (_, i) => keyOf(i)), ...Array.from({ length: observers }, () => null)];
    const parts = this.keys.map((key) => newLedger({ n, disk: newDisk(n), key, params: o.params ?? SIM_PARAMS, blockPeriodMs: o.blockPeriodMs, proposalMaxTxs: o.proposalMaxTxs, now: () => this.now, onWork: () => {} }));
    this.engines = parts.map((p) => p.engine);
    this.ledgers = parts.map((p) => p.ledger);
    this.pools = parts.map((p) => p.pool);
    this.engines.forEach((e, i) => {
      this.outs.push([]);
      this.finalized.push([]);
      const step = e.step.bind(e);
      e.step = (input) => {
        const out = step(input);
        this.outs[i].push(...out);
        return out;
      };
    });
  }

  step(i: number, input: EngineInput): void {
    this.ledgers[i].step(input, (o) => {
      if (o.type === 'broadcast') for (let j = 0; j < this.engines.length; j++) if (j !== i) this.queue.push({ to: j, bytes: o.bytes });
      if (o.type === 'send') this.queue.push({ to: o.to, bytes: o.bytes });
      if (o.type === 'finalized') this.finalized[i].push({ type: 'finalize', block: o.block, certificate: o.certificate, viaSync: o.viaSync });
    });
  }

  start(): void {
    this.engines.forEach((_, i) => this.step(i, { type: 'start', now: this.now, head: headOf(this.n), wal: [] }));
  }

  /** Workload tx k into every pool, then the 'work' input (the ledger answers whether there is executable work). */
  submit(k: number): void {
    this.pools.forEach((p, i) => {
      p.add(workloadTx(k));
      this.step(i, { type: 'work', now: this.now, pending: true });
    });
  }

  drain(filter: (to: number, bytes: Uint8Array) => boolean = () => true): void {
    while (this.queue.length) {
      const m = this.queue.shift()!;
      if (filter(m.to, m.bytes)) this.step(m.to, { type: 'message', now: this.now, bytes: m.bytes });
    }
  }
}

function kindOf(bytes: Uint8Array): string {
  const e = ConsensusMessageCodec.decode(bytes);
  if (!e.ok) return 'garbage';
  const p = ConsensusPayloadCodec.decode(e.value.payload);
  return p.ok ? p.value.kind! : 'garbage';
}

describe('PbftEngine rules', () => {
  it('n = 1 (dev mode): a block with txs is finalized alone, with a valid one-seal certificate', () => {
    const c = new Cluster(1);
    c.start();
    c.submit(0);
    expect(c.finalized[0]).toHaveLength(1);
    const f = c.finalized[0][0] as Extract<EngineOutput, { type: 'finalize' }>;
    expect(f.block.header.height).toBe(1);
    expect(verifyCertificate(f.certificate, { chainId: SIM_CHAIN_ID, height: 1, blockHash: f.block.hash }, simSealers(1)).ok).toBe(true);
    expect(c.engines[0].status()).toMatchObject({ height: 2, view: 0, phase: 'idle' });
  });

  it('no empty blocks and no view timer without work', () => {
    const c = new Cluster(4);
    c.start();
    for (const o of c.outs.flat()) expect(o.type === 'request-build' || (o.type === 'set-timer' && o.at !== null)).toBe(false);
    c.submit(0);
    c.drain();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
  });

  it('one memo per node: a signature checked at the gossip boundary is not verified again by the engine; the engine keeps no cache of its own', () => {
    const leader = engine(4, keyOf(1));
    leader.step({ type: 'start', now: T0, head, wal: [], pending: true });
    const pp = leader.step({ type: 'built', now: T0, height: 1, view: 0, block: buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0) }).find((o) => o.type === 'broadcast') as { bytes: Uint8Array };
    let calls = 0;
    const counting = (s: Uint8Array, m: Uint8Array, k: Uint8Array) => (calls++, memoVerify(s, m, k));
    const memo = new SignatureMemo(64, counting);
    const replica = new PbftEngine({ chainId: SIM_CHAIN_ID, params: SIM_PARAMS }, { key: keyOf(2), sealersAt: () => simSealers(4), verify: memo.verify });
    replica.step({ type: 'start', now: T0, head, wal: [], pending: true });
    expect(gossipCheck(pp.bytes, { chainId: SIM_CHAIN_ID, sealersAt: () => simSealers(4), verify: memo.verify }).ok).toBe(true);
    expect(calls).toBe(1);
    const out = replica.step({ type: 'message', now: T0, bytes: pp.bytes });
    expect(out.map((o) => o.type)).toContain('request-validate'); // it took the proposal: its block goes to the ledger for validation
    replica.step({ type: 'message', now: T0 + 1, bytes: pp.bytes });
    expect(calls).toBe(1);
    // handed a check without memory, the engine checks each delivery (the node always passes its memo)
    calls = 0;
    const bare = new PbftEngine({ chainId: SIM_CHAIN_ID, params: SIM_PARAMS }, { key: keyOf(3), sealersAt: () => simSealers(4), verify: counting });
    bare.step({ type: 'start', now: T0, head, wal: [], pending: true });
    bare.step({ type: 'message', now: T0, bytes: pp.bytes });
    bare.step({ type: 'message', now: T0 + 1, bytes: pp.bytes });
    expect(calls).toBe(2);
  });

  it('persist-before-send: every own signed message is in a WAL record earlier in the same batch', () => {
    const e = engine(4, keyOf(1));
    e.step({ type: 'start', now: T0, head, wal: [], pending: true });
    const out = e.step({ type: 'built', now: T0, height: 1, view: 0, block: buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0) });
    const sends = out.filter((o) => o.type === 'broadcast');
    expect(sends.map((o) => kindOf((o as { bytes: Uint8Array }).bytes))).toEqual(['prePrepare', 'prepare']);
    for (const s of sends) {
      const idx = out.indexOf(s);
      const persisted = out.slice(0, idx).some((o) => o.type === 'persist' && equalBytes(ConsensusWalRecordCodec.decode(o.record).ok ? (ConsensusWalRecordCodec.decode(o.record) as { value: { message: Uint8Array } }).value.message : new Uint8Array(), (s as { bytes: Uint8Array }).bytes));
      expect(persisted).toBe(true);
    }
  });

  it('after a restart from the WAL it never signs a conflicting PREPARE at the same (h, v); torn records are ignored', () => {
    // leader 1 equivocates: A to node 2 before the crash, B after the restart
    const c = new Cluster(4);
    c.start();
    const a = buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0);
    const b = buildWith(4, keyOf(1), [workloadTx(0), workloadTx(1)], 1, 0, GENESIS_HASH, T0 + 1);
    expect(a && b && a.hashHex !== b.hashHex).toBe(true);
    const leaderA = engine(4, keyOf(1));
    leaderA.step({ type: 'start', now: T0, head, wal: [], pending: true });
    const ppA = leaderA.step({ type: 'built', now: T0, height: 1, view: 0, block: a }).find((o) => o.type === 'broadcast')! as { bytes: Uint8Array };
    const leaderB = engine(4, keyOf(1));
    leaderB.step({ type: 'start', now: T0, head, wal: [], pending: true });
    const ppB = leaderB.step({ type: 'built', now: T0, height: 1, view: 0, block: b }).find((o) => o.type === 'broadcast')! as { bytes: Uint8Array };

    c.pools[2].add(workloadTx(0));
    c.pools[2].add(workloadTx(1));
    c.step(2, { type: 'message', now: T0, bytes: ppA.bytes });
    const wal = c.outs[2].filter((o) => o.type === 'persist').map((o) => (o as { record: Uint8Array }).record);
    expect(wal.map((r) => describeWalRecord(r)?.kind)).toEqual(['prepare']);
    const torn = wal[0].subarray(0, 10);
    const garbage = new Uint8Array([0xff, 0x01, 0x02, 0x03]);

    const restarted = engine(4, keyOf(2));
    const out1 = restarted.step({ type: 'start', now: T0 + 5, head, wal: [...wal, torn, garbage] });
    // it re-sends its PREPARE for A (identical bytes), nothing else
    expect(out1.filter((o) => o.type === 'broadcast').map((o) => kindOf((o as { bytes: Uint8Array }).bytes))).toEqual(['prepare']);
    const out2 = restarted.step({ type: 'message', now: T0 + 6, bytes: ppB.bytes });
    const v = out2.find((o) => o.type === 'request-validate');
    const out3 = v ? restarted.step({ type: 'validated', now: T0 + 6, hash: b!.hash, valid: true, stateRoot: b!.header.stateRoot }) : [];
    expect([...out2, ...out3].filter((o) => o.type === 'broadcast' || o.type === 'persist')).toEqual([]);
    expect(restarted.status().view).toBe(0);
  });

  it('verdicts: garbage, non-sealers, forged signatures, duplicates and stale heights are counted, never thrown', () => {
    const c = new Cluster(4);
    c.start();
    c.submit(0);
    const prepare = c.queue.find((m) => kindOf(m.bytes) === 'prepare' && m.to === 3)!;
    c.step(3, { type: 'message', now: T0, bytes: prepare.bytes }); // delivered twice: once here, once by drain
    c.drain();
    const e = c.engines[3];
    const env = ConsensusMessageCodec.decode(prepare.bytes);
    expect(env.ok).toBe(true);
    if (!env.ok) return;
    // current height (2): a vote from an index outside the sealer set, and a forged one attributed to sealer 0
    const cur = ConsensusPayloadCodec.encode({ prepare: { height: 2, view: 0, blockHash: new Uint8Array(32).fill(7) } });
    const inputs = [
      new Uint8Array([1, 2, 3]),
      ConsensusMessageCodec.encode({ ...env.value, payload: cur, sender: 9 }),
      prepare.bytes, // stale height now
      prepare.bytes,
    ];
    for (const bytes of inputs) expect(() => e.step({ type: 'message', now: T0, bytes })).not.toThrow();
    e.step({ type: 'message', now: T0, bytes: ConsensusMessageCodec.encode({ payload: cur, sender: 0, signature: new Uint8Array(64).fill(3), block: new Uint8Array() }) });
    const v = e.verdictCounts();
    expect(v['reject:unknown:malformed']).toBe(1);
    expect(v['reject:prepare:not-a-sealer']).toBe(1);
    expect(v['ignore:prepare:stale-height']).toBeGreaterThanOrEqual(2);
    expect(v['reject:prepare:bad-signature']).toBe(1);
    expect(v['accept:prePrepare:ok']).toBe(1);
    expect(v['ignore:prepare:duplicate']).toBe(1);
  });

  it('a message too many heights ahead asks for sync (a node back from a crash with nothing to do), at most once per view timeout', () => {
    const e = engine(4, keyOf(0));
    e.step({ type: 'start', now: T0, head, wal: [] });
    const far = (h: number) => {
      const payload = ConsensusPayloadCodec.encode({ commit: { height: h, view: 0, blockHash: new Uint8Array(32).fill(1) } });
      return ConsensusMessageCodec.encode({ payload, sender: 2, signature: new Uint8Array(64), block: new Uint8Array() });
    };
    const syncs = (out: EngineOutput[]) => out.filter((o) => o.type === 'request-sync');
    expect(syncs(e.step({ type: 'message', now: T0, bytes: far(20) }))).toEqual([{ type: 'request-sync', fromHeight: 1 }]);
    expect(syncs(e.step({ type: 'message', now: T0 + 1, bytes: far(21) }))).toEqual([]);
    expect(syncs(e.step({ type: 'message', now: T0 + SIM_PARAMS.viewTimeoutMs, bytes: far(22) }))).toHaveLength(1);
    expect(e.verdictCounts()['ignore:commit:too-far-height']).toBe(3);
  });

  it('observers follow finalizations through commits but never sign or persist', () => {
    const c = new Cluster(4, 1);
    c.start();
    c.submit(0);
    c.drain();
    c.submit(1);
    c.drain();
    expect(c.finalized[4].map((f) => (f as { block: { header: { height: number } } }).block.header.height)).toEqual([1, 2]);
    expect(c.outs[4].some((o) => o.type === 'persist' || o.type === 'broadcast' || o.type === 'send')).toBe(false);
    expect(c.engines[4].status().isSealer).toBe(false);
  });

  it('refuses to PREPARE when the app computes another state root', () => {
    const c = new Cluster(4);
    c.start();
    c.pools.forEach((p) => p.add(workloadTx(0)));
    c.step(1, { type: 'work', now: T0, pending: true });
    const pp = c.queue.find((m) => kindOf(m.bytes) === 'prePrepare')!;
    const e = c.engines[2];
    const out = e.step({ type: 'message', now: T0, bytes: pp.bytes });
    const req = out.find((o) => o.type === 'request-validate') as Extract<EngineOutput, { type: 'request-validate' }>;
    expect(req).toBeDefined();
    const out2 = e.step({ type: 'validated', now: T0, hash: req.block.hash, valid: true, stateRoot: new Uint8Array(32).fill(9) });
    expect(out2.some((o) => o.type === 'broadcast')).toBe(false);
    expect(e.verdictCounts()['reject:proposal:state-root-mismatch']).toBe(1);
  });

  it('view timeouts back off exponentially, capped, and VIEW-CHANGE carries the next view', () => {
    const e = engine(4, keyOf(2));
    const out0 = e.step({ type: 'start', now: T0, head, wal: [], pending: true });
    let at = (out0.find((o) => o.type === 'set-timer') as { at: number }).at;
    const gaps: number[] = [];
    let now = T0;
    for (let i = 0; i < 6; i++) {
      gaps.push(at - now);
      now = at;
      const out = e.step({ type: 'timer', now });
      const t = out.filter((o) => o.type === 'set-timer').pop() as { at: number } | undefined;
      if (t) at = t.at;
    }
    expect(gaps[0]).toBe(SIM_PARAMS.viewTimeoutMs);
    expect(gaps[1]).toBe(SIM_PARAMS.viewTimeoutMs * 2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(SIM_PARAMS.maxViewTimeoutMs);
    // alone, a node does not run away through views: it waits at view 1 re-sending its VIEW-CHANGE
    expect(e.status()).toMatchObject({ view: 1, phase: 'view-change' });
  });

  it('joins a higher view on f+1 VIEW-CHANGEs, not on f', () => {
    const c = new Cluster(4);
    c.start();
    c.pools.forEach((p) => p.add(workloadTx(0)));
    // nodes 0 and 1 time out; node 3 sees one VIEW-CHANGE (f = 1), then two
    for (const i of [0, 1]) c.step(i, { type: 'work', now: T0, pending: true });
    c.queue = [];
    for (const i of [0, 1]) c.step(i, { type: 'timer', now: T0 + 10 * SIM_PARAMS.viewTimeoutMs });
    const vcs = c.queue.filter((m) => m.to === 3 && kindOf(m.bytes) === 'viewChange');
    expect(vcs).toHaveLength(2);
    c.step(3, { type: 'message', now: T0, bytes: vcs[0].bytes });
    expect(c.engines[3].status().view).toBe(0);
    c.step(3, { type: 'message', now: T0, bytes: vcs[1].bytes });
    expect(c.engines[3].status()).toMatchObject({ view: 1, phase: 'view-change' });
  });

  it('NEW-VIEW must re-propose the highest prepared block; a fresh block instead is rejected', () => {
    const c = new Cluster(4);
    c.start();
    c.submit(0);
    // deliver everything but COMMITs: every sealer is prepared (locked) on B, nobody finalizes
    c.drain((_, bytes) => kindOf(bytes) !== 'commit');
    expect(c.finalized.every((f) => f.length === 0)).toBe(true);
    const locked = c.engines[0].status().lockedHash;
    expect(locked).not.toBeNull();
    expect(c.engines.every((e) => e.status().lockedHash === locked)).toBe(true);
    // everyone times out; the leader of (1, 1) is sealer 2
    c.queue = [];
    for (let i = 0; i < 4; i++) c.step(i, { type: 'timer', now: T0 + 10 * SIM_PARAMS.viewTimeoutMs });
    const held = c.queue;
    c.queue = [];
    for (const m of held) if (m.to === 2 && kindOf(m.bytes) !== 'commit') c.step(2, { type: 'message', now: T0, bytes: m.bytes }); // COMMITs (re-sent on the timer) stay withheld
    const nv = c.queue.find((m) => kindOf(m.bytes) === 'newView')!;
    expect(nv).toBeDefined();
    const env = ConsensusMessageCodec.decode(nv.bytes);
    if (!env.ok) throw env.error;
    const p = ConsensusPayloadCodec.decode(env.value.payload);
    if (!p.ok) throw p.error;
    expect(Buffer.from(p.value.newView!.blockHash).toString('hex')).toBe(locked);
    // the same justification with a fresh block (what the no-locking mutant would send)
    const fresh = buildWith(4, keyOf(2), [workloadTx(1)], 1, 1, GENESIS_HASH, T0 + 50)!;
    const payload = ConsensusPayloadCodec.encode({ newView: { ...p.value.newView!, blockHash: fresh.hash } });
    const forged = ConsensusMessageCodec.encode({ payload, sender: 2, signature: sign(signedBytes(payload), keyOf(2).secretKey), block: fresh.bytes });
    const r = engine(4, keyOf(3));
    r.step({ type: 'start', now: T0, head, wal: [] });
    // node 3 (restarted without its WAL: worst case) must still refuse the fresh block
    expect(r.step({ type: 'message', now: T0 + 60, bytes: forged }).some((o) => o.type === 'request-validate' || o.type === 'broadcast')).toBe(false);
    expect(r.verdictCounts()['reject:newView:not-highest-prepared']).toBe(1);
    expect(r.step({ type: 'message', now: T0 + 60, bytes: nv.bytes }).some((o) => o.type === 'request-validate')).toBe(true);
  });
});

describe('restart from the WAL: the last record at the highest view wins', () => {
  /** Every permutation of xs (xs is small). */
  function permutations<T>(xs: readonly T[]): T[][] {
    if (xs.length <= 1) return [xs.slice()];
    const out: T[][] = [];
    xs.forEach((x, i) => {
      for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
    });
    return out;
  }

  it('a restarted leader of V re-sends its NEW-VIEW and PREPARE whatever the order and crash point of its WAL records', () => {
    const c = new Cluster(4);
    c.start();
    c.submit(0);
    c.drain((_, bytes) => kindOf(bytes) !== 'commit');
    c.queue = [];
    for (let i = 0; i < 4; i++) c.step(i, { type: 'timer', now: T0 + 10 * SIM_PARAMS.viewTimeoutMs });
    const held = c.queue;
    c.queue = [];
    for (const m of held) if (m.to === 2 && kindOf(m.bytes) !== 'commit') c.step(2, { type: 'message', now: T0, bytes: m.bytes }); // COMMITs (re-sent on the timer) stay withheld
    const wal = c.outs[2].filter((o) => o.type === 'persist').map((o) => (o as { record: Uint8Array }).record);
    const kinds = wal.map((r) => `${describeWalRecord(r)!.kind}/${describeWalRecord(r)!.view}`);
    // sealer 2 (leader of (1, 1)): PREPARE and COMMIT of view 0, then VIEW-CHANGE, NEW-VIEW and PREPARE of view 1
    expect(kinds).toEqual(['prepare/0', 'commit/0', 'viewChange/1', 'newView/1', 'prepare/1']);
    let checked = 0;
    // every crash point (prefix of the append order), every order the records could come back in
    for (let len = 1; len <= wal.length; len++) {
      const prefix = wal.slice(0, len);
      const k = kinds.slice(0, len);
      const leftVc = k.some((x) => x.endsWith('/1') && !x.startsWith('viewChange'));
      const inVc = !leftVc && k.includes('viewChange/1');
      for (const order of permutations(prefix.map((_, i) => i))) {
        const e = engine(4, keyOf(2));
        const out = e.step({ type: 'start', now: T0 + 20_000, head, wal: order.map((i) => prefix[i]) });
        const sent = out.filter((o) => o.type === 'broadcast').map((o) => kindOf((o as { bytes: Uint8Array }).bytes));
        const st = e.status();
        if (leftVc) {
          expect(st).toMatchObject({ view: 1, phase: 'proposed' });
          expect(sent).toEqual(k.includes('prepare/1') ? ['newView', 'prepare'] : ['newView']);
        } else if (inVc) {
          expect(st).toMatchObject({ view: 1, phase: 'view-change' });
          expect(sent).toEqual(['viewChange']);
        } else {
          expect(st.view).toBe(0);
        }
        // nothing new is signed or persisted on restart
        expect(out.filter((o) => o.type === 'persist')).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(1 + 2 + 6 + 24 + 120);
  });
});

describe('retransmission and the commit certificate', () => {
  it('a lost PREPARE round is recovered by the re-send timer, in view 0, with doubling gaps', () => {
    const c = new Cluster(4);
    c.start();
    c.submit(0);
    c.drain((_, bytes) => kindOf(bytes) !== 'prepare'); // every PREPARE lost once
    expect(c.finalized.every((f) => f.length === 0)).toBe(true);
    const first = T0 + SIM_PARAMS.viewTimeoutMs / 4;
    for (const e of c.engines) expect(e.status().timerAt).toBe(first);
    c.now = first;
    for (let i = 0; i < 4; i++) c.step(i, { type: 'timer', now: first });
    // the next re-send waits twice as long (it is still ahead of the view deadline here)
    for (const e of c.engines) expect(e.status().timerAt).toBe(first + SIM_PARAMS.viewTimeoutMs / 2);
    c.drain();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
    for (const f of c.finalized) expect((f[0] as Extract<EngineOutput, { type: 'finalize' }>).certificate.view).toBe(0);
    for (const e of c.engines) expect(e.status().view).toBe(0);
  });

  it('a sealer that missed every COMMIT finalizes from the certificate another sealer announces; a forged one is refused', () => {
    const c = new Cluster(4);
    c.start();
    c.submit(0);
    let forged: Uint8Array | null = null;
    c.drain((to, bytes) => !(to === 3 && kindOf(bytes) === 'commit'));
    // the others hold their certificates: sealer 3 showed nothing of height 2
    expect(c.finalized.map((f) => f.length)).toEqual([1, 1, 1, 0]);
    const due = T0 + SIM_PARAMS.viewTimeoutMs / CERT_DELAY_DIVISOR;
    for (let i = 0; i < 3; i++) expect(c.engines[i].status().timerAt).toBe(due);
    c.now = due;
    for (let i = 0; i < 3; i++) c.step(i, { type: 'timer', now: due });
    c.drain((to, bytes) => {
      if (kindOf(bytes) === 'certificate' && forged === null) {
        const e = ConsensusMessageCodec.decode(bytes);
        if (!e.ok) throw e.error;
        const p = ConsensusPayloadCodec.decode(e.value.payload);
        if (!p.ok) throw p.error;
        const cert = p.value.certificate!;
        const seals = cert.seals.map((s, i) => (i === 0 ? { ...s, signature: Uint8Array.from(s.signature, (b, j) => (j === 7 ? b ^ 1 : b)) } : s));
        const payload = ConsensusPayloadCodec.encode({ certificate: { ...cert, seals } });
        forged = ConsensusMessageCodec.encode({ payload, sender: e.value.sender, signature: sign(signedBytes(payload), keyOf(e.value.sender).secretKey), block: new Uint8Array(0) });
      }
      return true;
    });
    expect(forged).not.toBeNull();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
    const f3 = c.finalized[3][0] as Extract<EngineOutput, { type: 'finalize' }>;
    expect(verifyCertificate(f3.certificate, { chainId: SIM_CHAIN_ID, height: 1, blockHash: f3.block.hash }, simSealers(4)).ok).toBe(true);
    expect(c.engines[3].verdictCounts()['accept:certificate:ok']).toBe(1);
    expect(c.engines[3].verdictCounts()['accept:commit:ok']).toBeUndefined();
    // the forged certificate (one seal's bit flipped), fed to a sealer at height 1 that knows the block
    const lagging = new Cluster(4);
    lagging.start();
    lagging.submit(0);
    lagging.drain((to, bytes) => !(to === 3 && kindOf(bytes) === 'commit'));
    expect(lagging.finalized[3]).toHaveLength(0);
    lagging.step(3, { type: 'message', now: T0, bytes: forged! });
    expect(lagging.finalized[3]).toHaveLength(0);
    expect(lagging.engines[3].verdictCounts()['reject:certificate:bad-certificate']).toBe(1);
  });

  it('the certificate is not announced when every other sealer shows it finalized that height (a signed message of the next one)', () => {
    const c = new Cluster(4);
    const certsOf = (i: number) => c.outs[i].filter((o) => o.type === 'broadcast' && o.kind === 'certificate') as Extract<EngineOutput, { type: 'broadcast' }>[];
    c.start();
    c.submit(0);
    c.drain();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
    // height 2 runs right away: the proposal and the PREPAREs of height 2 show that their senders finalized height 1
    c.submit(1);
    c.drain();
    expect(c.finalized.every((f) => f.length === 2)).toBe(true);
    for (let i = 0; i < 4; i++) expect(certsOf(i)).toEqual([]);
    // nothing follows height 2: each sealer announces that certificate when it is due
    const due = T0 + SIM_PARAMS.viewTimeoutMs / CERT_DELAY_DIVISOR;
    for (let i = 0; i < 4; i++) expect(c.engines[i].status().timerAt).toBe(due);
    c.now = due;
    for (let i = 0; i < 4; i++) c.step(i, { type: 'timer', now: due });
    for (let i = 0; i < 4; i++) expect(certsOf(i).map((o) => o.height)).toEqual([2]);
    c.drain();
    expect(c.finalized.every((f) => f.length === 2)).toBe(true);
  });
});

describe('the block period (a leader-local policy)', () => {
  const builds = (c: Cluster, i: number, height: number) => c.outs[i].filter((o) => o.type === 'request-build' && o.height === height);
  /** Every engine's timer at `t` (the held certificates of the height before go out), then the network. */
  const tick = (c: Cluster, t: number) => {
    c.now = t;
    for (let i = 0; i < c.n; i++) c.step(i, { type: 'timer', now: t });
    c.drain();
  };

  it('the leader waits out its period after the parent block, then proposes; a full block ends the wait at once', () => {
    const c = new Cluster(4, 0, { blockPeriodMs: 120, proposalMaxTxs: 3 });
    c.start();
    c.submit(0); // the genesis block is 1 s old: no wait for height 1
    c.drain();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
    const parentTs = c.finalized[0][0].block.header.timestamp;
    expect(parentTs).toBe(T0);
    // height 2 (leader: sealer 2): one tx 10 ms later waits until 120 ms after the parent
    c.now = T0 + 10;
    c.submit(1);
    c.drain();
    tick(c, T0 + SIM_PARAMS.viewTimeoutMs / CERT_DELAY_DIVISOR);
    expect(builds(c, 2, 2)).toEqual([]);
    expect(c.engines[2].status().timerAt).toBe(T0 + 120);
    // the timer fires 1 ms early (Node's do): still no build, the timer is set again
    c.now = T0 + 119;
    c.step(2, { type: 'timer', now: c.now });
    expect(builds(c, 2, 2)).toEqual([]);
    expect(c.engines[2].status().timerAt).toBe(T0 + 120);
    c.now = T0 + 120;
    c.step(2, { type: 'timer', now: c.now });
    expect(builds(c, 2, 2)).toHaveLength(1);
    c.drain();
    expect(c.finalized.every((f) => f.length === 2)).toBe(true);
    // height 3 (leader: sealer 3): two txs wait, the third fills a block (proposalMaxTxs 3): proposed at once
    c.now = T0 + 130;
    c.submit(2);
    c.submit(3);
    c.drain();
    expect(builds(c, 3, 3)).toEqual([]);
    c.submit(4);
    expect(builds(c, 3, 3)).toHaveLength(1);
    c.drain();
    expect(c.finalized.every((f) => f.length === 3)).toBe(true);
    expect(c.finalized[0][2].block.txs).toHaveLength(3);
  });

  it('is capped at a quarter of the view timeout, and never runs past a period after entering the height (a clock behind the parent\'s)', () => {
    const c = new Cluster(4, 0, { blockPeriodMs: 10_000 });
    c.start();
    // sealer 1, leader of height 1, runs 1,000 ms ahead: its block is stamped T0 + 1,000
    c.pools.forEach((p) => p.add(workloadTx(0)));
    c.step(1, { type: 'work', now: T0 + 1000, pending: true });
    c.drain();
    expect(c.finalized.every((f) => f.length === 1)).toBe(true);
    expect(c.finalized[0][0].block.header.timestamp).toBe(T0 + 1000);
    // sealer 2 (leader of height 2) entered the height at T0 on its own clock: it waits a
    // capped period from there (600 / 4 = 150 ms), not 150 ms after T0 + 1,000
    c.now = T0 + 5;
    c.submit(1);
    tick(c, T0 + SIM_PARAMS.viewTimeoutMs / CERT_DELAY_DIVISOR);
    expect(builds(c, 2, 2)).toEqual([]);
    expect(c.engines[2].status().timerAt).toBe(T0 + SIM_PARAMS.viewTimeoutMs / 4);
    c.now = T0 + SIM_PARAMS.viewTimeoutMs / 4;
    c.step(2, { type: 'timer', now: c.now });
    expect(builds(c, 2, 2)).toHaveLength(1);
    expect(builds(c, 2, 2)[0]).toMatchObject({ timestamp: T0 + 1001 }); // the chain's floor: after the parent
    c.drain();
    expect(c.finalized.every((f) => f.length === 2)).toBe(true);
  });
});

describe('equivocation evidence', () => {
  it('two PRE-PREPAREs of the leader for one (h, 0) give one piece of evidence: both signed envelopes, attachments stripped', () => {
    const a = buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0)!;
    const b = buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0 + 1)!;
    const pp = (blk: typeof a) => {
      const payload = ConsensusPayloadCodec.encode({ prePrepare: { height: 1, view: 0, blockHash: blk.hash } });
      return ConsensusMessageCodec.encode({ payload, sender: 1, signature: sign(signedBytes(payload), keyOf(1).secretKey), block: blk.bytes });
    };
    const r = engine(4, keyOf(2));
    r.step({ type: 'start', now: T0, head, wal: [] });
    r.step({ type: 'message', now: T0 + 5, bytes: pp(a) });
    const out = r.step({ type: 'message', now: T0 + 6, bytes: pp(b) });
    const ev = out.filter((o) => o.type === 'equivocation') as Extract<EngineOutput, { type: 'equivocation' }>[];
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ kind: 'prePrepare', height: 1, view: 0, sender: 1 });
    const hashes = ev[0].messages.map((m) => {
      const e = ConsensusMessageCodec.decode(m);
      if (!e.ok) throw e.error;
      expect(e.value.block.length).toBe(0);
      const p = ConsensusPayloadCodec.decode(e.value.payload);
      if (!p.ok) throw p.error;
      expect(memoVerify(e.value.signature, signedBytes(e.value.payload), keyOf(1).publicKey)).toBe(true);
      return Buffer.from(p.value.prePrepare!.blockHash).toString('hex');
    });
    expect(hashes).toEqual([a.hashHex.slice(2), b.hashHex.slice(2)]);
    // a third proposal is not evidence again
    const c = buildWith(4, keyOf(1), [workloadTx(0)], 1, 0, GENESIS_HASH, T0 + 2)!;
    expect(r.step({ type: 'message', now: T0 + 7, bytes: pp(c) }).some((o) => o.type === 'equivocation')).toBe(false);
  });
});
