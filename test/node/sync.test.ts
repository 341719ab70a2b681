/**
 * Catching up in process: a sealer resumes on a generated chain (real signed txs, quorum
 * certificates, LevelDB) and a fresh observer syncs it through libp2p blocks-by-range,
 * with the tx signatures checked in a worker thread and the blocks written behind.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTestnet } from '../../src/node/testnet.ts';
import { loadConfig, parseConfig } from '../../src/node/config.ts';
import { defaultVerifyWorkers } from '../../src/crypto/verify-pool.ts';
import { EdgeNode } from '../../src/node/node.ts';
import { createLogger } from '../../src/node/logger.ts';
import { readKeyFile } from '../../src/crypto/index.ts';
import { parseGenesis } from '../../src/chain/index.ts';
import { EventHub } from '../../src/rpc/events.ts';
import { toHex } from '../../src/util/bytes.ts';
import { generateChain } from '../e2e/chaingen.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgechain-sync-'));
const nodes: EdgeNode[] = [];
const publish = EventHub.prototype.publish;
afterAll(async () => {
  EventHub.prototype.publish = publish;
  for (const n of nodes.reverse()) await n.stop();
  rmSync(dir, { recursive: true, force: true });
});

const silent = (name: string) => createLogger({ level: 'silent', name });

function writeConfig(path: string, patch: (c: Record<string, any>) => void): void {
  const c = JSON.parse(readFileSync(path, 'utf8'));
  c.rpc.port = 0;
  c.p2p.listen = ['/ip4/127.0.0.1/tcp/0'];
  c.p2p.bootstrap = [];
  patch(c);
  writeFileSync(path, JSON.stringify(c));
}

describe('sync', () => {
  it('a fresh observer catches up 300 blocks from one sealer: same head, every tx signature checked once (in the worker), block events in order once each block is stored', async () => {
    const layout = initTestnet({ dir, sealers: 4, observers: 1, devices: 8, deterministic: true, dataRoot: './data', rpcBasePort: 0, p2pBasePort: 0 });
    const proxy = layout.nodes.find((n) => n.name === 'proxy')!;
    const obs = layout.nodes.find((n) => n.role === 'observer')!;
    writeConfig(proxy.configPath, () => {});
    const genesis = parseGenesis(JSON.parse(readFileSync(layout.genesisPath, 'utf8')));
    const keyOf = (name: string) => readKeyFile(join(dir, 'keys', 'nodes', `${name}.json`));
    const gen = await generateChain({
      dataDir: loadConfig(proxy.configPath).dataDir,
      genesis,
      sealerKeys: layout.nodes.filter((n) => n.role === 'sealer').map((n) => keyOf(n.name)),
      devices: layout.accounts.filter((a) => a.role === 'user').map((a) => readKeyFile(a.keyPath)),
      companies: layout.accounts.filter((a) => a.role === 'company').map((a) => readKeyFile(a.keyPath)),
      blocks: 300,
      meanTxs: 4,
    });
    expect(gen.txs).toBeGreaterThan(900);

    const sealer = await EdgeNode.start(loadConfig(proxy.configPath), { logger: silent('proxy') });
    nodes.push(sealer);
    expect(sealer.store.head()?.height).toBe(300);

    // the observer's block events, and its stored head when the last one is published
    const events: number[] = [];
    let observer: EdgeNode | null = null;
    let headAtLast = -1;
    let synced!: () => void;
    const done = new Promise<void>((r) => (synced = r));
    EventHub.prototype.publish = function (this: EventHub, event: string, data: unknown) {
      if (event === 'block' && this !== sealer.events) {
        const n = (data as { number: number }).number;
        events.push(n);
        if (n === 300) {
          headAtLast = observer?.store.head()?.height ?? -1;
          synced();
        }
      }
      return publish.call(this, event, data);
    };

    writeConfig(obs.configPath, (c) => {
      c.p2p.bootstrap = sealer.network.listenAddrs();
      c.sync = { verifyWorkers: 1 };
    });
    observer = await EdgeNode.start(loadConfig(obs.configPath), { logger: silent('observer') });
    nodes.push(observer);
    await done;

    expect(events).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(headAtLast).toBe(300); // the event of a synced block waits for its write
    const a = sealer.store.head()!;
    const b = observer.store.head()!;
    expect(toHex(b.hash)).toBe(toHex(a.hash));
    expect(toHex(b.stateRoot)).toBe(toHex(a.stateRoot));
    expect(observer.store.counters()).toEqual(sealer.store.counters());
    expect(observer.store.counters().totalTxs).toBe(gen.txs);
    expect(observer.syncer.synced).toBe(300);
    // each signature verified once, ahead of delivery (verifyMany); finalize found every one cached
    expect(observer.verifier.misses).toBe(gen.txs);
    expect(observer.verifier.hits).toBeGreaterThanOrEqual(gen.txs);
  });

  it('sync.verifyWorkers defaults to the cores minus one (1..4), accepts 0 (main thread) and refuses anything else', () => {
    const base = { genesis: 'g.json', key: 'k.json' };
    expect(parseConfig(base, dir).sync.verifyWorkers).toBe(defaultVerifyWorkers());
    expect(defaultVerifyWorkers()).toBeGreaterThanOrEqual(1);
    expect(defaultVerifyWorkers()).toBeLessThanOrEqual(4);
    expect(parseConfig({ ...base, sync: { verifyWorkers: 0 } }, dir).sync.verifyWorkers).toBe(0);
    for (const bad of [-1, 1.5, '2', 65]) expect(() => parseConfig({ ...base, sync: { verifyWorkers: bad } }, dir)).toThrow(/sync\.verifyWorkers: (Too small|Too big|expected an integer, got 1.5|expected number, got string)/);
    expect(() => parseConfig({ ...base, sync: 3 }, dir)).toThrow(/sync: expected object, got number/);
  });
});
