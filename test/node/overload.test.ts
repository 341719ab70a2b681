import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTestnet } from '../../src/node/testnet.ts';
import { loadConfig } from '../../src/node/config.ts';
import { EdgeNode } from '../../src/node/node.ts';
import { createLogger } from '../../src/node/logger.ts';
import { readKeyFile } from '../../src/crypto/index.ts';
import { signTx } from '../../src/chain/tx.ts';
import { RpcClient } from '../../src/cli/rpc-client.ts';
import { toHex } from '../../src/util/bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgechain-overload-'));
let node: EdgeNode | null = null;
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('overload protection', () => {
  it('refuses client txs with NODE_BUSY (JSON-RPC -32002) once the pool is at load.busyPoolTxs, and changes nothing', async () => {
    const layout = initTestnet({ dir, sealers: 4, observers: 1, devices: 3, deterministic: true, dataRoot: './data', rpcBasePort: 0, p2pBasePort: 0 });
    // an observer with no peers: nothing is ever finalized, so its pool only fills
    const obs = layout.nodes.find((n) => n.role === 'observer')!;
    const raw = JSON.parse(readFileSync(obs.configPath, 'utf8'));
    raw.rpc.port = 0;
    raw.p2p.listen = ['/ip4/127.0.0.1/tcp/0'];
    raw.p2p.bootstrap = [];
    raw.load = { busyPoolTxs: 2 };
    writeFileSync(obs.configPath, JSON.stringify(raw));
    const cfg = loadConfig(obs.configPath);
    expect(cfg.load.busyPoolTxs).toBe(2);
    node = await EdgeNode.start(cfg, { logger: createLogger({ level: 'silent', name: 'obs' }) });
    const devices = layout.accounts.filter((a) => a.role === 'user').map((a) => readKeyFile(a.keyPath));
    const chainId = node.genesis.chainId;
    const mk = (i: number) => signTx(devices[i], chainId, 0, { kind: 'registerDevice', registerDevice: { info: `d${i}` } }, node!.verifier.genesisHash);
    expect(node.submitTx(mk(0).bytes).ok).toBe(true);
    expect(node.submitTx(mk(1).bytes).ok).toBe(true);
    const third = mk(2);
    const r = node.submitTx(third.bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('NODE_BUSY');
      expect(r.error.message).toMatch(/node busy: 2 txs pending \(limit 2\)/);
    }
    // over JSON-RPC: a distinct "unavailable" error a client can retry on
    const client = new RpcClient(`http://${node.rpcAddress!.host}:${node.rpcAddress!.port}`, 5000);
    await expect(client.call('sendRawTransaction', [toHex(third.bytes, true)])).rejects.toMatchObject({ data: { rpcCode: -32002, reason: 'NODE_BUSY' } });
    // nothing changed: the refused tx is not in the pool, the accepted ones are
    expect(node.pool.size).toBe(2);
    expect(await client.call('getPendingTxSize')).toBe(2);
  });

  it('rejects unknown or non-positive load options with a clear error', () => {
    const obs = join(dir, 'bad.json');
    writeFileSync(obs, JSON.stringify({ genesis: 'g.json', key: 'k.json', load: { busyPoolTx: 5 } }));
    expect(() => loadConfig(obs)).toThrow(/load\.busyPoolTx: not an option; did you mean load\.busyPoolTxs\?/);
    writeFileSync(obs, JSON.stringify({ genesis: 'g.json', key: 'k.json', load: { proposalMaxTxs: 0 } }));
    expect(() => loadConfig(obs)).toThrow(/load\.proposalMaxTxs: Too small: expected number to be >=1/);
  });
});
