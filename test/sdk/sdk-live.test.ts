/**
 * The SDK against a real node (docs/SDK.md): the API definition covers exactly the server's
 * methods and every answer of a live node has the documented shape; every tx kind through
 * builders + sendAndWait; 500 txs in flight from one key against a node that sheds load
 * (NODE_BUSY), none lost, every nonce used once; a receipt wait that times out; SSE blocks.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readKeyFile } from '../../src/crypto/index.ts';
import { rpcMethods, type RpcContext } from '../../src/rpc/methods.ts';
import { RPC_PARAM_NAMES } from '../../src/sdk/api.ts';
import { Account, Client, RPC_API, RPC_METHOD_NAMES, ReceiptTimeoutError, RpcCallError, busyFixedDelay, isBusy, microDegrees, toHex, tx, type Receipt } from '../../src/sdk/index.ts';
import { KIND_LIST } from '../../src/kinds/registry.ts';
import { signVoucher } from '../../src/domain/vouchers.ts';
import { generateKeyPair } from '../../src/crypto/keys.ts';
import { startSingleNode, type SingleNode } from '../support/single-node.ts';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { sign } from '../../src/crypto/keys.ts';

let n: SingleNode;
let client: Client;
const acct = (name: string) => new Account(client, readKeyFile(n.layout.accounts.find((a) => a.name === name)!.keyPath));

beforeAll(async () => {
  n = await startSingleNode({
    sealers: 1,
    devices: 3,
    // a small pool limit and small blocks: 500 in-flight txs must meet NODE_BUSY
    config: { load: { busyPoolTxs: 40, proposalMaxTxs: 25 } },
    editGenesis: (g) => {
      (g.accounts as { name: string; role: string }[]).find((a) => a.name === 'device-1')!.role = 'company';
      // a second company: a governance proposal stays open until the other one votes (docs/GOVERNANCE.md)
      (g.accounts as { name: string; role: string }[]).find((a) => a.name === 'faucet')!.role = 'company';
    },
  });
  client = new Client(n.url);
}, 60_000);

afterAll(async () => {
  await n?.stop();
});

describe('the API definition', () => {
  it('names exactly the methods the server has, each param named', () => {
    expect([...RPC_METHOD_NAMES].sort()).toEqual(Object.keys(rpcMethods({} as RpcContext)).sort());
    for (const m of RPC_METHOD_NAMES) expect(RPC_PARAM_NAMES[m].length, m).toBe((RPC_API[m].params as unknown as { def: { items: unknown[] } }).def.items.length);
  });

  it('GET /openrpc.json of a live node documents exactly the server\'s methods, with params and result schemas', async () => {
    const res = await fetch(n.url + '/openrpc.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await res.json()) as { openrpc: string; info: { version: string }; methods: { name: string; summary: string; params: { name: string; required: boolean; schema: object }[]; result: { schema: object } }[] };
    expect(doc.openrpc).toMatch(/^1\.\d+\.\d+$/);
    expect(doc.info.version).toBe((await client.rpc.getChainInfo()).version);
    expect(doc.methods.map((m) => m.name).sort()).toEqual(Object.keys(rpcMethods({} as RpcContext)).sort());
    const byName = Object.fromEntries(doc.methods.map((m) => [m.name, m]));
    expect(byName.getBlockByNumber.params).toEqual([
      { name: 'number', required: true, schema: expect.objectContaining({ type: 'integer', minimum: 0 }) },
      { name: 'includeTxs', required: false, schema: expect.objectContaining({ type: 'boolean' }) },
    ]);
    expect(byName.getAccount.result.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['nonce', 'pendingNonce', 'balance']) });
    for (const m of doc.methods) {
      expect(m.summary.length, m.name).toBeGreaterThan(5);
      expect(m.result.schema, m.name).toBeTypeOf('object');
    }
  });
});

describe('the SDK against a live node', () => {
  const receipts: Receipt[] = [];

  it('sends every tx kind through its builder and waits for the receipts', async () => {
    const company = acct('device-1');
    const dev = acct('device-2');
    const at = (lat: number, lon: number) => ({ lat: microDegrees(lat), lon: microDegrees(lon) });
    const steps = [
      company.sendAndWait(tx.addNode({ id: 'sdk-a', ...at(47.37, 8.54), capacity: 4, serviceTypes: ['gpu'], price: 5 })),
      company.sendAndWait(tx.addNode({ id: 'sdk-b', ...at(47.4, 8.6), capacity: 4, serviceTypes: ['gpu'], price: 5 })),
      company.sendAndWait(tx.updateNode({ id: 'sdk-b', ...at(47.4, 8.6), capacity: 8, serviceTypes: ['gpu', 'cpu'], price: 4, online: true })),
      dev.sendAndWait(tx.registerDevice({ info: 'sdk-device' })),
    ];
    receipts.push(...(await Promise.all(steps)));
    const m = await dev.sendAndWait(tx.edgeMatch({ ...at(47.37, 8.54), taskType: 'gpu', demand: 2, maxPrice: 0, durationS: 600 }));
    expect(m.match).toMatchObject({ nodeId: 'sdk-a', leaseId: 1, demand: 2 });
    receipts.push(m);
    receipts.push(await dev.sendAndWait(tx.releaseLease({ leaseId: m.match!.leaseId })));
    // paid leases and payment channels (docs/PAYMENTS.md): renew a lease; open, top up, claim, close; refund an expired channel
    const m2 = await dev.sendAndWait(tx.edgeMatch({ ...at(47.37, 8.54), taskType: 'gpu', demand: 1, maxPrice: 0, durationS: 600 }));
    receipts.push(m2, await dev.sendAndWait(tx.renewLease({ leaseId: m2.match!.leaseId, extendS: 60 })));
    const { chainId } = await client.rpc.getChainInfo();
    const devKey = readKeyFile(n.layout.accounts.find((a) => a.name === 'device-2')!.keyPath);
    const payee = Buffer.from(company.address.slice(2), 'hex');
    const short = await dev.sendAndWait(tx.channelOpen({ payee, deposit: 50, expiresInS: 1 }));
    const open = await dev.sendAndWait(tx.channelOpen({ payee, deposit: 1000, expiresInS: 3600 }));
    const id = open.channel!.channelId as number;
    receipts.push(short, open, await dev.sendAndWait(tx.channelTopUp({ channelId: id, amount: 100 })));
    const v = signVoucher(devKey.secretKey, chainId, id, 300);
    receipts.push(await company.sendAndWait(tx.channelClaim({ channelId: id, amount: 300, signature: v.signature })));
    receipts.push(await company.sendAndWait(tx.channelClose({ channelId: id, amount: 0, signature: new Uint8Array(0) })));
    // the short channel's 1 s term is block time: wait it out, then the payer takes its deposit back
    await new Promise((r) => setTimeout(r, 1500));
    receipts.push(await dev.sendAndWait(tx.channelRefund({ channelId: short.channel!.channelId as number })));
    receipts.push(await company.sendAndWait(tx.removeNode({ id: 'sdk-b' })));
    receipts.push(await dev.sendAndWait(tx.transfer({ to: Buffer.from(company.address.slice(2), 'hex'), amount: 5 })));
    // evidence (docs/CONSENSUS.md "Evidence on chain"): two PREPAREs the sealer signed for two blocks at (1, 5)
    const cfgPath = n.layout.nodes[0].configPath;
    const sealerKey = readKeyFile(resolve(dirname(cfgPath), JSON.parse(readFileSync(cfgPath, 'utf8')).key));
    const vote = (fill: number) => {
      const blockHash = new Uint8Array(32).fill(fill);
      const payload = ConsensusPayloadCodec.encode({ prepare: { height: 1, view: 5, blockHash } });
      return ConsensusMessageCodec.encode({ payload, sender: 0, signature: sign(voteBytes('prepare', chainId, 1, 5, blockHash), sealerKey.secretKey), block: new Uint8Array(0) });
    };
    receipts.push(await dev.sendAndWait(tx.evidence({ first: vote(1), second: vote(2) })));
    // governance: 2 companies, so the proposal is open until the second approves it
    const proposed = await company.sendAndWait(tx.propose({ action: 5, address: new Uint8Array(0), publicKey: generateKeyPair().publicKey, name: 'sdk-observer' }));
    expect(proposed.proposal).toMatchObject({ status: 'open', approvals: 1, needed: 2 });
    const voted = await acct('faucet').sendAndWait(tx.vote({ proposal: proposed.proposalId as number, reject: false }));
    expect(voted.proposal).toMatchObject({ status: 'passed', approvals: 2 });
    receipts.push(proposed, voted);
    // a device leaves: its registration deposit comes back (docs/GOVERNANCE.md)
    const leaver = acct('device-3');
    receipts.push(await leaver.sendAndWait(tx.registerDevice({ info: 'sdk-leaver' })), await leaver.sendAndWait(tx.unregisterDevice({})));
    expect(receipts.map((r) => r.statusText)).toEqual(receipts.map(() => 'OK'));
    const ev = await client.rpc.getEvidence({ sealer: sealerKey.address });
    expect(ev.evidence.map((e) => [e.kind, e.height, e.view, e.sealer, e.reporter])).toEqual([['prepare', 1, 5, sealerKey.address, dev.address]]);
    expect(new Set(receipts.map((r) => r.kind))).toEqual(new Set(KIND_LIST.map((k) => k.kind)));
  }, 120_000);

  it('a builder refuses a malformed payload before signing', () => {
    expect(() => tx.edgeMatch({ lat: 0, lon: 0, taskType: '', demand: 1, maxPrice: 0, durationS: 60 })).toThrow(/edgeMatch: task type/);
    expect(() => tx.addNode({ id: 'x', lat: 91_000_000, lon: 0, capacity: 1, serviceTypes: ['a'], price: 1 })).toThrow(RangeError);
  });

  it('every method answers in its documented shape', async () => {
    const company = acct('device-1');
    const h = receipts[0].transactionHash;
    const calls: { [M in keyof typeof RPC_API]: () => Promise<unknown> } = {
      getChainInfo: () => client.rpc.getChainInfo(),
      getBlockNumber: () => client.rpc.getBlockNumber(),
      getPbftView: () => client.rpc.getPbftView(),
      getSealerList: () => client.rpc.getSealerList(),
      getObserverList: () => client.rpc.getObserverList(),
      getConsensusStatus: () => client.rpc.getConsensusStatus(),
      getSyncStatus: () => client.rpc.getSyncStatus(),
      getPeers: () => client.rpc.getPeers(),
      getBlockByNumber: () => client.rpc.getBlockByNumber(receipts[0].blockNumber, true),
      getBlockByHash: async () => client.rpc.getBlockByHash((await client.rpc.getBlockByNumber(1))!.hash),
      getBlockList: () => client.rpc.getBlockList({ limit: 5 }),
      sendRawTransaction: async () => (await company.send(tx.transfer({ to: new Uint8Array(20).fill(7), amount: 1 }))).hash,
      getTransactionByHash: () => client.rpc.getTransactionByHash(h),
      getTransactionReceipt: () => client.rpc.getTransactionReceipt(h),
      getTransactionList: () => client.rpc.getTransactionList({ limit: 5 }),
      getPendingTxSize: () => client.rpc.getPendingTxSize(),
      getPendingTransactions: () => client.rpc.getPendingTransactions(10),
      getTotalTransactionCount: () => client.rpc.getTotalTransactionCount(),
      getTxStats: () => client.rpc.getTxStats({ days: 2 }),
      getAccount: () => client.rpc.getAccount(company.address),
      getEdgeNodes: () => client.rpc.getEdgeNodes({ limit: 10 }),
      getEdgeNode: () => client.rpc.getEdgeNode('sdk-a'),
      getLease: () => client.rpc.getLease(1),
      getChannel: () => client.rpc.getChannel(1),
      getChannels: () => client.rpc.getChannels({ limit: 5 }),
      verifyVoucher: () => client.rpc.verifyVoucher('0x' + '00'.repeat(80)),
      getRecentMatches: () => client.rpc.getRecentMatches({ limit: 5 }),
      getEvidence: () => client.rpc.getEvidence({}),
      search: () => client.rpc.search('sdk-a'),
      getProof: () => client.rpc.getProof('0x04' + Buffer.from('sdk-a').toString('hex')),
      getServiceTypeProof: () => client.rpc.getServiceTypeProof('gpu'),
      getBlockEvidence: () => client.rpc.getBlockEvidence(receipts[0].blockNumber),
      getConsortium: () => client.rpc.getConsortium(),
      getProposals: () => client.rpc.getProposals({ limit: 5 }),
      getProposal: () => client.rpc.getProposal(1),
    };
    for (const [m, f] of Object.entries(calls)) {
      const v = await f().catch((e) => new Error(`${m}: ${(e as Error).message}`));
      expect(v, m).not.toBeInstanceOf(Error);
      expect(v, m).not.toBeNull();
    }
  }, 60_000);

  it('500 txs in flight from one key: NODE_BUSY is backed off, none is lost, every nonce is used once', async () => {
    // The node sheds load by itself (pool limit 40, 25 txs per block); in front of it a proxy
    // also answers every 7th sendRawTransaction with the node's NODE_BUSY error (retryAfterMs
    // 20) without forwarding it, so back-off happens in every run, not only when timing allows.
    let sends = 0;
    let shed = 0;
    const proxy = createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      const msg = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      if (msg.method === 'sendRawTransaction' && ++sends % 7 === 0) {
        shed++;
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32002, message: 'node busy (test proxy)', data: { code: 'NODE_BUSY', retryAfterMs: 20 } } }));
        return;
      }
      const r = await fetch(n.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      res.end(await r.text());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const via = new Client(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const dev = new Account(via, readKeyFile(n.layout.accounts.find((a) => a.name === 'device-3')!.keyPath));
      const to = generateKeyPair();
      const start = (await client.rpc.getAccount(dev.address)).nonce;
      const all = await Promise.all(Array.from({ length: 500 }, () => dev.sendAndWait(tx.transfer({ to: Buffer.from(to.address.slice(2), 'hex'), amount: 1 }), { timeoutMs: 240_000, busyTimeoutMs: 240_000 })));
      expect(all.every((r) => r.status === 0)).toBe(true);
      expect(new Set(all.map((r) => r.transactionHash)).size).toBe(500);
      const retries = all.reduce((s, r) => s + r.busyRetries, 0);
      expect(retries).toBeGreaterThanOrEqual(shed);
      expect(shed).toBeGreaterThanOrEqual(70);
      const after = await client.rpc.getAccount(dev.address);
      expect(after.nonce).toBe(start + 500);
      expect((await client.rpc.getAccount(to.address)).balance).toBe(500);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  }, 300_000);

  it('a receipt wait gives up after its timeout with ReceiptTimeoutError; a refused tx is an RpcCallError with its reason', async () => {
    const stranger = new Account(client, generateKeyPair());
    // an unfunded transfer is admitted and fails in execution; a malformed raw tx is refused at once
    await expect(client.rpc.sendRawTransaction('0x00')).rejects.toBeInstanceOf(RpcCallError);
    const w = (await import('../../src/sdk/account.ts')).ReceiptWatcher;
    await expect(new w(client, 20).wait('0x' + 'ab'.repeat(32), 300)).rejects.toBeInstanceOf(ReceiptTimeoutError);
    const r = await stranger.sendAndWait(tx.transfer({ to: new Uint8Array(20).fill(1), amount: 1 }));
    expect(r.statusText).toBe('INSUFFICIENT_BALANCE');
  }, 60_000);

  it('waits for a tx\'s receipt over server-sent events', async () => {
    const company = acct('device-1');
    const sent = await company.send(tx.transfer({ to: new Uint8Array(20).fill(8), amount: 1 }));
    const r = await client.watchReceipt(sent.hash, 60_000);
    expect(r).toMatchObject({ transactionHash: sent.hash, status: 0 });
    // and one already finalized resolves at once
    expect((await client.watchReceipt(sent.hash, 10_000)).blockNumber).toBe(r.blockNumber);
    await expect(client.watchReceipt('0x' + 'cd'.repeat(32), 500)).rejects.toThrow(/no receipt/);
  }, 90_000);

  it('the load generator\'s pieces: txs signed beforehand, sent in one batch, NODE_BUSY backed off by a policy, finalization followed over SSE', async () => {
    // a fresh key (nonce 0, unfunded: its transfers are admitted and fail in execution, consuming their nonces)
    const stranger = new Account(client, generateKeyPair(), { nonce: 0 });
    const signed = [];
    for (let i = 0; i < 90; i++) signed.push(await stranger.sign(tx.transfer({ to: new Uint8Array(20).fill(3), amount: 1 })));
    expect(signed.map((t) => t.body.nonce)).toEqual([...Array(90).keys()]);
    const hashes = new Set(signed.map((t) => t.hashHex));
    const finalizedIn = new Map<string, number>();
    let allSeen!: () => void;
    const seen = new Promise<void>((r) => (allSeen = r));
    const follower = client.followBlocks((b, at) => {
      expect(at).toBeGreaterThan(0);
      for (const h of b.transactions) if (hashes.has(h)) finalizedIn.set(h, b.number);
      if (finalizedIn.size === hashes.size) allSeen();
    });
    await follower.ready;
    // the node's pool takes 40 (busyPoolTxs): the rest of the batch is NODE_BUSY; those go again after the policy's delay
    const policy = busyFixedDelay(50);
    let pending = signed;
    let busy = 0;
    for (let round = 0; pending.length > 0; round++) {
      expect(round).toBeLessThan(200);
      const out = await client.sendRawTransactions(pending.map((t) => toHex(t.bytes, true)));
      const again = pending.filter((_, i) => {
        const r = out[i];
        if (r.ok) return false;
        if (!isBusy(r.error)) throw r.error;
        return true;
      });
      busy += again.length;
      pending = again;
      if (pending.length) await new Promise((r) => setTimeout(r, policy(new RpcCallError(-32002, 'busy'), round)));
    }
    expect(busy).toBeGreaterThan(0);
    await seen;
    await follower.idle();
    follower.stop();
    expect(finalizedIn.size).toBe(90);
    const { answers } = await client.batch([...hashes].map((h) => ({ method: 'getTransactionReceipt', params: [h] })));
    expect(answers.map((a) => a.ok && (a.result as { statusText: string }).statusText)).toEqual([...hashes].map(() => 'INSUFFICIENT_BALANCE'));
    expect((await client.rpc.getAccount(stranger.address)).nonce).toBe(90);
    // a resync reads the node's pendingNonce
    expect(await stranger.resync()).toBe(90);
  }, 120_000);

  it('subscribes to new blocks over server-sent events', async () => {
    const company = acct('device-1');
    const got = new Promise<{ number: number }>((resolve, reject) => {
      const stop = client.subscribe((event, data) => {
        if (event === 'block') {
          stop();
          resolve(data as { number: number });
        }
      }, reject);
    });
    await company.sendAndWait(tx.transfer({ to: new Uint8Array(20).fill(9), amount: 1 }));
    expect((await got).number).toBeGreaterThan(0);
  }, 60_000);
});

describe('the CLI sends through the SDK', () => {
  const bin = fileURLToPath(new URL('../../bin/edgechain.js', import.meta.url));
  const cli = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args, '--rpc', n.url], { timeout: 60_000 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
    });

  it('edgechain tx transfer waits for the receipt; --no-wait gives the hash; bad flags are refused before sending', async () => {
    const key = n.layout.accounts.find((a) => a.name === 'device-2')!.keyPath;
    const to = generateKeyPair().address;
    const ok = await cli('tx', 'transfer', '--key', key, '--to', to, '--amount', '3', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ kind: 'transfer', status: 0 });
    const nw = await cli('tx', 'transfer', '--key', key, '--to', to, '--amount', '2', '--no-wait', '--json');
    expect(nw.code).toBe(0);
    const { hash } = JSON.parse(nw.out);
    expect((await new Account(client, readKeyFile(key)).receipt(hash)).status).toBe(0);
    expect((await client.rpc.getAccount(to)).balance).toBe(5);
    const bad = await cli('tx', 'edge-match', '--key', key, '--lat', '1', '--lon', '1', '--type', 'x'.repeat(40), '--demand', '1', '--duration', '60');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/task type/);
  }, 120_000);
});
