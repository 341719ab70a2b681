/**
 * Memory retained per transaction by a sealer's state, in one process (no testnet, no CPU
 * contention): the real WorldState executes and commits blocks of the soak's shape (18
 * EdgeMatch per block, 60 edge nodes, 400 devices, blocks 60 ms apart) and after full GCs
 * every 500 blocks prints the V8 heap (used, committed), ArrayBuffer memory (the native
 * backing stores of typed arrays) and RSS, and the growth per tx since the previous line.
 * docs/PERFORMANCE.md "Memory: the soak" explains the figures.
 *
 * `node --expose-gc --max-semi-space-size=4 bench/state-memory.ts [blocks=1500] [txs per block=18]
 * [every=500]`; EDGECHAIN_MEM_RETENTION=heights:min:nodes sets the kept past heights
 * (WorldState.setRetention; default DEFAULT_RETENTION), e.g. 64:64:1e12 for the count-only
 * window of before issue 16's budget.
 * (with `LD_PRELOAD=…libjemalloc.so.2` or `heaptrack` in front to compare allocators or to
 * attribute native memory).
 */
import v8 from 'node:v8';
import { keyPairFromLabel } from '../src/crypto/keys.ts';
import { signTx, type SignedTx } from '../src/chain/tx.ts';
import { loadedState, makeNodes } from './state.bench.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with --expose-gc\n');
  process.exit(2);
}
const PER_BLOCK = Number(process.argv[3] ?? 18);
const EVERY = Number(process.argv[4] ?? 500);
const BLOCK_MS = 60;
const BLOCKS = Number(process.argv[2] ?? 1500);
const nodes = makeNodes(60, 'clustered', 7).map((x) => ({ ...x, capacity: 1_000_000, serviceTypes: ['video', 'ml'] }));
const labels = Array.from({ length: 400 }, (_, i) => 'dev-' + i);
const ws = loadedState(nodes, labels);
if (process.env.EDGECHAIN_MEM_RETENTION) {
  const [maxHeights, minHeights, budget] = process.env.EDGECHAIN_MEM_RETENTION.split(':').map(Number);
  ws.setRetention({ maxHeights, minHeights, nodes: budget });
}
const keys = labels.map((l) => keyPairFromLabel(l));
const nonce = new Array<number>(labels.length).fill(0);
const MB = 2 ** 20;
const snap = () => {
  gc();
  gc();
  const h = v8.getHeapStatistics();
  const m = process.memoryUsage();
  return { rss: m.rss / MB, heapUsed: h.used_heap_size / MB, heapCommitted: h.total_physical_size / MB, arrayBuffers: m.arrayBuffers / MB };
};
let prev = snap();
let k = 0;
for (let b = 1; b <= BLOCKS; b++) {
  const txs: SignedTx[] = [];
  for (let i = 0; i < PER_BLOCK; i++, k++) {
    const d = k % labels.length;
    const n = nodes[k % nodes.length];
    txs.push(signTx(keys[d], 'bench', nonce[d]++, { kind: 'edgeMatch', edgeMatch: { lat: n.lat, lon: n.lon, taskType: k % 2 ? 'video' : 'ml', demand: 1, maxPrice: 0, durationS: 60 } }));
  }
  const res = ws.execute({ height: b, timestamp: 1_000_000 + b * BLOCK_MS, proposer: '0x' + '00'.repeat(20) }, txs);
  if (!res.ok) throw res.error;
  ws.commit();
  if (b % EVERY === 0) {
    const s = snap();
    const per = (x: number) => Math.round((x * MB) / (EVERY * PER_BLOCK));
    console.log(
      `block ${b} (${b * PER_BLOCK} txs, provable from ${ws.oldestProvableHeight}): heap used ${s.heapUsed.toFixed(0)} MB, committed ${s.heapCommitted.toFixed(0)} MB, arrayBuffers ${s.arrayBuffers.toFixed(1)} MB, rss ${s.rss.toFixed(0)} MB` +
        ` | per tx since the last line: heap ${per(s.heapUsed - prev.heapUsed)} B, arrayBuffers ${per(s.arrayBuffers - prev.arrayBuffers)} B, rss ${per(s.rss - prev.rss)} B`,
    );
    prev = s;
  }
}
