/**
 * /health/live and /health/ready of a real node, and readiness by its rules: started, not more
 * than maxSyncLagBlocks behind the best peer, a block finalized within maxStallSeconds while
 * the pool has executable txs. Also: a tx signed for another network with the same chain id is
 * refused (the genesis hash is part of what a tx signs).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSingleNode, type SingleNode } from '../support/single-node.ts';
import { readiness } from '../../src/rpc/health.ts';
import { signTx } from '../../src/chain/tx.ts';
import { genesisHash, parseGenesis } from '../../src/chain/genesis.ts';
import { initTestnet } from '../../src/node/testnet.ts';
import { RpcClient } from '../../src/cli/rpc-client.ts';
import { toHex } from '../../src/util/bytes.ts';

const LIMITS = { maxSyncLagBlocks: 5, maxStallSeconds: 30 };
const base = { started: true, height: 100, bestPeerHeight: 100, executableTxs: 0, lastFinalizedAt: 0, workSince: null, now: 1_000_000 };

describe('readiness rules', () => {
  it('ready when started, level with peers and idle', () => {
    expect(readiness(base, LIMITS)).toMatchObject({ ready: true, reasons: [] });
    expect(readiness({ ...base, bestPeerHeight: null }, LIMITS).ready).toBe(true);
  });
  it('not ready while starting', () => {
    expect(readiness({ ...base, started: false }, LIMITS)).toMatchObject({ ready: false, reasons: ['starting'] });
  });
  it('not ready while more than N blocks behind the best peer', () => {
    expect(readiness({ ...base, bestPeerHeight: 105 }, LIMITS).ready).toBe(true);
    expect(readiness({ ...base, bestPeerHeight: 106 }, LIMITS)).toMatchObject({ ready: false, syncLagBlocks: 6, reasons: ['syncing: 6 blocks behind the best peer (limit 5)'] });
  });
  it('not ready when nothing was finalized for M seconds while executable txs wait, counted from when the work arrived', () => {
    const idleLong = { ...base, lastFinalizedAt: 0, now: 3_600_000 };
    expect(readiness(idleLong, LIMITS).ready).toBe(true); // an idle chain is not stalled
    expect(readiness({ ...idleLong, executableTxs: 3, workSince: 3_600_000 - 10_000 }, LIMITS).ready).toBe(true); // work for 10 s
    const r = readiness({ ...idleLong, executableTxs: 3, workSince: 3_600_000 - 31_000 }, LIMITS);
    expect(r).toMatchObject({ ready: false, stalledSeconds: 31 });
    expect(r.reasons[0]).toMatch(/^stalled: no block finalized for 31 s with 3 executable txs waiting \(limit 30 s\)$/);
  });
});

describe('a node that cannot finalize (1 of 2 sealers running)', () => {
  let n: SingleNode;
  const other = mkdtempSync(join(tmpdir(), 'edgechain-other-net-'));
  afterAll(async () => {
    await n?.stop();
    rmSync(other, { recursive: true, force: true });
  });

  it('is live, and ready until txs wait longer than maxStallSeconds; then /health/ready is 503 with the reason', async () => {
    n = await startSingleNode({ sealers: 2, config: { health: { maxStallSeconds: 1 } } });
    const live = await fetch(n.url + '/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'live' });
    const ready = await fetch(n.url + '/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', reasons: [] });
    // before any block of its own, the last block time is that of the stored head (here genesis), not 0
    expect(await (await fetch(n.url + '/metrics')).text()).toMatch(new RegExp(`^edgechain_block_timestamp_seconds ${n.node.genesis.timestamp / 1000}$`, 'm'));

    const stx = signTx(n.devices[0], n.node.genesis.chainId, 0, { kind: 'registerDevice', registerDevice: { info: 'waits forever' } }, n.node.verifier.genesisHash);
    expect(n.node.submitTx(stx.bytes).ok).toBe(true);
    let last: Response | null = null;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      last = await fetch(n.url + '/health/ready');
      if (last.status === 503) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last!.status).toBe(503);
    const body = (await last!.json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('not ready');
    expect(body.reasons[0]).toMatch(/^stalled: no block finalized for \d+ s with 1 executable txs waiting \(limit 1 s\)$/);
    expect((await fetch(n.url + '/health')).status).toBe(503);
    expect((await fetch(n.url + '/health/live')).status).toBe(200);
    expect(await (await fetch(n.url + '/metrics')).text()).toMatch(/^edgechain_ready 0$/m);
  });

  it('refuses a tx signed for another network with the same chain id (the genesis hash is signed)', async () => {
    const layout = initTestnet({ dir: other, sealers: 2, observers: 0, devices: 2 }); // same chain id, other keys
    const otherHash = genesisHash(parseGenesis(JSON.parse(readFileSync(layout.genesisPath, 'utf8'))));
    expect(toHex(otherHash)).not.toBe(toHex(n.node.verifier.genesisHash));
    const client = new RpcClient(n.url, 5000);
    const foreign = signTx(n.devices[1], n.node.genesis.chainId, 0, { kind: 'registerDevice', registerDevice: { info: 'replayed' } }, otherHash);
    await expect(client.call('sendRawTransaction', [toHex(foreign.bytes, true)])).rejects.toThrow(/signature does not verify/);
    const own = signTx(n.devices[1], n.node.genesis.chainId, 0, { kind: 'registerDevice', registerDevice: { info: 'mine' } }, n.node.verifier.genesisHash);
    expect(await client.call('sendRawTransaction', [toHex(own.bytes, true)])).toBe(own.hashHex);
  });
});
