/**
 * One real node in this process, on loopback ports the OS picks: a fresh testnet directory
 * (`sealers` sealers in genesis, only the first one started), for tests of what an operator
 * sees (health, metrics, keys). stop() stops the node and deletes the directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTestnet, type TestnetLayout } from '../../src/node/testnet.ts';
import { loadConfig } from '../../src/node/config.ts';
import { EdgeNode } from '../../src/node/node.ts';
import { createLogger } from '../../src/node/logger.ts';
import { readKeyFile, type KeyPair } from '../../src/crypto/index.ts';

export interface SingleNode {
  node: EdgeNode;
  url: string;
  layout: TestnetLayout;
  devices: KeyPair[];
  stop(): Promise<void>;
}

export async function startSingleNode(
  o: { sealers?: number; chainId?: string; config?: Record<string, unknown>; devices?: number; editGenesis?: (g: Record<string, unknown>) => void } = {},
): Promise<SingleNode> {
  const dir = mkdtempSync(join(tmpdir(), 'edgechain-single-'));
  const layout = initTestnet({ dir, sealers: o.sealers ?? 1, observers: 0, devices: o.devices ?? 2, chainId: o.chainId, rpcBasePort: 0, p2pBasePort: 0 });
  if (o.editGenesis) {
    const g = JSON.parse(readFileSync(layout.genesisPath, 'utf8'));
    o.editGenesis(g);
    writeFileSync(layout.genesisPath, JSON.stringify(g, null, 2));
  }
  const first = layout.nodes[0];
  const raw = JSON.parse(readFileSync(first.configPath, 'utf8'));
  raw.rpc.port = 0;
  raw.p2p = { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] };
  Object.assign(raw, o.config ?? {});
  writeFileSync(first.configPath, JSON.stringify(raw));
  let node: EdgeNode;
  try {
    node = await EdgeNode.start(loadConfig(first.configPath, {}), { logger: createLogger({ level: 'silent', name: first.name }) });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    node,
    url: `http://127.0.0.1:${node.rpcAddress!.port}`,
    layout,
    devices: layout.accounts.filter((a) => a.role === 'user').map((a) => readKeyFile(a.keyPath)),
    async stop() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
