/**
 * getTransactionList by sender reads the per-sender index, never blocks (a cheap request must
 * not do expensive work), and a schema-1 database gets the index on open.
 */
import { describe, it, expect } from 'vitest';
import { ChainStore, SCHEMA_VERSION } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { keys, MetaKey, Prefix, prefixRange } from '../../src/storage/keys.ts';
import type { Database } from '../../src/storage/interface.ts';
import { rpcMethods, type RpcContext } from '../../src/rpc/index.ts';
import { u32be, fromHex, toHex } from '../../src/util/bytes.ts';
import { buildChain, CHAIN_ID, users } from '../storage/helpers.ts';

const BLOCKS = 60;

async function setup() {
  const chain = buildChain(BLOCKS);
  const db = new MemoryDatabase();
  let blockReads = 0;
  const counting: Database = Object.assign(Object.create(db) as Database, {
    get: (k: Uint8Array) => {
      if (k[0] === Prefix.BLOCK_BY_HEIGHT) blockReads++;
      return db.get(k);
    },
  });
  const store = await ChainStore.open(counting);
  await store.commitGenesis(chain.genesis);
  for (const c of chain.blocks) await store.commitBlock(c);
  const ctx = { chainId: CHAIN_ID, store } as unknown as RpcContext;
  const methods = rpcMethods(ctx);
  return { chain, db, store, methods, reads: () => blockReads, reset: () => (blockReads = 0) };
}

/** Every tx of `sender` in the chain, newest first: [height, index]. */
function expected(chain: ReturnType<typeof buildChain>, sender: string): [number, number][] {
  const out: [number, number][] = [];
  for (const c of chain.blocks) c.block.txs.forEach((t, i) => t.sender === sender && out.push([c.block.header.height, i]));
  return out.reverse();
}

describe('transactions by sender', () => {
  it('come from the index without reading a single block, paged by whole blocks, all of them exactly once', async () => {
    const { chain, methods, reads, reset } = await setup();
    const sender = users[1].address;
    const want = expected(chain, sender);
    expect(want.length).toBeGreaterThan(30);
    reset();
    const got: [number, number][] = [];
    let before: number | null | undefined;
    let pages = 0;
    do {
      const r = (await methods.getTransactionList([{ from: sender, limit: 7, ...(before ? { beforeBlock: before } : {}) }])) as { transactions: Record<string, any>[]; nextBeforeBlock: number | null };
      for (const t of r.transactions) {
        expect(t.from).toBe(sender);
        expect(t.status === 0 || t.status === 1).toBe(true);
        expect(t.blockHash).toBe(toHex(chain.blocks[t.blockNumber - 1].block.hash, true));
        got.push([t.blockNumber, t.index]);
      }
      before = r.nextBeforeBlock;
      pages++;
    } while (before && pages < 50);
    expect(got).toEqual(want);
    expect(reads()).toBe(0);
  });

  it('filters by kind too, and a sender with no txs gets an empty list at once', async () => {
    const { methods, reads, reset } = await setup();
    reset();
    const none = (await methods.getTransactionList([{ from: '0x' + '99'.repeat(20) }])) as { transactions: unknown[]; nextBeforeBlock: number | null };
    expect(none).toEqual({ transactions: [], nextBeforeBlock: null });
    const transfers = (await methods.getTransactionList([{ from: users[0].address, kind: 'transfer' }])) as { transactions: unknown[] };
    expect(transfers.transactions).toEqual([]);
    const matches = (await methods.getTransactionList([{ from: users[0].address, kind: 'edgeMatch', limit: 5 }])) as { transactions: Record<string, unknown>[] };
    expect(matches.transactions.length).toBeGreaterThanOrEqual(5);
    expect(reads()).toBe(0);
  });

  it('a schema-1 database is migrated on open: the index is built from its blocks', async () => {
    const { chain, db, store } = await setup();
    const sender = fromHex(users[2].address)!;
    const before = await store.getTxsBySender(sender, { beforeHeight: BLOCKS + 1, limit: 1000 });
    // make it look like a database written before the index existed
    const ops = [];
    for await (const [k] of db.iterate(prefixRange(Prefix.TX_BY_SENDER))) ops.push({ type: 'del' as const, key: k });
    ops.push({ type: 'put' as const, key: keys.meta(MetaKey.SCHEMA), value: u32be(1) });
    await db.batch(ops);
    const reopened = await ChainStore.open(db);
    const after = await reopened.getTxsBySender(sender, { beforeHeight: BLOCKS + 1, limit: 1000 });
    expect(after.map((e) => [e.height, e.index, toHex(e.bytes)])).toEqual(before.map((e) => [e.height, e.index, toHex(e.bytes)]));
    expect(after.length).toBe(expected(chain, users[2].address).length);
    expect(new DataView((await db.get(keys.meta(MetaKey.SCHEMA)))!.buffer).getUint32(0)).toBe(SCHEMA_VERSION);
  });
});
