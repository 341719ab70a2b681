/**
 * Sync against bad peers, on real node processes: five malicious libp2p peers (real
 * Noise/Yamux/status/blocks protocols, admitted keys) claim a higher head and serve a
 * forged, a short, a wrong-height, a wrong-parent certificate or block, and a tampered tx.
 * A fresh observer refuses each, penalises the peer, and once the honest sealers are up
 * completes its sync from them, under load; kill -9 of the observer in the middle of that
 * sync, then a restart, ends at the sealers' head and state root.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testnet, waitFor } from './harness.ts';
import { generateChain } from './chaingen.ts';
import { P2PNetwork } from '../../src/p2p/index.ts';
import { loadConfig } from '../../src/node/config.ts';
import { readKeyFile, sign, sha256, type KeyPair } from '../../src/crypto/index.ts';
import { buildBlock, decodeBlock, decodeCertificate, encodeCertificate, genesisHash, parseGenesis, signTx } from '../../src/chain/index.ts';
import { FinalizedBlockCodec } from '../../src/codec/chain.ts';
import { TxCodec } from '../../src/codec/index.ts';
import type { CommitCertificate, Genesis } from '../../src/codec/types.ts';
import { LevelDatabase } from '../../src/storage/level.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';

const SEALERS = ['proxy', 'company-a', 'company-b', 'company-c'];
const BAD = ['forged', 'short', 'wrong-height', 'wrong-parent', 'tampered-tx'] as const;
type Bad = (typeof BAD)[number];
const BLOCKS = 2000;

let t: Testnet;
let genesis: Genesis;
/** Honest encoded FinalizedBlocks by height (from the generated chain). */
const honest: Uint8Array[] = [];
const badPeers: { kind: Bad; net: P2PNetwork }[] = [];

beforeAll(async () => {
  t = await Testnet.create({ sealers: 4, observers: 1 + BAD.length, devices: 4, params: { viewTimeoutMs: 1000, maxViewTimeoutMs: 4000 } });
  genesis = parseGenesis(JSON.parse(readFileSync(t.layout.genesisPath, 'utf8')));
  const nodeKey = (name: string) => readKeyFile(join(t.dir, 'keys', 'nodes', `${name}.json`));
  const dataDir = (name: string) => loadConfig(t.byName(name).node.configPath).dataDir;
  // one generated chain (real signed txs, quorum certificates), copied to every sealer
  await generateChain({
    dataDir: dataDir('proxy'),
    genesis,
    sealerKeys: SEALERS.map(nodeKey),
    devices: t.layout.accounts.filter((a) => a.role === 'user').map((a) => readKeyFile(a.keyPath)),
    companies: t.layout.accounts.filter((a) => a.role === 'company').map((a) => readKeyFile(a.keyPath)),
    blocks: BLOCKS,
    meanTxs: 2,
  });
  for (const s of SEALERS.slice(1)) cpSync(join(dataDir('proxy'), 'db'), join(dataDir(s), 'db'), { recursive: true });
  const store = await ChainStore.open(await LevelDatabase.open(join(dataDir('proxy'), 'db')), { genesisHash: genesisHash(genesis) });
  for (let h = 1; h <= BLOCKS; h++) honest[h] = (await store.getBlockByHeight(h))!.finalized;
  await store.close();
}, 240_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => t?.dumpLogs(60));
});

afterAll(async () => {
  await Promise.all(badPeers.map((p) => p.net.stop().catch(() => {})));
  await t?.stop();
}, 60_000);

/** The honest FinalizedBlock at `height`, made bad in the way `kind` says. */
function corrupt(kind: Bad, height: number): Uint8Array {
  const f = FinalizedBlockCodec.decode(honest[height]);
  if (!f.ok) throw f.error;
  const c = decodeCertificate(f.value.certificate);
  if (!c.ok) throw c.error;
  const cert: CommitCertificate = c.value;
  const b = decodeBlock(new Uint8Array(f.value.block), { chainId: genesis.chainId, params: genesis.params });
  if (!b.ok) throw b.error;
  const enc = (block: Uint8Array, cc: CommitCertificate) => FinalizedBlockCodec.encode({ block, certificate: encodeCertificate(cc) });
  switch (kind) {
    case 'forged': {
      // every seal re-signed by a key that is not the sealer's
      const k: KeyPair = readKeyFile(join(t.dir, 'keys', 'nodes', 'observer-2.json'));
      return enc(b.value.bytes, { ...cert, seals: cert.seals.map((s) => ({ ...s, signature: sign(s.signature, k.secretKey) })) });
    }
    case 'short':
      return enc(b.value.bytes, { ...cert, seals: cert.seals.slice(0, 2) });
    case 'wrong-height':
      // the next height's block and certificate, served as this one
      return honest[height + 1];
    case 'wrong-parent': {
      const fork = buildBlock({ ...b.value.header, parentHash: sha256(new Uint8Array([1, 2, 3])) }, b.value.txs);
      return enc(fork.bytes, cert);
    }
    case 'tampered-tx': {
      // the first tx with one signature bit flipped; tx root recomputed so the block decodes (its hash, so the certificate, no longer match)
      const tx0 = TxCodec.decode(b.value.txs[0].bytes);
      if (!tx0.ok) throw tx0.error;
      const sig = new Uint8Array(tx0.value.signature);
      sig[5] ^= 0x10;
      const bad = TxCodec.encode({ ...tx0.value, signature: sig });
      const d = decodeBlock(
        buildBlock(b.value.header, [{ ...b.value.txs[0], bytes: bad, hash: sha256(bad) }, ...b.value.txs.slice(1)]).bytes,
        { chainId: genesis.chainId, params: genesis.params },
      );
      if (!d.ok) throw d.error;
      return enc(d.value.bytes, cert);
    }
  }
}

describe('sync against bad peers, on real processes', () => {
  it('an observer refuses and penalises every bad peer, syncs from the honest sealers under load, survives kill -9 mid-sync and ends at their head and state root', async () => {
    const allKeys = t.layout.nodes.map((n) => Buffer.from(n.publicKey, 'hex'));
    const gHash = genesisHash(genesis);
    // ---- five bad peers, each claiming a higher head than the honest chain (so they are tried first)
    for (const [i, kind] of BAD.entries()) {
      const net = await P2PNetwork.create({
        secretKey: readKeyFile(join(t.dir, 'keys', 'nodes', `observer-${i + 2}.json`)).secretKey,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [],
        chainId: t.chainId,
        allowedPublicKeys: allKeys,
      });
      net.setStatusProvider(() => ({ height: BLOCKS + 100 + i, headHash: sha256(new Uint8Array([i])), genesisHash: gHash }));
      net.setBlocksProvider(async (from, count) => {
        // past the generated chain it has nothing (an honest-looking empty answer: also penalised)
        if (!honest[from + 1]) return [];
        const out = [corrupt(kind, from)];
        for (let h = from + 1; h < from + Math.min(count, 50) && honest[h]; h++) out.push(honest[h]);
        return out;
      });
      badPeers.push({ kind, net });
    }
    const obs = t.byName('observer-1');
    const obsCfg = JSON.parse(readFileSync(obs.node.configPath, 'utf8'));
    obsCfg.p2p.bootstrap = [...badPeers.map((p) => p.net.listenAddrs()[0]), ...obsCfg.p2p.bootstrap];
    writeFileSync(obs.node.configPath, JSON.stringify(obsCfg, null, 2));
    // the sealers dial the observer when they come up (it gave up redialling them fast by then)
    for (const s of SEALERS) {
      const cfg = JSON.parse(readFileSync(t.byName(s).node.configPath, 'utf8'));
      cfg.p2p.bootstrap.push(`/ip4/127.0.0.1/tcp/${obs.node.p2pPort}/p2p/${obs.node.peerId}`);
      writeFileSync(t.byName(s).node.configPath, JSON.stringify(cfg, null, 2));
    }

    // ---- phase 1: only bad peers are up
    t.start('observer-1');
    await t.ready('observer-1');
    const dropped = await waitFor('the observer to penalise all five bad peers', () => {
      const lines = t.log('observer-1').split('\n').filter((l) => l.includes('sync peer dropped'));
      const byPeer = new Map<string, string>();
      for (const l of lines) {
        const j = JSON.parse(l) as { peer: string; why: string };
        if (!byPeer.has(j.peer)) byPeer.set(j.peer, j.why);
      }
      return badPeers.every((p) => byPeer.has(p.net.peerId)) ? byPeer : null;
    }, 90_000, 100);
    for (const p of badPeers) expect(dropped.get(p.net.peerId), p.kind).toMatch(/block at height 1 was not accepted|unusable block at height 1/);
    expect(await t.height('observer-1')).toBe(0);
    const metrics = await (await fetch(obs.node.rpcUrl + '/metrics')).text();
    expect(metrics).toMatch(/edgechain_rejected_messages_total\{source="consensus",reason="sync:bad-certificate"\} [3-9]/);
    expect(metrics).toMatch(/edgechain_rejected_messages_total\{source="consensus",reason="sync:wrong-parent"\} [1-9]/);

    // ---- phase 2: the honest sealers come up, with load; the observer syncs from them
    await t.startAll(SEALERS);
    let stop = false;
    let sent = 0;
    const load = (async () => {
      const dev = t.account('device-1');
      while (!stop) {
        const stx = await t.sign(dev, { kind: 'transfer', transfer: { to: new Uint8Array(20).fill(5), amount: 1 } });
        await t.send(stx, t.byName(SEALERS[sent++ % 4]));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      // kill -9 in the middle of the sync (blocks arriving, the head short of the sealers')
      const mid = await waitFor('the observer mid-sync', async () => {
        const h = await t.height('observer-1');
        return h > 0 && h < BLOCKS ? h : null;
      }, 120_000, 10);
      await t.kill('observer-1');
      expect(mid).toBeLessThan(BLOCKS);
      t.start('observer-1');
      await t.ready('observer-1', 60_000);
      // the sync completes, past the generated chain, while blocks keep coming
      await waitFor('observer caught up past the generated chain', async () => (await t.height('observer-1')) > BLOCKS + 2, 180_000, 200);
    } finally {
      stop = true;
      await load;
    }
    expect(sent).toBeGreaterThan(5);
    // every accepted tx committed: the pools drain, then nothing moves and all five agree
    for (const n of SEALERS) await waitFor(`${n} pool drained`, async () => (await t.rpcOf(n).call<number>('getPendingTxSize')) === 0, 90_000);
    const h = await t.height('proxy');
    await t.heads([...SEALERS, 'observer-1'], h, 90_000);
    const blocks = await Promise.all([...SEALERS, 'observer-1'].map((n) => t.rpcOf(n).call<{ hash: string; stateRoot: string }>('getBlockByNumber', [h])));
    expect(new Set(blocks.map((b) => b.hash)).size).toBe(1);
    expect(new Set(blocks.map((b) => b.stateRoot)).size).toBe(1);
    const counts = await Promise.all([...SEALERS, 'observer-1'].map((n) => t.rpcOf(n).call<{ txSum: number }>('getTotalTransactionCount')));
    expect(new Set(counts.map((c) => c.txSum)).size).toBe(1);
  }, 600_000);

  it('at the end every node is still running, answers RPC and logged no fatal error', async () => {
    const { alive } = await t.assertHealthy();
    expect(alive.sort()).toEqual([...SEALERS, 'observer-1'].sort());
  });
});
