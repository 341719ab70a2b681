import { afterEach, describe, expect, it } from 'vitest';
import { FinalizedBlockCodec, ReceiptCodec } from '../../src/codec/chain.ts';
import { decodeCertificate, verifyCertificate } from '../../src/chain/certificate.ts';
import { decodeBlock } from '../../src/chain/block.ts';
import { genesisHash, genesisSealerSet } from '../../src/chain/genesis.ts';
import { DEFAULT_PARAMS } from '../../src/chain/params.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { toHex, u32be, utf8 } from '../../src/util/bytes.ts';
import { ChainStore, SCHEMA_VERSION } from '../../src/storage/chain-store.ts';
import { keys, MetaKey } from '../../src/storage/keys.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import type { BatchOp, BatchOptions, Database, IterateOptions } from '../../src/storage/interface.ts';
import { readU64be } from '../../src/util/bytes.ts';
import { BACKENDS, buildChain, blockCommit, CHAIN_ID, expectedState, genesisCommit, makeBackend, testGenesis, type Backend } from './helpers.ts';

type Chain = ReturnType<typeof buildChain>;
const hex = (b: Uint8Array) => toHex(b);

async function stateOf(store: ChainStore): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for await (const [k, v] of store.iterateState()) m.set(toHex(k), toHex(v));
  return m;
}

async function commitUpTo(store: ChainStore, chain: Chain, upTo: number): Promise<void> {
  if (!store.head()) await store.commitGenesis(chain.genesis);
  for (const c of chain.blocks.slice(store.head()!.height, upTo)) await store.commitBlock(c);
}

/** Checks every repository against the chain as committed through `height`, and that nothing above it exists. */
async function expectChainThrough(store: ChainStore, chain: Chain, height: number): Promise<void> {
  const top = height === 0 ? chain.genesis : chain.blocks[height - 1];
  const head = store.head()!;
  expect({ height: head.height, hash: hex(head.hash), stateRoot: hex(head.stateRoot) }).toEqual({ height, hash: hex(top.block.hash), stateRoot: hex(top.stateRoot) });
  const committed = chain.blocks.slice(0, height);
  expect(store.counters()).toEqual({
    totalTxs: committed.reduce((n, c) => n + c.block.txs.length, 0),
    failedTxs: committed.reduce((n, c) => n + c.failed, 0),
  });
  const g = await store.getBlockByHeight(0);
  expect(hex(g!.block)).toBe(hex(chain.genesis.block.bytes));
  expect(g?.certificate.length).toBe(0);
  for (const c of committed) {
    const h = c.block.header.height;
    const byHeight = (await store.getBlockByHeight(h))!;
    expect(hex(byHeight.finalized)).toBe(hex(FinalizedBlockCodec.encode({ block: c.block.bytes, certificate: c.certificate })));
    expect(hex(byHeight.block)).toBe(hex(c.block.bytes));
    expect(hex(byHeight.hash)).toBe(hex(c.block.hash));
    expect(byHeight.header.height).toBe(h);
    expect(byHeight.txs.map(hex)).toEqual(c.block.txs.map((t) => hex(t.bytes)));
    expect(hex(byHeight.certificate)).toBe(hex(c.certificate));
    const byHash = (await store.getBlockByHash(c.block.hash))!;
    expect(hex(byHash.finalized)).toBe(hex(byHeight.finalized));
    for (let i = 0; i < c.block.txs.length; i++) {
      const t = c.block.txs[i];
      expect(await store.getTxLocation(t.hash)).toEqual({ height: h, index: i });
      const tx = (await store.getTx(t.hash))!;
      expect({ ...tx, bytes: hex(tx.bytes) }).toEqual({ bytes: hex(t.bytes), height: h, index: i });
      expect(hex((await store.getReceipt(t.hash))!)).toBe(hex(c.receipts[i]));
    }
  }
  for (const c of chain.blocks.slice(height)) {
    expect(await store.getBlockByHeight(c.block.header.height)).toBeUndefined();
    expect(await store.getBlockByHash(c.block.hash)).toBeUndefined();
    for (const t of c.block.txs) {
      expect(await store.getTxLocation(t.hash)).toBeUndefined();
      expect(await store.getTx(t.hash)).toBeUndefined();
      expect(await store.getReceipt(t.hash)).toBeUndefined();
    }
  }
  expect(await stateOf(store)).toEqual(expectedState(chain, height));
}

describe.each(BACKENDS)('ChainStore (%s)', (name) => {
  let backend: Backend;
  const chain = buildChain(8);
  afterEach(async () => {
    await backend?.cleanup();
  });

  it('opens an empty database with no head and zero counters', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    expect(store.head()).toBeUndefined();
    expect(store.counters()).toEqual({ totalTxs: 0, failedTxs: 0 });
    expect(await store.getBlockByHeight(0)).toBeUndefined();
    expect(await stateOf(store)).toEqual(new Map());
  });

  it('commits genesis and a chain of blocks and reads every repository back', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db, { genesisHash: chain.genesis.genesisHash });
    await store.commitGenesis(chain.genesis);
    await expectChainThrough(store, chain, 0);
    await commitUpTo(store, chain, 8);
    await expectChainThrough(store, chain, 8);
    expect(store.counters().totalTxs).toBeGreaterThan(10);
    expect(store.counters().failedTxs).toBeGreaterThan(0);
    expect(hex(store.genesisHash()!)).toBe(hex(chain.genesis.genesisHash));
    // Stored blocks are what consensus produced: they decode and their certificates verify.
    const b5 = (await store.getBlockByHeight(5))!;
    expect(decodeBlock(b5.block, { chainId: CHAIN_ID, params: DEFAULT_PARAMS }).ok).toBe(true);
    const cert = decodeCertificate(b5.certificate);
    expect(cert.ok && verifyCertificate(cert.value, { chainId: CHAIN_ID, height: 5, blockHash: b5.hash }, genesisSealerSet(testGenesis())).ok).toBe(true);
    const r = ReceiptCodec.decode((await store.getReceipt(chain.blocks[3].block.txs[0].hash))!);
    expect(r.ok && r.value.height).toBe(4);
    expect(hex((await store.getState(utf8('height')))!)).toBe(hex(chain.blocks[7].writes[0].value!));
    expect(await store.getTx(sha256(utf8('nope')))).toBeUndefined();
    expect(await store.getBlockByHeight(-1)).toBeUndefined();
    await store.close();
  });

  it('reopening after close returns the same head, blocks, receipts, state and counters', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 6);
    await store.close();
    const again = await ChainStore.open(await backend.reopen(), { genesisHash: chain.genesis.genesisHash });
    await expectChainThrough(again, chain, 6);
    await commitUpTo(again, chain, 8);
    await expectChainThrough(again, chain, 8);
    await again.close();
  });

  it('a crash before block N+1 is written leaves head N intact and N+1 absent; reopening works', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 4);
    backend.crashNextBatch();
    await expect(store.commitBlock(chain.blocks[4])).rejects.toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    expect(store.head()?.height).toBe(4);
    // The process is gone; a new one opens the same data.
    const again = await ChainStore.open(await backend.reopen(), { genesisHash: chain.genesis.genesisHash });
    await expectChainThrough(again, chain, 4);
    await again.commitBlock(chain.blocks[4]);
    await expectChainThrough(again, chain, 5);
    await again.close();
  });

  it('refuses a wrong height or a wrong parent without writing anything', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 3);
    await expect(store.commitBlock(chain.blocks[4])).rejects.toMatchObject({ code: 'STORAGE_BAD_HEIGHT', data: { height: 5, expected: 4 } });
    await expect(store.commitBlock(chain.blocks[2])).rejects.toMatchObject({ code: 'STORAGE_BAD_HEIGHT' });
    // Height 4 but built on block 2 instead of block 3.
    const fork = blockCommit(chain.blocks[1].block, 4, 2, [50, 50, 50]);
    await expect(store.commitBlock(fork)).rejects.toMatchObject({ code: 'STORAGE_BAD_PARENT' });
    const good = chain.blocks[3];
    await expect(store.commitBlock({ ...good, receipts: good.receipts.slice(1) })).rejects.toMatchObject({ code: 'STORAGE_BAD_INPUT' });
    await expect(store.commitBlock({ ...good, stateRoot: sha256(utf8('other')) })).rejects.toMatchObject({ code: 'STORAGE_BAD_INPUT' });
    await expect(store.commitBlock({ ...good, failed: good.block.txs.length + 1 })).rejects.toMatchObject({ code: 'STORAGE_BAD_INPUT' });
    await expectChainThrough(store, chain, 3);
    await store.commitBlock(good);
    expect(store.head()?.height).toBe(4);
    await store.close();
  });

  it('archives the rows a block retired from the state in the same batch; a refused commit archives nothing', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 3);
    const row = (n: number) => ({ key: Uint8Array.of(0x05, 0, 0, 0, 0, 0, 0, 0, n), value: utf8('final ' + n) });
    const good = chain.blocks[3];
    await expect(store.commitBlock({ ...chain.blocks[4], retired: [row(1)] })).rejects.toMatchObject({ code: 'STORAGE_BAD_HEIGHT' });
    expect(await store.getRetired(row(1).key)).toBeUndefined();
    await store.commitBlock({ ...good, retired: [row(1), row(2)] });
    expect(hex((await store.getRetired(row(1).key))!)).toBe(hex(row(1).value));
    expect(hex((await store.getRetired(row(2).key))!)).toBe(hex(row(2).value));
    expect(await store.getRetired(row(3).key)).toBeUndefined();
    // not state: the retired rows are not among the state entries
    expect([...(await stateOf(store)).keys()].some((k) => k.endsWith('0000000000000001') && k.startsWith('05'))).toBe(false);
    await store.close();
  });

  it('refuses commitBlock before genesis and a second genesis', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await expect(store.commitBlock(chain.blocks[0])).rejects.toMatchObject({ code: 'STORAGE_NOT_INITIALIZED' });
    await expect(store.commitGenesis({ ...chain.genesis, genesisHash: sha256(utf8('x')) })).rejects.toMatchObject({ code: 'STORAGE_BAD_PARENT' });
    await store.commitGenesis(chain.genesis);
    await expect(store.commitGenesis(chain.genesis)).rejects.toMatchObject({ code: 'STORAGE_ALREADY_INITIALIZED' });
    await store.close();
  });

  it('refuses to open a database of another genesis with STORAGE_GENESIS_MISMATCH', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 2);
    await store.close();
    const db = await backend.reopen();
    const other = genesisHash(testGenesis('another-chain'));
    const e = await ChainStore.open(db, { genesisHash: other }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'STORAGE_GENESIS_MISMATCH', data: { found: toHex(chain.genesis.genesisHash, true), expected: toHex(other, true) } });
    const ok = await ChainStore.open(db, { genesisHash: chain.genesis.genesisHash });
    expect(ok.head()?.height).toBe(2);
    // An empty store opened for one genesis refuses to be initialised with another.
    const fresh = await ChainStore.open(new MemoryDatabase(), { genesisHash: other });
    await expect(fresh.commitGenesis(chain.genesis)).rejects.toMatchObject({ code: 'STORAGE_GENESIS_MISMATCH' });
    await ok.close();
  });

  it('serialises concurrent commits in call order', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await Promise.all([store.commitGenesis(chain.genesis), ...chain.blocks.map((c) => store.commitBlock(c))]);
    await expectChainThrough(store, chain, 8);
    await store.close();
  });

  it('WAL: appends in order, survives reopen, prunes by sequence and height, never reuses a sequence', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    const recs = [
      [1, 'prepare 1/0'],
      [1, 'commit 1/0'],
      [2, 'prepare 2/0'],
      [2, 'view-change 2/1'],
      [3, 'prepare 3/1'],
    ] as const;
    const seqs: number[] = [];
    for (const [h, s] of recs) seqs.push(await store.walAppend(utf8(s), h));
    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    const read = await store.walRecords();
    expect(read.map((r) => [r.height, new TextDecoder().decode(r.bytes)])).toEqual(recs.map(([h, s]) => [h, s]));
    expect(read.map((r) => r.seq)).toEqual(seqs);
    await store.close();

    const again = await ChainStore.open(await backend.reopen());
    expect((await again.walRecords()).map((r) => r.seq)).toEqual(seqs);
    expect(await again.walPrune({ belowSeq: 1 })).toBe(1);
    expect(await again.walPrune({ throughHeight: 2 })).toBe(3);
    expect((await again.walRecords()).map((r) => [r.seq, r.height])).toEqual([[4, 3]]);
    expect(await again.walPrune({ throughHeight: 3 })).toBe(1);
    expect(await again.walRecords()).toEqual([]);
    await again.close();

    const third = await ChainStore.open(await backend.reopen());
    expect(await third.walAppend(utf8('after'), 4)).toBe(5);
    await third.close();
  });

  it('WAL: commitBlock can prune records through a height in the same batch', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await commitUpTo(store, chain, 1);
    await store.walAppend(utf8('a'), 2);
    await store.walAppend(utf8('b'), 3);
    await store.commitBlock({ ...chain.blocks[1], pruneWalThroughHeight: 2 });
    expect((await store.walRecords()).map((r) => r.height)).toEqual([3]);
    await store.close();
    const again = await ChainStore.open(await backend.reopen());
    expect((await again.walRecords()).map((r) => r.height)).toEqual([3]);
    expect(again.head()?.height).toBe(2);
    await again.close();
  });

  it('refuses use after close with STORAGE_CLOSED', async () => {
    backend = await makeBackend(name);
    const store = await ChainStore.open(backend.db);
    await store.commitGenesis(chain.genesis);
    await store.close();
    await expect(store.commitBlock(chain.blocks[0])).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    await expect(store.getBlockByHeight(0)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });
});

describe('ChainStore on MemoryDatabase', () => {
  const chain = buildChain(3);

  it('writes each block with exactly one synced batch, and WAL appends synced', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    const before = { ...db.stats };
    for (const c of chain.blocks) await store.commitBlock(c);
    expect(db.stats.batches - before.batches).toBe(chain.blocks.length);
    expect(db.stats.syncBatches - before.syncBatches).toBe(chain.blocks.length);
    await store.walAppend(utf8('vote'), 4);
    expect(db.stats.syncBatches - before.syncBatches).toBe(chain.blocks.length + 1);
  });

  it('a crash while committing genesis leaves an empty database', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    db.failNextBatch();
    await expect(store.commitGenesis(chain.genesis)).rejects.toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    db.restart();
    expect(db.size).toBe(0);
    const again = await ChainStore.open(db);
    expect(again.head()).toBeUndefined();
  });

  it('refuses a database of another schema version, and a damaged one', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    await db.batch([{ type: 'put', key: keys.meta(MetaKey.SCHEMA), value: u32be(SCHEMA_VERSION + 1) }]);
    await expect(ChainStore.open(db)).rejects.toMatchObject({ code: 'STORAGE_SCHEMA_MISMATCH' });
    await db.batch([
      { type: 'put', key: keys.meta(MetaKey.SCHEMA), value: u32be(SCHEMA_VERSION) },
      { type: 'del', key: keys.blockByHeight(0) },
    ]);
    await expect(ChainStore.open(db)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await db.batch([{ type: 'del', key: keys.meta(MetaKey.HEAD) }]);
    await expect(ChainStore.open(db as Database)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
  });

  it('the genesis block is refused unless it is height 0 on the genesis hash', async () => {
    const store = await ChainStore.open(new MemoryDatabase());
    const g = genesisCommit();
    await expect(store.commitGenesis({ ...g, block: chain.blocks[0].block })).rejects.toMatchObject({ code: 'STORAGE_BAD_HEIGHT' });
    await expect(store.commitGenesis({ ...g, stateRoot: sha256(utf8('x')) })).rejects.toMatchObject({ code: 'STORAGE_BAD_INPUT' });
  });
});

/**
 * A MemoryDatabase whose batches can be held at the door (the write "in flight"), recording
 * what each batch wrote: the head height it set, or 'wal' for a WAL append.
 */
class GatedDatabase implements Database {
  readonly inner = new MemoryDatabase();
  readonly written: (number | 'wal' | 'other')[] = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  private entered: (() => void) | null = null;
  /** Holds the next batches until release(); resolves when the first of them arrives. */
  hold(): Promise<void> {
    this.gate = new Promise((r) => (this.open = r));
    return new Promise((r) => (this.entered = r));
  }
  release(): void {
    this.gate = null;
    this.open?.();
  }
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  async batch(ops: BatchOp[], opts?: BatchOptions) {
    const gate = this.gate;
    if (gate) {
      this.entered?.();
      await gate;
    }
    const head = ops.find((o) => o.type === 'put' && hex(o.key) === hex(keys.meta(MetaKey.HEAD)));
    const wal = ops.some((o) => o.type === 'put' && hex(o.key) === hex(keys.meta(MetaKey.WAL_NEXT)));
    this.written.push(head && head.type === 'put' ? readU64be(head.value) : wal ? 'wal' : 'other');
    return this.inner.batch(ops, opts);
  }
  iterate(opts: IterateOptions) {
    return this.inner.iterate(opts);
  }
  close() {
    return this.inner.close();
  }
}

describe('ChainStore group commit', () => {
  const chain = buildChain(6);

  it('commits made without awaiting the previous one are written together: one synced batch, same result as one by one', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    await store.commitBlock(chain.blocks[0]);
    const before = { ...db.stats };
    await Promise.all(chain.blocks.slice(1).map((c) => store.commitBlock(c)));
    expect(db.stats.batches - before.batches).toBe(1);
    expect(db.stats.syncBatches - before.syncBatches).toBe(1);
    await expectChainThrough(store, chain, 6);
    await store.close();
    db.restart();
    const again = await ChainStore.open(db);
    await expectChainThrough(again, chain, 6);
  });

  it('blocks committed while a write is in flight form the next group, written after it', async () => {
    const db = new GatedDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    const entered = db.hold();
    const first = store.commitBlock(chain.blocks[0]);
    await entered; // block 1's batch is being written
    const rest = chain.blocks.slice(1, 4).map((c) => store.commitBlock(c));
    expect(store.head()?.height).toBe(0);
    db.release();
    await Promise.all([first, ...rest]);
    expect(db.written).toEqual([0, 1, 4]);
    await expectChainThrough(store, chain, 4);
  });

  it('a failed group write refuses every commit of the group and writes none of them: the database keeps a prefix', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    await store.commitBlock(chain.blocks[0]);
    db.failNextBatch();
    const results = await Promise.allSettled(chain.blocks.slice(1, 4).map((c) => store.commitBlock(c)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORAGE_SIMULATED_CRASH' });
    expect(store.head()?.height).toBe(1);
    db.restart();
    const again = await ChainStore.open(db);
    await expectChainThrough(again, chain, 1);
  });

  it('a commit that fails its checks inside a group is refused alone, the others are checked as if written one by one', async () => {
    const db = new MemoryDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    const before = { ...db.stats };
    const results = await Promise.allSettled([store.commitBlock(chain.blocks[0]), store.commitBlock(chain.blocks[2]), store.commitBlock(chain.blocks[1])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORAGE_BAD_HEIGHT' });
    expect(db.stats.batches - before.batches).toBe(1);
    await store.commitBlock(chain.blocks[2]);
    await expectChainThrough(store, chain, 3);
  });

  it('never writes a block ahead of a WAL append made before it was committed', async () => {
    const db = new GatedDatabase();
    const store = await ChainStore.open(db);
    await store.commitGenesis(chain.genesis);
    const entered = db.hold();
    const p1 = store.commitBlock(chain.blocks[0]);
    await entered;
    const p2 = store.commitBlock(chain.blocks[1]);
    const wal = store.walAppend(utf8('prepare 3/0'), 2);
    // block 3 may not join block 2's group: that group is written before the WAL record
    const p3 = store.commitBlock({ ...chain.blocks[2], pruneWalThroughHeight: 2 });
    db.release();
    await Promise.all([p1, p2, wal, p3]);
    expect(db.written).toEqual([0, 1, 2, 'wal', 3]);
    expect(await store.walRecords()).toEqual([]); // pruned by block 3's batch, so it was written after the record
    await expectChainThrough(store, chain, 3);
  });
});

describe('reading a range of blocks for a peer', () => {
  it('stops reading once the byte budget is reached (never reads the whole requested range)', async () => {
    const chain = buildChain(40);
    const db = new MemoryDatabase();
    let reads = 0;
    const counting: Database = Object.assign(Object.create(db) as Database, {
      get: (k: Uint8Array) => {
        reads++;
        return db.get(k);
      },
    });
    const store = await ChainStore.open(counting);
    await commitUpTo(store, chain, 40);
    const sizes = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await store.getFinalizedBlock(i + 1))!.length));
    const budget = sizes[0] + sizes[1] + sizes[2] + 3 * 8; // exactly three blocks with their framing
    reads = 0;
    const got = await store.getFinalizedRange(1, 40, budget, 8);
    expect(got.map((b) => b.length)).toEqual(sizes.slice(0, 3));
    expect(reads).toBe(4); // three that fit and the one that did not: not 40
    // the first block alone over the budget is still returned (the caller reports "too large")
    expect(await store.getFinalizedRange(1, 40, 10, 8)).toHaveLength(1);
    // the end of the chain ends the range
    expect(await store.getFinalizedRange(39, 10, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
    await store.close();
  });
});
