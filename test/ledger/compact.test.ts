import { describe, expect, it } from 'vitest';
import { buildBlock, decodeBlock, decodeTx, signTx, TxVerifier, type DecodedBlock, type SignedTx } from '../../src/chain/index.ts';
import { TxCodec } from '../../src/codec/chain.ts';
import { ConsensusMessageCodec } from '../../src/codec/consensus.ts';
import { PbftEngine, type EngineInput } from '../../src/consensus/index.ts';
import { CompactProposals, Ledger, openState, type LedgerOutput } from '../../src/ledger/index.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { genesisHash } from '../../src/chain/genesis.ts';
import { toHex } from '../../src/util/bytes.ts';
import { SIM_CHAIN_ID, T0, labelKey, sealerKey, simChain, workloadTx } from '../sim/ledger-node.ts';

const N = 4;
const TXS = 24;

/** Sealer `me` of a 4-sealer chain: real pool, engine and ledger over a MemoryDatabase, and its CompactProposals. */
async function sealer(me: number) {
  const { genesis } = simChain(N);
  const store = await ChainStore.open(new MemoryDatabase(), { genesisHash: genesisHash(genesis) });
  const { state } = await openState(store, genesis);
  const verifier = new TxVerifier();
  const pool = new TxPool({ chainId: SIM_CHAIN_ID }, { state, verifier, now: () => T0 });
  const engine = new PbftEngine({ chainId: SIM_CHAIN_ID, params: genesis.params }, { key: sealerKey(me), sealersAt: (h) => ledger.sealersAt(h) });
  const ledger = new Ledger({ genesis, proposalMaxTxs: 1000 }, { state, store, pool, engine, verifier, key: sealerKey(me), now: () => T0, onWork: () => {} });
  const compact = new CompactProposals({ chainId: SIM_CHAIN_ID, params: genesis.params }, pool);
  const outs: LedgerOutput[] = [];
  const step = (input: EngineInput) => ledger.step(input, (x) => void outs.push(x));
  step({ type: 'start', now: T0, head: { height: 0, hash: store.head()!.hash, timestamp: genesis.timestamp }, wal: [] });
  return { pool, engine, ledger, compact, outs, step, genesis };
}

/** The leader of (1, 0) (sealer 1) proposes a block of the first TXS workload txs: its PRE-PREPARE, full and compact. */
async function proposal() {
  const leader = await sealer(1);
  for (let i = 0; i < TXS; i++) expect(leader.pool.add(workloadTx(i)).ok).toBe(true);
  leader.step(leader.ledger.workInput());
  const pp = leader.outs.find((o) => o.type === 'broadcast' && o.kind === 'prePrepare') as Extract<LedgerOutput, { type: 'broadcast' }>;
  expect(pp).toBeDefined();
  const full = pp.bytes;
  const block = decodeBlock(ConsensusMessageCodec.decode(full).ok ? (ConsensusMessageCodec.decode(full) as { value: { block: Uint8Array } }).value.block : new Uint8Array(0), { chainId: SIM_CHAIN_ID, params: leader.genesis.params });
  if (!block.ok) throw new Error('leader block does not decode');
  const wire = leader.compact.compact(full, 'prePrepare');
  return { leader, full, wire, block: block.value };
}

const prepared = (outs: LedgerOutput[]) => outs.some((o) => o.type === 'broadcast' && o.kind === 'prepare');

/** A tx of a fresh key with a flipped signature bit (decodes; its signature does not verify). */
function badlySigned(): SignedTx {
  const t = signTx(labelKey('compact-bad'), SIM_CHAIN_ID, 0, { kind: 'transfer', transfer: { to: new Uint8Array(20), amount: 1 } });
  const sig = new Uint8Array(t.tx.signature);
  sig[3] ^= 1;
  const d = decodeTx(TxCodec.encode({ ...t.tx, signature: sig }), { chainId: SIM_CHAIN_ID, maxTxBytes: 1 << 20 });
  if (!d.ok) throw new Error('bad tx does not decode');
  return d.value;
}

describe('compact proposals: the wire form', () => {
  it('the leader sends header + tx ids: a fraction of the bytes, same payload and signature, no block', async () => {
    const { full, wire, block } = await proposal();
    const f = ConsensusMessageCodec.decode(full);
    const c = ConsensusMessageCodec.decode(wire);
    if (!f.ok || !c.ok) throw new Error('decode');
    expect(c.value.block.length).toBe(0);
    expect(toHex(c.value.payload)).toBe(toHex(f.value.payload));
    expect(toHex(c.value.signature)).toBe(toHex(f.value.signature));
    expect(c.value.compact!.txIds.map((x) => toHex(x, true))).toEqual(block.txs.map((t) => t.hashHex));
    expect(toHex(c.value.compact!.header)).toBe(toHex(block.headerBytes));
    // header + 24 × (32 + 2) bytes of ids against 24 whole txs
    expect(wire.length).toBeLessThan(full.length / 2);
    // votes and anything without a block go out unchanged
    const { leader } = await proposal();
    const prep = leader.outs.find((o) => o.type === 'broadcast' && o.kind === 'prepare') as Extract<LedgerOutput, { type: 'broadcast' }>;
    expect(leader.compact.compact(prep.bytes, 'prepare')).toBe(prep.bytes);
  });

  it('the codec refuses a message with a block and a compact block, ids that are not 32 bytes', async () => {
    const { wire, block } = await proposal();
    const c = ConsensusMessageCodec.decode(wire);
    if (!c.ok) throw new Error('decode');
    expect(ConsensusMessageCodec.decode(ConsensusMessageCodec.encode({ ...c.value, block: block.bytes })).ok).toBe(false);
    const short = { header: c.value.compact!.header, txIds: [new Uint8Array(31)] };
    expect(ConsensusMessageCodec.decode(ConsensusMessageCodec.encode({ ...c.value, compact: short })).ok).toBe(false);
  });
});

describe('compact proposals: rebuild from the pool', () => {
  it('a replica holding every tx rebuilds the exact block, and its engine PREPAREs it', async () => {
    const { wire, block } = await proposal();
    const r = await sealer(2);
    for (let i = 0; i < TXS; i++) r.pool.add(workloadTx(i));
    const x = r.compact.expand(wire);
    if (x.type !== 'ready') throw new Error(`expected ready, got ${x.type}`);
    expect(x.block.hashHex).toBe(block.hashHex);
    expect(toHex(x.block.bytes)).toBe(toHex(block.bytes));
    expect(r.compact.stats.txsFromPool).toBe(TXS);
    r.step({ type: 'message', now: T0, bytes: wire, block: x.block });
    expect(prepared(r.outs)).toBe(true);
    expect(r.engine.verdictCounts()['accept:prePrepare:ok']).toBe(1);
  });

  it('without the rebuilt block the engine refuses the compact envelope (it carries no block)', async () => {
    const { wire } = await proposal();
    const r = await sealer(2);
    r.step({ type: 'message', now: T0, bytes: wire });
    expect(prepared(r.outs)).toBe(false);
    expect(r.engine.verdictCounts()['reject:prePrepare:bad-block']).toBe(1);
  });
});

describe('compact proposals: only the leader\'s, of heights not yet decided', () => {
  it('a compact proposal the driver does not want (not from the leader, a decided height) goes to the engine as it is: no rebuild, no fetch', async () => {
    const { wire } = await proposal();
    const r = await sealer(2);
    const asked: [number, number, number][] = [];
    const picky = new CompactProposals({ chainId: SIM_CHAIN_ID, params: r.genesis.params, wanted: (h, v, s) => (asked.push([h, v, s]), s === 3) }, r.pool);
    expect(picky.expand(wire)).toEqual({ type: 'full' });
    expect(asked).toEqual([[1, 0, 1]]);
    expect(picky.waiting).toBe(0);
    // the engine refuses the blockless envelope on its own
    r.step({ type: 'message', now: T0, bytes: wire });
    expect(prepared(r.outs)).toBe(false);
  });
});

describe('compact proposals: missing txs fetched', () => {
  it('asks for exactly the missing ids; wrong, garbage, short and oversized answers are sorted out', async () => {
    const { wire, block, leader } = await proposal();
    const r = await sealer(2);
    const lost = new Set([3, 7, 20]);
    for (let i = 0; i < TXS; i++) if (!lost.has(i)) r.pool.add(workloadTx(i));
    const x = r.compact.expand(wire);
    if (x.type !== 'missing') throw new Error(`expected missing, got ${x.type}`);
    expect(x.fresh).toBe(true);
    expect(x.sender).toBe(1);
    expect(x.ids.map((id) => toHex(id, true)).sort()).toEqual([3, 7, 20].map((i) => workloadTx(i).hashHex).sort());
    // the same message again (a re-send) joins the fetch in flight
    const again = r.compact.expand(wire);
    expect(again.type === 'missing' && !again.fresh).toBe(true);
    // wrong txs (valid, but not asked for) and garbage: nothing kept
    const wrong = r.compact.supply(x.key, [workloadTx(30).bytes, workloadTx(31).bytes, new Uint8Array([1, 2, 3]), new Uint8Array(0)]);
    expect(wrong).toMatchObject({ type: 'missing', useful: 0, useless: 4 });
    // a short answer: one of three
    const short = r.compact.supply(x.key, [workloadTx(7).bytes]);
    expect(short.type === 'missing' && short.ids.length).toBe(2);
    // the leader serves them from its pool; an oversized answer (repeats, extras) still completes
    const served = leader.compact.serve(short.type === 'missing' ? short.ids : [], 1 << 20);
    expect(served).toHaveLength(2);
    const done = r.compact.supply(x.key, [...served, ...served, workloadTx(7).bytes, workloadTx(40).bytes]);
    if (done.type !== 'ready') throw new Error(`expected ready, got ${done.type}`);
    expect(done.block.hashHex).toBe(block.hashHex);
    expect(toHex(done.bytes)).toBe(toHex(wire));
    expect(r.compact.waiting).toBe(0);
    // the fetched txs are signature-checked by validation like any block's: the engine PREPAREs
    r.step({ type: 'message', now: T0, bytes: done.bytes, block: done.block });
    expect(prepared(r.outs)).toBe(true);
    expect(r.compact.stats).toMatchObject({ waited: 1, completed: 1, txsMissing: 3, txsFetched: 3 });
  });

  it('an id nobody holds never completes; abandon drops it, and it is fetched afresh if it comes again', async () => {
    const { wire } = await proposal();
    const c = ConsensusMessageCodec.decode(wire);
    if (!c.ok) throw new Error('decode');
    const ids = [...c.value.compact!.txIds];
    ids[5] = new Uint8Array(32).fill(7);
    const forged = ConsensusMessageCodec.encode({ ...c.value, compact: { header: c.value.compact!.header, txIds: ids } });
    const r = await sealer(2);
    for (let i = 0; i < TXS; i++) r.pool.add(workloadTx(i));
    const x = r.compact.expand(forged);
    if (x.type !== 'missing') throw new Error(`expected missing, got ${x.type}`);
    expect(x.ids.map((id) => toHex(id))).toEqual([toHex(ids[5])]);
    expect(r.compact.supply(x.key, [workloadTx(5).bytes]).type).toBe('missing');
    r.compact.abandon(x.key);
    expect(r.compact.supply(x.key, []).type).toBe('unknown');
    const y = r.compact.expand(forged);
    expect(y.type === 'missing' && y.fresh).toBe(true);
  });

  it('ids whose txs do not make the header\'s tx root: invalid, never handed to the engine', async () => {
    const { wire } = await proposal();
    const c = ConsensusMessageCodec.decode(wire);
    if (!c.ok) throw new Error('decode');
    const ids = [...c.value.compact!.txIds];
    [ids[0], ids[1]] = [ids[1], ids[0]]; // same txs, another order: another root
    const swapped = ConsensusMessageCodec.encode({ ...c.value, compact: { header: c.value.compact!.header, txIds: ids } });
    const r = await sealer(2);
    for (let i = 0; i < TXS; i++) r.pool.add(workloadTx(i));
    expect(r.compact.expand(swapped)).toMatchObject({ type: 'invalid' });
    // too many ids for the chain's block limit
    const many = ConsensusMessageCodec.encode({ ...c.value, compact: { header: c.value.compact!.header, txIds: Array.from({ length: r.genesis.params.maxBlockTxs + 1 }, () => new Uint8Array(32)) } });
    expect(r.compact.expand(many)).toMatchObject({ type: 'invalid' });
  });

  it('a leader that lists a badly signed tx and serves it: the block is rebuilt, validation refuses it, no PREPARE', async () => {
    const { leader } = await proposal();
    const good = await proposal();
    const bad = badlySigned();
    const h = good.block.header;
    const blk: DecodedBlock = buildBlock({ chainId: h.chainId, height: h.height, parentHash: h.parentHash, timestamp: h.timestamp, proposer: h.proposer, view: h.view, stateRoot: h.stateRoot, receiptRoot: h.receiptRoot }, [bad, ...good.block.txs.slice(1)]);
    const e = ConsensusMessageCodec.decode(good.full);
    if (!e.ok) throw new Error('decode');
    // the leader's own signature over a PRE-PREPARE of this block (what a Byzantine leader can sign)
    const { signedBytes } = await import('../../src/consensus/engine.ts');
    const { sign } = await import('../../src/crypto/keys.ts');
    const { ConsensusPayloadCodec } = await import('../../src/codec/consensus.ts');
    const payload = ConsensusPayloadCodec.encode({ prePrepare: { height: 1, view: 0, blockHash: blk.hash } });
    const full = ConsensusMessageCodec.encode({ payload, sender: 1, signature: sign(signedBytes(payload), sealerKey(1).secretKey), block: blk.bytes });
    const wire = leader.compact.compact(full, 'prePrepare');
    const r = await sealer(2);
    for (let i = 0; i < TXS; i++) r.pool.add(workloadTx(i));
    const x = r.compact.expand(wire);
    if (x.type !== 'missing') throw new Error(`expected missing, got ${x.type}`);
    const done = r.compact.supply(x.key, leader.compact.serve(x.ids, 1 << 20));
    if (done.type !== 'ready') throw new Error(`expected ready, got ${done.type}`);
    r.step({ type: 'message', now: T0, bytes: done.bytes, block: done.block });
    expect(prepared(r.outs)).toBe(false);
    expect(r.engine.verdictCounts()['reject:proposal:app-invalid']).toBe(1);
  });
});

describe('compact proposals: the fetch server', () => {
  it('answers from the pool, then from recent blocks after the pool dropped them; each id once, within the byte budget', async () => {
    const { leader, block } = await proposal();
    const ids = block.txs.map((t) => t.hash);
    expect(leader.compact.serve([ids[0], ids[0], ids[1], new Uint8Array(32)], 1 << 20).map((b) => toHex(b))).toEqual([toHex(block.txs[0].bytes), toHex(block.txs[1].bytes)]);
    const one = block.txs[0].bytes.length + 8;
    expect(leader.compact.serve(ids, one * 3)).toHaveLength(3);
    // the block finalized and left the pool: the recent blocks still answer
    leader.pool.onCommit(block.txs);
    expect(leader.pool.size).toBe(0);
    expect(leader.compact.serve(ids, 1 << 20)).toHaveLength(TXS);
    // only the last 8 blocks are kept; a tx in two of them stays while one holds it
    const params = simChain(N).genesis.params;
    const only = new CompactProposals({ chainId: SIM_CHAIN_ID, params }, { get: () => undefined });
    const h = block.header;
    const fields = { chainId: h.chainId, height: h.height, parentHash: h.parentHash, timestamp: h.timestamp, proposer: h.proposer, view: h.view, stateRoot: h.stateRoot, receiptRoot: h.receiptRoot };
    for (let k = 0; k < 9; k++) only.noteBlock(buildBlock({ ...fields, timestamp: h.timestamp + k }, k === 0 ? [workloadTx(0), workloadTx(100)] : [workloadTx(k), ...(k === 5 ? [workloadTx(100)] : [])]));
    const served = (i: number) => only.serve([workloadTx(i).hash], 1 << 20).length;
    expect([served(0), served(100), served(1), served(8)]).toEqual([0, 1, 1, 1]);
  });
});
