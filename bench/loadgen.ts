/**
 * Open-loop load generator (its own process; started by bench/e2e.bench.ts), built on the SDK
 * (src/sdk: `Client.sendRawTransactions` batches, `Client.followBlocks`, a `BusyPolicy`).
 *
 * `node bench/loadgen.ts <job.json> <result.json>`. The job holds txs signed beforehand (by
 * SDK `Account`s with managed nonces, in bench/e2e.bench.ts), each with its hash and the RPC
 * endpoint it goes to. The generator sends them in `sendRawTransaction` batches at a fixed
 * offered rate for a fixed duration (the schedule never waits for responses: a slow node
 * makes the requests queue, and the latency counts from the scheduled send time, so there is
 * no coordinated omission). It follows finalized blocks on one node over server-sent events
 * and fetches each new block's tx hashes, timestamping finalization on this process's clock
 * when the event arrives. After the duration it waits (bounded) for every accepted tx to be
 * finalized and writes the result JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client, busyFixedDelay, isBusy, type BusyPolicy } from '../src/sdk/index.ts';

export interface LoadJob {
  rate: number;
  durationS: number;
  /** Waiting time after the send window for accepted txs to be finalized. */
  drainS: number;
  /** Finalized tx/s is counted over [warmupS, durationS] of the send window. */
  warmupS: number;
  urls: string[];
  /** Node whose `/events` stream and blocks timestamp finalization. */
  watchUrl: string;
  /** Hex of the raw tx (0x…), its hash (0x…), index into urls, its sender's address. */
  txs: { hex: string; hash: string; node: number; sender: string }[];
}

export interface LoadResult {
  rate: number;
  durationS: number;
  offered: number;
  sent: number;
  sentTps: number;
  accepted: number;
  rejected: Record<string, number>;
  /** NODE_BUSY refusals (overload protection); the generator retried each such tx later. */
  busyRefusals: number;
  /** Txs still unsent (waiting for a busy retry or for their sender) when the send window closed. */
  unsent: number;
  /** Requests that failed as a whole (HTTP/timeout): the txs' fate is unknown here. */
  unknownHashes: string[];
  finalized: number;
  finalizedInWindow: number;
  finalizedTps: number;
  /** Accepted (or unknown) txs not seen finalized before the drain deadline. */
  pendingHashes: string[];
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  blocks: number;
  /** Finalized txs in the watched blocks that this run did not send. */
  foreignTxs: number;
  drainMs: number;
  maxInflightRequests: number;
}

const BATCH = 100;
const TICK_MS = 5;
/**
 * A client's wait before sending again a tx refused with NODE_BUSY: the generator models
 * devices with their own 250 ms retry timer (as before it used the SDK), not the node's
 * `retryAfterMs` hint (1 s, the SDK's default policy for an interactive client).
 */
const BUSY: BusyPolicy = busyFixedDelay(250);

async function main(): Promise<void> {
  const [jobPath, outPath] = process.argv.slice(2);
  const job = JSON.parse(readFileSync(jobPath, 'utf8')) as LoadJob;
  const res = await runLoad(job);
  writeFileSync(outPath, JSON.stringify(res));
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  // a request that fails as a whole (connection reset, timeout) is sent again, up to 2 more
  // times: resending a tx is harmless (TXPOOL_DUPLICATE if it was admitted: counted as taken),
  // and a tx whose fate stays unknown would leave a nonce gap for its sender
  const clients = job.urls.map((u) => new Client(u, { timeoutMs: 30_000, retries: 2, retryDelayMs: 200, checkResults: false }));
  const n = job.txs.length;
  const submitAt = new Float64Array(n).fill(NaN);
  const finalAt = new Float64Array(n).fill(NaN);
  const status = new Uint8Array(n); // 0 unsent, 1 in flight, 2 accepted, 3 rejected, 4 unknown, 5 never sent
  const index = new Map<string, number>();
  job.txs.forEach((t, i) => index.set(t.hash, i));
  const rejected: Record<string, number> = {};
  let foreign = 0;
  let blocks = 0;

  // ---- finalization watcher: SSE block events → getBlockByNumber batches → tx hashes
  let followError: Error | null = null;
  const follower = new Client(job.watchUrl, { timeoutMs: 30_000, retries: 3, retryDelayMs: 200 }).followBlocks(
    (b, at) => {
      blocks++;
      for (const hsh of b.transactions) {
        const i = index.get(hsh);
        if (i === undefined) foreign++;
        else if (Number.isNaN(finalAt[i])) finalAt[i] = at;
      }
    },
    { onError: (e) => (followError ??= e) },
  );
  await follower.ready;

  // ---- open-loop sender
  let inflight = 0;
  let maxInflight = 0;
  let sent = 0;
  const t0 = performance.now();
  const sendWindowMs = job.durationS * 1000;
  const total = Math.min(n, Math.round(job.rate * job.durationS));
  const requests: Promise<void>[] = [];
  // Clients behave like devices that respect "busy": a sender has at most one tx in flight (a
  // tx due while its sender's previous one is unanswered waits), and a tx refused with
  // NODE_BUSY is sent again after the BUSY policy's delay, its sender's later txs waiting
  // behind it (nonce order). Latency still counts from each tx's scheduled time.
  const retryAt = new Map<string, number>();
  const inflightSenders = new Set<string>();
  let deferred: number[] = [];
  let busyRefusals = 0;
  let unsent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) / 1000) * job.rate)) - sent;
      const candidates = deferred;
      deferred = [];
      for (let k = 0; k < due; k++) {
        submitAt[sent + k] = now;
        candidates.push(sent + k);
      }
      if (due > 0) sent += due;
      candidates.sort((a, b) => a - b); // a sender's txs in nonce order (retries first)
      const perNode = new Map<number, number[]>();
      for (const i of candidates) {
        const sender = job.txs[i].sender;
        const ra = retryAt.get(sender);
        if (ra !== undefined && now < ra) {
          deferred.push(i);
          continue;
        }
        if (ra !== undefined) retryAt.delete(sender);
        if (inflightSenders.has(sender)) {
          deferred.push(i);
          continue;
        }
        inflightSenders.add(sender);
        const list = perNode.get(job.txs[i].node) ?? [];
        list.push(i);
        perNode.set(job.txs[i].node, list);
      }
      for (const [node, list] of perNode) {
        for (let s = 0; s < list.length; s += BATCH) {
          const chunk = list.slice(s, s + BATCH);
          for (const i of chunk) status[i] = 1;
          inflight++;
          maxInflight = Math.max(maxInflight, inflight);
          requests.push(
            clients[node]
              .sendRawTransactions(chunk.map((i) => job.txs[i].hex))
              .then((out) => {
                out.forEach((r, k) => {
                  const i = chunk[k];
                  if (r.ok) {
                    status[i] = 2; // taken (or, after a resend, a duplicate of the admitted first attempt)
                    return;
                  }
                  if (isBusy(r.error)) {
                    busyRefusals++;
                    status[i] = 0;
                    retryAt.set(job.txs[i].sender, performance.now() + BUSY(r.error, 0));
                    deferred.push(i);
                    return;
                  }
                  const code = r.error.reason ?? String(r.error.code);
                  status[i] = 3;
                  rejected[code] = (rejected[code] ?? 0) + 1;
                });
              })
              .catch(() => {
                for (const i of chunk) status[i] = 4;
              })
              .finally(() => {
                inflight--;
                for (const i of chunk) inflightSenders.delete(job.txs[i].sender);
              }),
          );
        }
      }
      const windowOver = sent >= total || now - t0 >= sendWindowMs;
      if (windowOver) {
        for (const i of deferred) status[i] = 5;
        unsent = deferred.length;
        return resolve();
      }
      setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const tSendEnd = performance.now();
  await Promise.all(requests);

  // ---- drain: wait for every accepted (or unknown) tx to be seen finalized
  const deadline = performance.now() + job.drainS * 1000;
  const outstanding = () => {
    let c = 0;
    for (let i = 0; i < sent; i++) if ((status[i] === 2 || status[i] === 4) && Number.isNaN(finalAt[i])) c++;
    return c;
  };
  while (outstanding() > 0 && performance.now() < deadline && !followError) await new Promise((r) => setTimeout(r, 50));
  await follower.idle();
  const drainMs = Math.round(performance.now() - tSendEnd);
  follower.stop();
  if (followError) throw followError;

  const lat: number[] = [];
  let accepted = 0;
  let finalized = 0;
  let inWindow = 0;
  const winStart = t0 + job.warmupS * 1000;
  const winEnd = t0 + sendWindowMs;
  const pendingHashes: string[] = [];
  const unknownHashes: string[] = [];
  for (let i = 0; i < sent; i++) {
    if (status[i] === 4) unknownHashes.push(job.txs[i].hash);
    if (status[i] === 2) accepted++;
    if (!Number.isNaN(finalAt[i])) {
      finalized++;
      lat.push(finalAt[i] - submitAt[i]);
      if (finalAt[i] >= winStart && finalAt[i] <= winEnd) inWindow++;
    } else if (status[i] === 2 || status[i] === 4) pendingHashes.push(job.txs[i].hash);
  }
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))]) : NaN);
  return {
    rate: job.rate,
    durationS: job.durationS,
    offered: total,
    sent,
    sentTps: Math.round(sent / ((tSendEnd - t0) / 1000)),
    accepted,
    rejected,
    busyRefusals,
    unsent,
    unknownHashes,
    finalized,
    finalizedInWindow: inWindow,
    finalizedTps: Math.round(inWindow / ((winEnd - winStart) / 1000)),
    pendingHashes,
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: lat.length ? Math.round(lat[lat.length - 1]) : NaN, mean: lat.length ? Math.round(lat.reduce((a, b) => a + b, 0) / lat.length) : NaN },
    blocks,
    foreignTxs: foreign,
    drainMs,
    maxInflightRequests: maxInflight,
  };
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
