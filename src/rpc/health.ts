import type { HttpRoute } from './server.ts';

/** What the node reports for its probes, read on each request. */
export interface HealthSnapshot {
  /** Consensus and sync are running (false until start-up finished, and again while stopping). */
  started: boolean;
  height: number;
  /** Best height a peer reported (null while no peer has). */
  bestPeerHeight: number | null;
  /** Executable txs in the pool (nonce-ready: what the next block could hold). */
  executableTxs: number;
  /** When this node last finalized a block, or started (its clock, ms). */
  lastFinalizedAt: number;
  /** Since when the pool has held executable txs without a pause (ms), or null when it holds none. */
  workSince: number | null;
  now: number;
}

export interface HealthLimits {
  /** Not ready while this many blocks (or more) behind the best peer. */
  maxSyncLagBlocks: number;
  /** Not ready when nothing was finalized for this long while the pool had executable txs. */
  maxStallSeconds: number;
}

export interface Readiness {
  ready: boolean;
  /** Why not, one line each (empty when ready). */
  reasons: string[];
  height: number;
  syncLagBlocks: number;
  stalledSeconds: number;
}

/** Ready = started, not more than N blocks behind the best peer, and progressing whenever there is work. */
export function readiness(s: HealthSnapshot, l: HealthLimits): Readiness {
  const reasons: string[] = [];
  if (!s.started) reasons.push('starting');
  const lag = s.bestPeerHeight === null ? 0 : Math.max(0, s.bestPeerHeight - s.height);
  if (lag > l.maxSyncLagBlocks) reasons.push(`syncing: ${lag} blocks behind the best peer (limit ${l.maxSyncLagBlocks})`);
  // the stall clock starts at the later of the last finalization and the arrival of work
  const stalledMs = s.executableTxs > 0 && s.workSince !== null ? Math.max(0, s.now - Math.max(s.lastFinalizedAt, s.workSince)) : 0;
  if (stalledMs > l.maxStallSeconds * 1000) reasons.push(`stalled: no block finalized for ${Math.floor(stalledMs / 1000)} s with ${s.executableTxs} executable txs waiting (limit ${l.maxStallSeconds} s)`);
  return { ready: reasons.length === 0, reasons, height: s.height, syncLagBlocks: lag, stalledSeconds: Math.floor(stalledMs / 1000) };
}

/**
 * GET /health/live: 200 while the process answers HTTP (restart it when this fails).
 * GET /health/ready: 200 when ready (readiness above), else 503 with the reasons (take it out
 * of load balancing; it comes back by itself). GET /health: the readiness answer, kept for
 * existing checks. docs/OPERATIONS.md, "Probes".
 */
export function healthRoutes(snapshot: () => HealthSnapshot, limits: HealthLimits): HttpRoute {
  return async (path) => {
    if (path === '/health/live') return { type: 'application/json', body: JSON.stringify({ status: 'live' }), headers: { 'cache-control': 'no-store' } };
    if (path !== '/health/ready' && path !== '/health') return null;
    const s = snapshot();
    const r = readiness(s, limits);
    const body = JSON.stringify({ status: r.ready ? 'ready' : 'not ready', ...r });
    return { status: r.ready ? 200 : 503, type: 'application/json', body, headers: { 'cache-control': 'no-store' } };
  };
}
