import { describe, expect, it } from 'vitest';
import { signTx, TxVerifier, type SignedTx } from '../../src/chain/index.ts';
import { PbftEngine, type EngineInput, type EngineOutput, type EngineStatus } from '../../src/consensus/index.ts';
import { Ledger, openState, type LedgerEngine, type LedgerOutput } from '../../src/ledger/index.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { genesisHash } from '../../src/chain/genesis.ts';
import { toHex } from '../../src/util/bytes.ts';
import { SIM_CHAIN_ID, T0, labelKey, sealerKey, simChain, workloadTx } from '../sim/ledger-node.ts';

/** A ledger of sealer `me` of an n-sealer chain over a MemoryDatabase, with the real engine (or `engine`). */
async function setup(n: number, me: number, o: { engine?: (sealersAt: (h: number) => never) => LedgerEngine; proposalMaxTxs?: number } = {}) {
  const { genesis } = simChain(n);
  const store = await ChainStore.open(new MemoryDatabase(), { genesisHash: genesisHash(genesis) });
  const { state, fresh } = await openState(store, genesis);
  const verifier = new TxVerifier();
  const clock = { t: T0 };
  const pool = new TxPool({ chainId: SIM_CHAIN_ID }, { state, verifier, now: () => clock.t });
  const key = sealerKey(me);
  const engine = o.engine ? o.engine(() => undefined as never) : new PbftEngine({ chainId: SIM_CHAIN_ID, params: genesis.params }, { key, sealersAt: (h) => ledger.sealersAt(h) });
  let wakes = 0;
  const ledger = new Ledger({ genesis, proposalMaxTxs: o.proposalMaxTxs }, { state, store, pool, engine, verifier, key, now: () => clock.t, onWork: () => wakes++ });
  const outs: LedgerOutput[] = [];
  const step = (input: EngineInput) => ledger.step(input, (x) => void outs.push(x));
  const head = store.head()!;
  return { store, state, pool, ledger, outs, step, clock, fresh, wakes: () => wakes, head: { height: 0, hash: head.hash, timestamp: genesis.timestamp } };
}

const gapTx = (label: string, nonce: number): SignedTx => signTx(labelKey(label), SIM_CHAIN_ID, nonce, { kind: 'transfer', transfer: { to: new Uint8Array(20), amount: 1 } });

describe('Ledger', () => {
  it('n = 1: builds, finalizes and writes a block over a MemoryDatabase; state, store and pool agree', async () => {
    const l = await setup(1, 0);
    expect(l.fresh).toBe(true);
    l.step({ type: 'start', now: T0, head: l.head, wal: [] });
    expect(l.pool.add(workloadTx(0)).ok).toBe(true);
    expect(l.wakes()).toBe(1);
    l.step(l.ledger.workInput());
    const fin = l.outs.filter((x) => x.type === 'finalized');
    expect(fin).toHaveLength(1);
    const f = fin[0] as Extract<LedgerOutput, { type: 'finalized' }>;
    expect(f.block.header.height).toBe(1);
    expect(l.state.height).toBe(1);
    expect(l.pool.size).toBe(0);
    await (await l.ledger.write(f)).durable;
    const head = l.store.head()!;
    expect({ height: head.height, hash: toHex(head.hash), root: toHex(head.stateRoot) }).toEqual({ height: 1, hash: toHex(f.block.hash), root: toHex(f.block.header.stateRoot) });
    expect(l.ledger.sealersAt(2).n).toBe(1);
  });

  it('queued txs are not work: no proposal, no view timer; the first executable tx wakes the engine', async () => {
    const l = await setup(4, 1); // sealer 1 leads (height 1, view 0)
    l.step({ type: 'start', now: T0, head: l.head, wal: [] });
    expect(l.pool.add(gapTx('gap-a', 1)).ok).toBe(true);
    expect(l.pool.add(gapTx('gap-b', 64)).ok).toBe(true);
    expect(l.ledger.hasWork()).toBe(false);
    expect(l.wakes()).toBe(0);
    l.step(l.ledger.workInput());
    expect(l.outs.some((x) => x.type === 'broadcast' || (x.type === 'set-timer' && x.at !== null))).toBe(false);
    expect(l.ledger.engine.status()).toMatchObject({ view: 0, pending: false, timerAt: null });
    expect(l.pool.add(workloadTx(0)).ok).toBe(true);
    expect(l.pool.add(workloadTx(1)).ok).toBe(true);
    expect(l.wakes()).toBe(1); // one call per change, not one per tx
    l.step(l.ledger.workInput());
    expect(l.outs.some((x) => x.type === 'broadcast' && x.kind === 'prePrepare')).toBe(true);
    expect(l.ledger.engine.status().pending).toBe(true);
  });

  it('a pool that fills a block is signalled once more: the engine hears "full" (a leader with a block period stops waiting)', async () => {
    const l = await setup(4, 2, { proposalMaxTxs: 3 }); // sealer 2 is a replica at height 1
    l.step({ type: 'start', now: T0, head: l.head, wal: [] });
    expect(l.ledger.fullBlockTxs).toBe(3);
    l.pool.add(workloadTx(0));
    expect(l.wakes()).toBe(1);
    expect(l.ledger.workInput()).toMatchObject({ pending: true, full: false });
    l.pool.add(workloadTx(1));
    expect(l.wakes()).toBe(1); // no change: some work, not a full block
    l.pool.add(workloadTx(2));
    expect(l.wakes()).toBe(2); // a full block now
    l.pool.add(workloadTx(3));
    expect(l.wakes()).toBe(2);
    expect(l.ledger.workInput()).toMatchObject({ pending: true, full: true });
    // the driver's input is replaced by the ledger's answer, whatever it says
    const seen: EngineInput[] = [];
    const step = l.ledger.engine.step.bind(l.ledger.engine);
    l.ledger.engine.step = (input) => (seen.push(input), step(input));
    l.step({ type: 'work', now: T0, pending: false });
    expect(seen[0]).toMatchObject({ type: 'work', pending: true, full: true });
  });

  it('a build that finds nothing tells the engine "no work", and new work is signalled again', async () => {
    const seen: EngineInput[] = [];
    const status = { pending: false } as EngineStatus;
    // an engine that asks for a block on every timer, as a new leader does in a view change
    const stub = (): LedgerEngine => ({
      step(input) {
        seen.push(input);
        const out: EngineOutput[] = [];
        if (input.type === 'timer') out.push({ type: 'request-build', height: 1, view: 1, parentHash: new Uint8Array(32), timestamp: T0 });
        return out;
      },
      status: () => status,
    });
    // proposalMaxTxs 0: every build comes back empty although the pool has executable txs
    const l = await setup(4, 1, { engine: stub, proposalMaxTxs: 0 });
    l.step({ type: 'start', now: T0, head: l.head, wal: [] });
    l.pool.add(workloadTx(0));
    expect(l.wakes()).toBe(1);
    l.step(l.ledger.workInput());
    expect(seen.at(-1)).toMatchObject({ type: 'work', pending: true });
    l.step({ type: 'timer', now: T0 + 1 });
    expect(seen.slice(-2)).toMatchObject([{ type: 'built', block: null }, { type: 'work', pending: false }]);
    l.pool.add(workloadTx(1));
    expect(l.wakes()).toBe(2); // re-signalled: the engine was told "no work" and work arrived
  });

  it('write-behind: synced blocks are written in order with at most syncWriteBehind in flight', async () => {
    const { genesis } = simChain(1);
    const store = await ChainStore.open(new MemoryDatabase(), { genesisHash: genesisHash(genesis) });
    const { state } = await openState(store, genesis);
    const verifier = new TxVerifier();
    const pool = new TxPool({ chainId: SIM_CHAIN_ID }, { state, verifier });
    const key = sealerKey(0);
    const engine = new PbftEngine({ chainId: SIM_CHAIN_ID, params: genesis.params }, { key, sealersAt: (h) => ledger.sealersAt(h) });
    // a disk whose writes finish only when the test says so
    const pendingWrites: { height: number; done: () => void }[] = [];
    const slow = { commitBlock: (c: { block: { header: { height: number } } }) => new Promise<void>((done) => pendingWrites.push({ height: c.block.header.height, done })) };
    const ledger = new Ledger({ genesis, syncWriteBehind: 2 }, { state, store: slow, pool, engine, verifier, key, now: () => T0, onWork: () => {} });
    const fin: Extract<LedgerOutput, { type: 'finalized' }>[] = [];
    ledger.step({ type: 'start', now: T0, head: { height: 0, hash: store.head()!.hash, timestamp: genesis.timestamp }, wal: [] }, () => {});
    for (let k = 0; k < 3; k++) {
      pool.add(workloadTx(k * 8)); // client 0, nonces 0, 1, 2: one block each
      ledger.step(ledger.workInput(), (o) => void (o.type === 'finalized' && fin.push({ ...o, viaSync: true })));
    }
    expect(fin.map((f) => f.block.header.height)).toEqual([1, 2, 3]);
    const w1 = await ledger.write(fin[0]);
    const w2 = await ledger.write(fin[1]);
    let third = false;
    const w3p = ledger.write(fin[2]).then((w) => ((third = true), w));
    await new Promise((r) => setImmediate(r));
    expect(pendingWrites.map((w) => w.height)).toEqual([1, 2]); // block 3 waits for room
    expect(third).toBe(false);
    pendingWrites[0].done();
    await w1.durable;
    const w3 = await w3p;
    expect(pendingWrites.map((w) => w.height)).toEqual([1, 2, 3]);
    pendingWrites[1].done();
    pendingWrites[2].done();
    await Promise.all([w2.durable, w3.durable]);
  });

  it('reopens from the store: the state is rebuilt at the stored head', async () => {
    const db = new MemoryDatabase();
    const { genesis } = simChain(1);
    const store = await ChainStore.open(db, { genesisHash: genesisHash(genesis) });
    const a = await openState(store, genesis);
    expect(a.fresh).toBe(true);
    const b = await openState(store, genesis);
    expect(b.fresh).toBe(false);
    expect(b.state.stateRoot).toEqual(a.state.stateRoot);
  });
});
