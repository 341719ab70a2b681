/**
 * Governance on a testnet of real node processes (docs/GOVERNANCE.md): the three companies
 * vote a 5th sealer in through the CLI — its node starts from a config with only the genesis
 * and its key, syncs, is admitted by the gaters, then signs (a certificate with its seal
 * appears); then they vote one out (it is disconnected, the chain keeps finalizing); then a
 * fresh observer, voted in as an observer, syncs from genesis across both changes and agrees
 * on every block and every height's sealer set.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testnet, ROOT, freePorts, waitFor, type RunningNode } from './harness.ts';
import { RpcClient } from '../../src/cli/rpc-client.ts';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/index.ts';
import { peerIdFromPublicKey } from '../../src/p2p/index.ts';
import { NODE_RUNTIME_FLAGS } from '../../src/node/runtime-flags.ts';
import { toHex } from '../../src/util/bytes.ts';

const SEALERS = ['proxy', 'company-a', 'company-b', 'company-c'];
const COMPANIES = ['company-a', 'company-b', 'company-c'];
let t: Testnet;

beforeAll(async () => {
  t = await Testnet.create({ sealers: 4, observers: 1, devices: 2 });
  await t.startAll();
}, 90_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => t?.dumpLogs(60));
});

afterAll(async () => {
  await t?.stop();
}, 60_000);

/** Runs the real CLI (`edgechain …`), returns its --json output. */
function cli(args: string[], rpcUrl: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const wait = args[0] === 'gov' && (args[1] === 'propose' || args[1] === 'vote') ? ['--timeout', '60'] : [];
    const p = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, join(ROOT, 'bin', 'edgechain.js'), ...args, '--rpc', rpcUrl, '--json', ...wait], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`edgechain ${args.join(' ')} exited ${code}: ${err || out}`));
      }
    });
  });
}

const keyOf = (name: string) => t.layout.accounts.find((a) => a.name === name)!.keyPath;

/** One transfer per block from device-1 (blocks only exist when there are txs; every sealer gets its turn to propose). */
async function traffic(blocks: number, via = t.nodes[0]): Promise<void> {
  const dev = t.account('device-1');
  for (let i = 0; i < blocks; i++) {
    const h = await t.send(await t.sign(dev, { kind: 'transfer', transfer: { to: new Uint8Array(20).fill(9), amount: 1 } }, via), via);
    expect((await t.receipt(h, via, 60_000)).status).toBe(0);
  }
}

/** Adds a node process to the harness: a config with only the genesis and its own key. */
async function addNode(name: string, role: 'sealer' | 'observer'): Promise<{ rn: RunningNode; publicKey: string; keyPath: string }> {
  const [rpcPort, p2pPort] = await freePorts(2);
  const kp = generateKeyPair();
  const keyPath = join(t.dir, 'keys', 'nodes', `${name}.json`);
  writeKeyFile(keyPath, kp);
  const sealers = t.layout.nodes.filter((n) => SEALERS.includes(n.name));
  const cfg = {
    name,
    role,
    genesis: 'genesis.json',
    key: `keys/nodes/${name}.json`,
    dataDir: `./data/${name}`,
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`], bootstrap: sealers.map((p) => `/ip4/127.0.0.1/tcp/${p.p2pPort}/p2p/${p.peerId}`), observers: [] },
    rpc: { host: '127.0.0.1', port: rpcPort },
    log: { level: 'info' },
  };
  const configPath = join(t.dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify(cfg, null, 2));
  const node = { name, role, configPath, rpcPort, rpcUrl: `http://127.0.0.1:${rpcPort}`, p2pPort, publicKey: toHex(kp.publicKey), peerId: peerIdFromPublicKey(kp.publicKey) };
  t.layout.nodes.push(node);
  const rn: RunningNode = { node, rpc: new RpcClient(node.rpcUrl, 5000), proc: null };
  t.nodes.push(rn);
  t.start(name);
  await t.ready(name, 60_000);
  return { rn, publicKey: node.publicKey, keyPath };
}

/** Proposes with company-a and votes with the two others, through the CLI; the passing vote's receipt. */
async function pass(propose: string[]): Promise<{ id: number; receipt: any; passedAt: number }> {
  const url = t.nodes[0].node.rpcUrl;
  const r0 = await cli(['gov', 'propose', ...propose, '--key', keyOf('company-a')], url);
  expect(r0.status, JSON.stringify(r0)).toBe(0);
  const id = r0.proposalId;
  expect(r0.proposal).toMatchObject({ proposalId: id, status: 'open', approvals: 1, needed: 3 });
  const r1 = await cli(['gov', 'vote', '--key', keyOf('company-b'), '--proposal', String(id)], url);
  expect(r1.proposal).toMatchObject({ status: 'open', approvals: 2 });
  const r2 = await cli(['gov', 'vote', '--key', keyOf('company-c'), '--proposal', String(id)], url);
  const passedAt = Date.now();
  expect(r2.status, JSON.stringify(r2)).toBe(0);
  expect(r2.proposal).toMatchObject({ status: 'passed', approvals: 3, needed: 3, effectiveAt: r2.blockNumber + 2 });
  return { id, receipt: r2, passedAt };
}

/** Whether `name` signed the certificate of block h (the names come from the set of h). */
async function signedBy(h: number, name: string): Promise<boolean> {
  const b = await t.rpcOf('proxy').call<{ signers: { name: string }[] } | null>('getBlockByNumber', [h]);
  return !!b && b.signers.some((s) => s.name === name);
}

describe('the consortium votes a 5th sealer in and one out, on real processes', () => {
  let fifth: { rn: RunningNode; publicKey: string; keyPath: string };
  let addedAt = 0;
  let removedAt = 0;

  it('a 5th sealer: starts from genesis + key, is voted in (3 of 3), is admitted by the gaters, syncs and signs', async () => {
    // every genesis sealer proposes a block in turn (the quorum guard's evidence)
    await traffic(10);
    fifth = await addNode('sealer-5', 'sealer');
    // not a member yet: no sealer admits it, so it has no peer and stays at genesis
    expect(await fifth.rn.rpc.call<number>('getBlockNumber')).toBe(0);
    expect((await cli(['sealers'], t.nodes[0].node.rpcUrl)).map((s: any) => s.name)).toEqual(SEALERS);

    const { receipt, passedAt } = await pass(['add-sealer', '--node', fifth.keyPath, '--name', 'sealer-5']);
    addedAt = receipt.proposal.effectiveAt;
    const sealers = await cli(['sealers', '--height', String(addedAt)], t.nodes[0].node.rpcUrl);
    expect(sealers.map((s: any) => s.name)).toEqual([...SEALERS, 'sealer-5']);
    expect(sealers[4]).toMatchObject({ publicKey: fifth.publicKey, operator: t.account('company-a').address, fromHeight: addedAt });
    expect((await cli(['sealers', '--height', String(addedAt - 1)], t.nodes[0].node.rpcUrl)).map((s: any) => s.name)).toEqual(SEALERS);

    // traffic until a certificate carries sealer-5's seal: the gaters admitted it, it votes
    let firstSigned = 0;
    await waitFor('a certificate signed by sealer-5', async () => {
      await traffic(1);
      const top = await t.height('proxy');
      for (let h = addedAt; h <= top; h++) if (await signedBy(h, 'sealer-5')) return (firstSigned = h);
      return 0;
    }, 120_000, 10);
    const ms = Date.now() - passedAt;
    const blockMs = (await t.rpcOf('proxy').call<any>('getBlockByNumber', [firstSigned])).timestamp - (await t.rpcOf('proxy').call<any>('getBlockByNumber', [receipt.blockNumber])).timestamp;
    console.log(`[governance] passing vote at height ${receipt.blockNumber} → sealer-5's first seal on block ${firstSigned} (effect height ${addedAt}): ${blockMs} ms between the blocks' timestamps, ${ms} ms observed by the test (incl. polling and CLI)`);
    // it signed, so enough of its votes got through; its other bootstrap peers follow (redial backoff)
    await waitFor('sealer-5 connected to the four other sealers', async () => (await fifth.rn.rpc.call<{ connected: boolean }[]>('getPeers')).filter((p) => p.connected).length >= 4, 60_000, 500);
    const top = await t.height('proxy');
    await waitFor('sealer-5 synced', async () => (await fifth.rn.rpc.call<number>('getBlockNumber')) >= top, 60_000);
  }, 400_000);

  it('company-c\'s sealer voted out (by name): disconnected within a block, the chain keeps finalizing with the other four', async () => {
    await traffic(12);
    const { receipt } = await pass(['remove-sealer', '--node', 'company-c']);
    removedAt = receipt.proposal.effectiveAt;
    expect((await cli(['sealers', '--height', String(removedAt)], t.nodes[0].node.rpcUrl)).map((s: any) => s.name)).toEqual(['proxy', 'company-a', 'company-b', 'sealer-5']);
    await traffic(3);
    const cPeer = t.byName('company-c').node.peerId;
    await waitFor('company-c disconnected from every other sealer', async () => {
      for (const n of ['proxy', 'company-a', 'company-b']) {
        const peers = await t.rpcOf(n).call<{ peerId: string; connected: boolean }[]>('getPeers');
        if (peers.some((p) => p.peerId === cPeer && p.connected)) return false;
      }
      return true;
    }, 30_000);
    const before = await t.height('proxy');
    await traffic(4);
    const after = await t.height('proxy');
    expect(after).toBeGreaterThanOrEqual(before + 4);
    for (let h = removedAt; h <= after; h++) expect(await signedBy(h, 'company-c'), `block ${h}`).toBe(false);
  }, 400_000);

  it('a fresh observer, voted in as an observer, syncs from genesis across both changes and agrees on every set', async () => {
    const obs = await (async () => {
      const kp = generateKeyPair();
      const keyPath = join(t.dir, 'keys', 'nodes', 'observer-new.key.json');
      writeKeyFile(keyPath, kp);
      await traffic(8);
      await pass(['add-observer', '--node', toHex(kp.publicKey), '--name', 'observer-new']);
      return kp;
    })();
    // the node itself (its own key file is written by addNode; use the voted key)
    const name = 'observer-new';
    const [rpcPort, p2pPort] = await freePorts(2);
    const keyPath = join(t.dir, 'keys', 'nodes', `${name}.json`);
    writeKeyFile(keyPath, obs);
    const sealers = t.layout.nodes.filter((n) => ['proxy', 'company-a', 'company-b'].includes(n.name));
    const configPath = join(t.dir, `${name}.json`);
    writeFileSync(configPath, JSON.stringify({ name, role: 'observer', genesis: 'genesis.json', key: `keys/nodes/${name}.json`, dataDir: `./data/${name}`, p2p: { listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`], bootstrap: sealers.map((p) => `/ip4/127.0.0.1/tcp/${p.p2pPort}/p2p/${p.peerId}`), observers: [] }, rpc: { host: '127.0.0.1', port: rpcPort }, log: { level: 'info' } }, null, 2));
    const node = { name, role: 'observer' as const, configPath, rpcPort, rpcUrl: `http://127.0.0.1:${rpcPort}`, p2pPort, publicKey: toHex(obs.publicKey), peerId: peerIdFromPublicKey(obs.publicKey) };
    t.layout.nodes.push(node);
    t.nodes.push({ node, rpc: new RpcClient(node.rpcUrl, 5000), proc: null });
    t.start(name);
    await t.ready(name, 60_000);
    await traffic(2);
    const head = await t.height('proxy');
    const [a, b] = await t.heads(['proxy', name], head, 120_000);
    expect(b).toBe(a);
    for (const h of [1, addedAt - 1, addedAt, removedAt - 1, removedAt, head]) {
      const mine = await t.rpcOf(name).call<{ publicKey: string }[]>('getSealerList', [h]);
      const theirs = await t.rpcOf('proxy').call<{ publicKey: string }[]>('getSealerList', [h]);
      expect(mine.map((s) => s.publicKey), `sealers of height ${h}`).toEqual(theirs.map((s) => s.publicKey));
      expect((await t.rpcOf(name).call<any>('getBlockByNumber', [h])).hash).toBe((await t.rpcOf('proxy').call<any>('getBlockByNumber', [h])).hash);
    }
    const { alive } = await t.assertHealthy();
    expect(alive).toContain(name);
  }, 400_000);
});
