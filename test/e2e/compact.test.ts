/**
 * Compact proposals across real node processes: one sealer (company-c) sheds almost all tx
 * gossip (its `load.gossipBacklogTxs` is 1, so every batch of two or more txs is ignored) and
 * gets no tx from clients, so the proposals of the others list txs it does not hold: it must
 * fetch them over the txs protocol, rebuild the blocks and finalize the same chain.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { Testnet, waitFor } from './harness.ts';
import type { SignedTx } from '../../src/chain/tx.ts';

const SEALERS = ['proxy', 'company-a', 'company-b', 'company-c'];
const CUT = 'company-c';
const DEVICES = 8;
const ROUNDS = 8;
let t: Testnet;

beforeAll(async () => {
  t = await Testnet.create({ sealers: 4, observers: 0, devices: DEVICES });
  const cfgPath = t.byName(CUT).node.configPath;
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.load = { ...cfg.load, gossipBacklogTxs: 1 };
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  await t.startAll(SEALERS);
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => t?.dumpLogs());
});

afterAll(async () => {
  await t?.stop();
}, 30_000);

async function metric(name: string, re: RegExp): Promise<number> {
  const text = await (await fetch(t.byName(name).node.rpcUrl + '/metrics')).text();
  const m = text.match(re);
  return m ? Number(m[1]) : 0;
}

describe('a sealer without the txs of the proposals', () => {
  it('fetches them from its peers, rebuilds every block and finalizes the same chain', async () => {
    await waitFor('a full mesh', async () => (await Promise.all(SEALERS.map((n) => t.rpcOf(n).call<unknown[]>('getPeers')))).every((p) => p.length >= 3), 30_000, 200);
    const senders = SEALERS.filter((n) => n !== CUT).map((n) => t.byName(n));
    const hashes: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const txs: SignedTx[] = [];
      for (let d = 1; d <= DEVICES; d++) {
        const dev = t.account(`device-${d}`);
        const to = t.account(`device-${(d % DEVICES) + 1}`).address;
        txs.push(await t.sign(dev, { kind: 'transfer', transfer: { to: Buffer.from(to.slice(2), 'hex'), amount: 1 } }));
      }
      // a burst to the three other sealers at once: their gossip batches hold several txs each
      hashes.push(...(await Promise.all(txs.map((tx, i) => t.send(tx, senders[i % senders.length])))));
    }
    // every tx finalized, as the cut sealer sees it too
    for (const h of hashes) expect((await t.receipt(h, t.byName(CUT), 90_000)).status).toBeDefined();
    const head = await t.height(CUT);
    const heads = await t.heads(SEALERS, head, 30_000);
    expect(new Set(heads).size).toBe(1);
    // it shed gossip batches, fetched txs, and the others served them
    const shed = await metric(CUT, /edgechain_rejected_txs_total\{reason="GOSSIP_BACKLOG"\} (\d+)/);
    const fetched = await metric(CUT, /edgechain_p2p_requests_sent_total\{kind="txs"\} (\d+)/);
    let served = 0;
    for (const n of SEALERS.filter((x) => x !== CUT)) served += await metric(n, /edgechain_p2p_requests_served_total\{kind="txs"\} (\d+)/);
    expect(shed).toBeGreaterThan(0);
    expect(fetched).toBeGreaterThan(0);
    expect(served).toBeGreaterThanOrEqual(fetched);
    // its consensus status counts the proposals it rebuilt after fetching, and the txs fetched
    const st = (await t.rpcOf(CUT).call<{ compactProposals: Record<string, number | boolean> }>('getConsensusStatus')).compactProposals;
    expect(st.enabled).toBe(true);
    expect(st.completed).toBeGreaterThan(0);
    expect(st.txsFetched).toBeGreaterThan(0);
    expect(st.abandoned).toBe(0);
    expect(st.invalid).toBe(0);
    // the others rebuilt the proposals they received from their pools
    const rebuilt = await Promise.all(SEALERS.filter((x) => x !== CUT).map(async (n) => (await t.rpcOf(n).call<{ compactProposals: Record<string, number> }>('getConsensusStatus')).compactProposals));
    expect(rebuilt.reduce((a, s) => a + s.rebuilt + s.completed, 0)).toBeGreaterThan(0);
    // no fetch ran out of time, nothing fatal
    expect(t.log(CUT)).not.toMatch(/compact proposal abandoned/);
    await t.assertHealthy();
  }, 180_000);
});
