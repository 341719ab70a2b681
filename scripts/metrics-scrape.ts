/**
 * Prints one scrape of a real node's /metrics to stdout (CI pipes it to `promtool check
 * metrics`): a one-sealer chain in a temp dir that finalizes one block first, so histograms
 * and per-label series have values. The node and its directory are gone when it exits.
 */
import { startSingleNode } from '../test/support/single-node.ts';
import { signTx } from '../src/chain/tx.ts';

export async function scrapeMetrics(): Promise<string> {
  const n = await startSingleNode();
  try {
    const stx = signTx(n.devices[0], n.node.genesis.chainId, 0, { kind: 'registerDevice', registerDevice: { info: 'metrics scrape' } }, n.node.verifier.genesisHash);
    const finalized = new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if ((n.node.store.head()?.height ?? 0) >= 1) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    const r = n.node.submitTx(stx.bytes);
    if (!r.ok) throw r.error;
    await finalized;
    await fetch(n.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no_such_method' }) });
    return await (await fetch(n.url + '/metrics')).text();
  } finally {
    await n.stop();
  }
}

if (import.meta.main) process.stdout.write(await scrapeMetrics());
