import { describe, it, expect } from 'vitest';
import { Syncer, type SyncPeer } from '../../src/sync/syncer.ts';

/** A fake block: its height, the peer that served it, and whether the node will refuse it. */
interface FakeBlock {
  height: number;
  peer: string;
  bad?: 'throws' | 'refused';
}

interface Call {
  peerId: string;
  from: number;
  count: number;
  signal: AbortSignal;
  resolve(blocks: FakeBlock[]): void;
}

function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The syncer's surroundings: peers with heights, a fetch whose answers the test releases
 * (one deferred per request; an abort rejects it like the network does), and a node whose
 * head advances on each accepted block. Waiting is on events (the next request, a delivery),
 * never on time.
 */
class Harness {
  height = 0;
  peers: SyncPeer[];
  readonly calls: Call[] = [];
  readonly delivered: FakeBlock[] = [];
  readonly warnings: string[] = [];
  /** Blocks handed to the node at or below its head (wasted work). */
  stale = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Called before a block is applied; may hold it (returns a promise) or move the head (consensus). */
  onDeliver: (b: FakeBlock) => Promise<void> | void = () => {};
  /** Pending waits: each returns true once it has fired. */
  private waiters: (() => boolean)[] = [];
  readonly syncer: Syncer<FakeBlock>;

  constructor(peers: SyncPeer[], opts: { maxBatch: number; prefetch?: number }) {
    this.peers = peers;
    this.syncer = new Syncer<FakeBlock>(
      { ...opts, cooldownMs: 60_000, requestTimeoutMs: 60_000 },
      {
        logger: { info() {}, debug() {}, warn: (o: object) => this.warnings.push(JSON.stringify(o)) },
        peers: () => this.peers,
        localHeight: () => this.height,
        fetch: (peerId, from, count, signal) =>
          new Promise<FakeBlock[]>((resolve, reject) => {
            this.inFlight++;
            this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
            let settled = false;
            const settle = (f: () => void) => {
              if (settled) return;
              settled = true;
              this.inFlight--;
              f();
            };
            signal.addEventListener('abort', () => settle(() => reject(new Error('aborted'))), { once: true });
            this.calls.push({ peerId, from, count, signal, resolve: (b) => settle(() => resolve(b)) });
            this.wake();
          }),
        deliver: async (b) => {
          if (b.height <= this.height) this.stale++;
          await this.onDeliver(b);
          if (b.bad === 'throws') throw new Error('unusable bytes');
          if (b.bad === 'refused' || b.height !== this.height + 1) return;
          this.height = b.height;
          this.delivered.push(b);
          this.wake();
        },
      },
    );
  }

  /** Resolves once `n` requests have been made. */
  request(n: number): Promise<Call> {
    return this.until(() => this.calls.length >= n).then(() => this.calls[n - 1]);
  }

  /** Resolves once the head is at `h`. */
  reach(h: number): Promise<void> {
    return this.until(() => this.height >= h);
  }

  private until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) =>
      this.waiters.push(() => {
        if (!cond()) return false;
        resolve();
        return true;
      }),
    );
  }

  private wake(): void {
    this.waiters = this.waiters.filter((fired) => !fired());
  }
}

const blocks = (peer: string, from: number, count: number, bad?: { height: number; kind: 'throws' | 'refused' }): FakeBlock[] =>
  Array.from({ length: count }, (_, i) => ({ height: from + i, peer, ...(bad && bad.height === from + i ? { bad: bad.kind } : {}) }));

describe('Syncer', () => {
  it('fetches the next batch while the current one is delivered, at most 1 + prefetch requests in flight, and delivers in height order', async () => {
    const h = new Harness([{ peerId: 'p1', height: 10 }], { maxBatch: 3, prefetch: 1 });
    const hold = deferred();
    h.onDeliver = (b) => (b.height === 1 ? hold.promise : undefined);
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    expect([c1.from, c1.count, c2.from, c2.count]).toEqual([1, 3, 4, 3]);
    // answers arrive out of order: nothing is delivered before the first batch
    c2.resolve(blocks('p1', 4, 3));
    expect(h.delivered).toEqual([]);
    c1.resolve(blocks('p1', 1, 3));
    // while block 1 is still being applied, the batch after the prefetched one is already asked for
    const c3 = await h.request(3);
    expect([c3.from, c3.count]).toEqual([7, 3]);
    expect(h.delivered).toEqual([]);
    hold.resolve();
    await h.reach(6);
    const c4 = await h.request(4);
    expect([c4.from, c4.count]).toEqual([10, 1]);
    c4.resolve(blocks('p1', 10, 1));
    c3.resolve(blocks('p1', 7, 3));
    await h.syncer.idle();
    expect(h.delivered.map((b) => b.height)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(h.maxInFlight).toBe(2);
    expect(h.calls).toHaveLength(4);
    expect(h.syncer.synced).toBe(10);
    expect(h.warnings).toEqual([]);
    expect(h.syncer.active).toBe(false);
  });

  it.each(['throws', 'refused'] as const)('a block that is %s penalises its peer: nothing it sent after it is applied, its prefetch is aborted, another peer continues', async (kind) => {
    const h = new Harness([{ peerId: 'p1', height: 8 }, { peerId: 'p2', height: 8 }], { maxBatch: 4, prefetch: 1 });
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    expect([c1.peerId, c2.peerId, c2.from]).toEqual(['p1', 'p1', 5]);
    c1.resolve(blocks('p1', 1, 4, { height: 3, kind }));
    // p1's second request is aborted; the syncer goes on with p2 from height 3
    const c3 = await h.request(3);
    expect(c2.signal.aborted).toBe(true);
    expect([c3.peerId, c3.from, c3.count]).toEqual(['p2', 3, 4]);
    c2.resolve(blocks('p1', 5, 4)); // too late: it was abandoned
    const c4 = await h.request(4);
    expect([c4.peerId, c4.from, c4.count]).toEqual(['p2', 7, 2]);
    c3.resolve(blocks('p2', 3, 4));
    c4.resolve(blocks('p2', 7, 2));
    await h.syncer.idle();
    expect(h.delivered.map((b) => `${b.height}:${b.peer}`)).toEqual(['1:p1', '2:p1', '3:p2', '4:p2', '5:p2', '6:p2', '7:p2', '8:p2']);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toMatch(kind === 'throws' ? /unusable block at height 3/ : /block at height 3 was not accepted/);
    expect(h.warnings[0]).toContain('p1');
  });

  it('stop() aborts every request in flight and ends the catch-up; later requests are ignored', async () => {
    const h = new Harness([{ peerId: 'p1', height: 100 }], { maxBatch: 10, prefetch: 1 });
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    expect(h.syncer.active).toBe(true);
    h.syncer.stop();
    expect(c1.signal.aborted).toBe(true);
    expect(c2.signal.aborted).toBe(true);
    await h.syncer.idle();
    expect(h.syncer.active).toBe(false);
    expect(h.delivered).toEqual([]);
    expect(h.warnings).toEqual([]); // stopping is not the peer's fault
    h.syncer.request();
    expect(h.syncer.active).toBe(false);
    expect(h.calls).toHaveLength(2);
  });

  it('a short answer (the peer hit its byte budget) drops the prefetch that started too high and asks again from the right height', async () => {
    const h = new Harness([{ peerId: 'p1', height: 8 }], { maxBatch: 4, prefetch: 1 });
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    c1.resolve(blocks('p1', 1, 2));
    const c3 = await h.request(3);
    expect(c2.signal.aborted).toBe(true);
    expect([c3.from, c3.count]).toEqual([3, 4]);
    const c4 = await h.request(4);
    expect([c4.from, c4.count]).toEqual([7, 2]);
    c3.resolve(blocks('p1', 3, 4));
    c4.resolve(blocks('p1', 7, 2));
    await h.syncer.idle();
    expect(h.delivered.map((b) => b.height)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.warnings).toEqual([]);
  });

  it('when consensus moves the head meanwhile, it starts again from the new head without blaming the peer', async () => {
    const h = new Harness([{ peerId: 'p1', height: 9 }], { maxBatch: 3, prefetch: 1 });
    // right after block 2 is applied, consensus finalizes 3 and 4 (the node got them by gossip)
    h.onDeliver = (b) => {
      if (b.height === 3) h.height = 4;
    };
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    c1.resolve(blocks('p1', 1, 3));
    const c3 = await h.request(3);
    expect([c3.from, c3.count]).toEqual([7, 3]);
    // the requests in flight started at 4 and 7: dropped, and asked again from 5
    const c4 = await h.request(4);
    expect(c2.signal.aborted).toBe(true);
    expect(c3.signal.aborted).toBe(true);
    expect([c4.peerId, c4.from, c4.count]).toEqual(['p1', 5, 3]);
    const c5 = await h.request(5);
    expect([c5.from, c5.count]).toEqual([8, 2]);
    c5.resolve(blocks('p1', 8, 2));
    c4.resolve(blocks('p1', 5, 3));
    await h.syncer.idle();
    expect(h.height).toBe(9);
    expect(h.delivered.map((b) => b.height)).toEqual([1, 2, 5, 6, 7, 8, 9]);
    expect(h.stale).toBe(0);
    expect(h.warnings).toEqual([]);
  });

  it('blocks at or below a head that moved while their batch was in flight are not handed to the node', async () => {
    const h = new Harness([{ peerId: 'p1', height: 9 }], { maxBatch: 3, prefetch: 1 });
    h.syncer.request();
    const c1 = await h.request(1);
    const c2 = await h.request(2);
    c1.resolve(blocks('p1', 1, 3));
    const c3 = await h.request(3);
    await h.reach(3);
    await new Promise((r) => setImmediate(r)); // no event to wait on: let the syncer settle on its wait for 4..6
    h.height = 5; // consensus finalized 4 and 5 while the batch 4..6 was on its way
    c2.resolve(blocks('p1', 4, 3));
    const c4 = await h.request(4);
    expect(c3.signal.aborted).toBe(true);
    expect([c4.from, c4.count]).toEqual([6, 3]);
    c4.resolve(blocks('p1', 6, 3));
    const c5 = await h.request(5);
    c5.resolve(blocks('p1', 9, 1));
    await h.syncer.idle();
    expect(h.height).toBe(9);
    expect(h.delivered.map((b) => b.height)).toEqual([1, 2, 3, 6, 7, 8, 9]);
    expect(h.stale).toBe(0);
    expect(h.warnings).toEqual([]);
  });

  it('a failed request penalises the peer and the next one is tried', async () => {
    const h = new Harness([{ peerId: 'p1', height: 3 }, { peerId: 'p2', height: 3 }], { maxBatch: 4, prefetch: 0 });
    h.syncer.request();
    const c1 = await h.request(1);
    expect(c1.peerId).toBe('p1');
    c1.resolve([]); // a peer that claims a higher head but serves nothing
    const c2 = await h.request(2);
    expect([c2.peerId, c2.from]).toEqual(['p2', 1]);
    c2.resolve(blocks('p2', 1, 3));
    await h.syncer.idle();
    expect(h.delivered.map((b) => b.height)).toEqual([1, 2, 3]);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toMatch(/p1.*served no blocks/);
    expect(h.maxInFlight).toBe(1);
  });
});
