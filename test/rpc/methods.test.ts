/**
 * Every JSON-RPC method, against the real ChainStore (a real 30-block chain with
 * certificates), WorldState and TxPool, through the real RpcServer: bad parameters get
 * -32602 (never -32603), and good ones give the JSON shapes the explorer reads.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { RpcServer, rpcMethods, TxStats, RecentMatches, type RpcContext } from '../../src/rpc/index.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { TxPool } from '../../src/txpool/index.ts';
import { TxVerifier, genesisHash, genesisSealerSet, signTx } from '../../src/chain/index.ts';
import { keyPairFromLabel } from '../../src/crypto/index.ts';
import { ok, err } from '../../src/util/errors.ts';
import { toHex } from '../../src/util/bytes.ts';
import { runChain, CHAIN_ID } from '../vectors/vectors.ts';

let server: RpcServer;
let url: string;
let methodNames: string[];
const run = runChain();
const someTx = run.chain[5].txs[0];
const someDevice = run.chain[1].txs[0].sender;

beforeAll(async () => {
  const gHash = genesisHash(run.genesis);
  const store = await ChainStore.open(new MemoryDatabase(), { genesisHash: gHash });
  await store.commitGenesis({ genesisHash: gHash, block: run.chain[0], writes: run.results[0].writes, stateRoot: run.results[0].stateRoot });
  for (let h = 1; h < run.chain.length; h++) {
    const r = run.results[h];
    await store.commitBlock({ block: run.chain[h], certificate: run.certs[h - 1], receipts: r.receiptBytes, writes: r.writes, stateRoot: r.stateRoot, failed: r.failed });
  }
  const pool = new TxPool({ chainId: CHAIN_ID, maxTxBytes: run.genesis.params.maxTxBytes }, { state: run.state, verifier: new TxVerifier() });
  // one pending tx, so the pool-reading methods have something to show
  const k = keyPairFromLabel('vectors/proxy');
  const pending = signTx(k, CHAIN_ID, run.state.nonceOf(k.address), { kind: 'transfer', transfer: { to: new Uint8Array(20).fill(7), amount: 1 } });
  expect(pool.add(pending.bytes).ok).toBe(true);
  const sealers = genesisSealerSet(run.genesis);
  const ctx: RpcContext = {
    chainId: CHAIN_ID,
    genesisHash: toHex(gHash, true),
    nodeName: 'table-test',
    role: 'observer',
    version: 'test',
    store,
    state: run.state,
    pool,
    sealers: () => sealers,
    observers: () => [],
    consensusStatus: () => ({ view: 0, height: store.head()!.height }),
    syncStatus: () => ({ syncing: false }),
    peers: () => [],
    submitTx: (b) => {
      const r = pool.add(b);
      return r.ok ? ok({ hash: r.value.hash }) : err(r.error);
    },
    accountName: () => null,
    txStats: new TxStats(),
    matches: new RecentMatches(),
    now: () => run.genesis.timestamp + 100_000,
  };
  const methods = rpcMethods(ctx);
  methodNames = Object.keys(methods);
  server = new RpcServer({ host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20, maxBatch: 100 }, { methods, routes: [] });
  url = `http://127.0.0.1:${(await server.start()).port}/`;
});
afterAll(() => server?.stop());

async function call(method: string, params: unknown): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

const H = (n: number) => '0x' + 'ab'.repeat(n);
/** Bad parameter lists of each method that takes parameters. */
const BAD: Record<string, unknown[]> = {
  getBlockByNumber: [[], ['x'], [-1], [1.5], [2 ** 60], ['0xzz'], [null], [{}], [[1]], [1, 'yes'], [1, 0]],
  getBlockByHash: [[], [1], ['0x1234'], [H(31)], [H(33)], ['zz'.repeat(32)], [null], [{ hash: H(32) }], [H(32), 'true']],
  getBlockList: ['x', [1], [[]], [{ limit: -1 }], [{ limit: 'ten' }], [{ before: 1.5 }], [{ before: -3 }], [{ limit: 2 ** 60 }]],
  sendRawTransaction: [[], [''], ['0x'], ['zz'], [12], [null], [{}], [['0x00']]],
  getTransactionByHash: [[], [H(16)], [7], [null], ['0x' + 'g'.repeat(64)]],
  getTransactionReceipt: [[], [H(16)], [7], [null], [[H(32)]]],
  getTransactionList: ['x', [3], [{ kind: '__proto__' }], [{ kind: 'toString' }], [{ limit: -2 }], [{ kind: 'mint' }], [{ kind: 5 }], [{ from: 'alice' }], [{ from: 12 }], [{ beforeBlock: 'x' }]],
  getPendingTransactions: [['x'], [-1], [1.5], [{}]],
  getTxStats: ['x', [1], [{ days: -1 }], [{ days: 'many' }]],
  getAccount: [[], ['0x12'], [12], [null], [{}], ['0x' + 'zz'.repeat(20)]],
  getEdgeNodes: ['x', [1], [{ owner: 'acme' }], [{ owner: 5 }], [{ offset: -1 }], [{ limit: 'all' }], [{ offset: 2 ** 60 }]],
  getEdgeNode: [[], [''], [5], [null], ['x'.repeat(65)], [{}]],
  getLease: [[], ['one'], [-1], [0.5], [null], [{}], ['0x' + 'f'.repeat(16)], ['1e3']],
  getChannel: [[], ['one'], [-1], [0.5], [null], [{}], ['1e3']],
  getChannels: ['x', [1], [{ address: 'alice' }], [{ address: 5 }], [{ limit: -1 }], [{ limit: 'all' }], [{ offset: -1 }]],
  verifyVoucher: [[], [''], ['zz'], [12], [null], [{}], [['0x00']]],
  getProof: [[], [''], ['zz'], [12], [null], [{}], ['0x04', -1], ['0x04', 'x']],
  getServiceTypeProof: [[], [12], [null], [{}], ['gpu', -1], ['gpu', 'x'], ['gpu', 1, { part: -1 }], ['gpu', 1, { parts: 'x' }]],
  getBlockEvidence: [[], ['x'], [-1], [1.5], [null], [{}]],
  getRecentMatches: ['x', [1], [{ limit: -1 }], [{ limit: 'x' }]],
  getEvidence: ['x', [1], [{ sealer: 'alice' }], [{ sealer: 5 }], [{ limit: -1 }], [{ limit: 'all' }], [{ offset: -1 }], [{ offset: 1.5 }]],
  search: [[], [''], [5], [null], [{}], ['x'.repeat(300)], [['3']]],
  // governance (docs/GOVERNANCE.md): a height past head + 2 is not decided yet
  getSealerList: [['x'], [-1], [1.5], [{}], [1_000_000]],
  getConsortium: [['x'], [-1], [{}], [1_000_000]],
  getProposals: ['x', [1], [{ status: 'lost' }], [{ limit: -1 }], [{ offset: 'x' }]],
  getProposal: [[], ['x'], [0], [-1], [1.5], [null], [{}]],
};
/** Methods without parameters: extra or odd parameters are ignored, never an internal error. */
const NO_PARAMS = ['getChainInfo', 'getBlockNumber', 'getPbftView', 'getObserverList', 'getConsensusStatus', 'getSyncStatus', 'getPeers', 'getPendingTxSize', 'getTotalTransactionCount'];

describe('every JSON-RPC method against the real store, state and pool', () => {
  it('the table covers every method', () => {
    expect([...Object.keys(BAD), ...NO_PARAMS].sort()).toEqual([...methodNames].sort());
  });

  it('bad parameters get -32602 (never -32603) for every method that takes them', async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const [method, cases] of Object.entries(BAD)) {
      for (const params of cases) {
        const r = await call(method, params);
        checked++;
        if (r.error?.code !== -32602) failures.push(`${method}(${JSON.stringify(params).slice(0, 80)}) → ${JSON.stringify(r.error ?? { result: r.result }).slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(Object.values(BAD).reduce((n, c) => n + c.length, 0));
  });

  it('methods without parameters answer whatever they are given', async () => {
    for (const method of NO_PARAMS) {
      for (const params of [[], [1, 'x'], { a: 1 }]) {
        const r = await call(method, params);
        expect(r.error, `${method}(${JSON.stringify(params)})`).toBeUndefined();
        expect(r.result, method).toBeDefined();
      }
    }
  });

  it('good parameters give results (the table does not pass only because everything fails)', async () => {
    const results = await Promise.all([
      call('getBlockByNumber', [3, true]),
      call('getBlockByHash', [run.chain[4].hashHex]),
      call('getBlockList', [{ limit: 5 }]),
      call('getTransactionByHash', [someTx.hashHex]),
      call('getTransactionReceipt', [someTx.hashHex]),
      call('getTransactionList', [{ limit: 3 }]),
      call('getPendingTransactions', [5]),
      call('getTxStats', [{ days: 3 }]),
      call('getAccount', [someDevice]),
      call('getEdgeNodes', [{ limit: 3 }]),
      call('getLease', [1]),
      call('getRecentMatches', [{ limit: 3 }]),
      call('search', ['3']),
      call('getBlockNumber', []),
      call('getEvidence', [{ sealer: someDevice }]),
    ]);
    for (const r of results) expect(r.error).toBeUndefined();
    const [block, byHash, list, tx, receipt, txList, pending, , account, nodes, lease, , search, height, evidence] = results.map((r) => r.result as any);
    expect(block.number).toBe(3);
    expect(byHash.hash).toBe(run.chain[4].hashHex);
    expect(list.blocks).toHaveLength(5);
    expect(tx.hash).toBe(someTx.hashHex);
    expect(receipt.transactionHash ?? receipt.hash).toBe(someTx.hashHex);
    // whole blocks: at least the limit
    expect(txList.transactions.length).toBeGreaterThanOrEqual(3);
    expect(pending).toHaveLength(1);
    expect(account.address).toBe(someDevice);
    expect(nodes.total).toBeGreaterThan(0);
    expect(lease.id).toBe(1);
    expect(search).toEqual({ type: 'block', id: 3 });
    expect(height).toBe(30);
    expect(evidence).toEqual({ total: 0, height: 30, evidence: [] });
  });
});
