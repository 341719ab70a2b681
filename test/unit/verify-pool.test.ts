import { describe, it, expect, afterEach, vi } from 'vitest';
import { VerifyPool, packItems, unpackItems, type BatchVerifier, type VerifyItem } from '../../src/crypto/verify-pool.ts';
import { keyPairFromLabel, sign, verify } from '../../src/crypto/keys.ts';
import { TxVerifier, signTx } from '../../src/chain/tx.ts';
import { utf8 } from '../../src/util/bytes.ts';

const alice = keyPairFromLabel('pool-alice');
const bob = keyPairFromLabel('pool-bob');

/** n items, every third one broken in a different way (tampered message, wrong key, short signature). */
function items(n: number): { items: VerifyItem[]; expected: boolean[] } {
  const out: VerifyItem[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const message = utf8(`message ${i} ${'x'.repeat(i % 50)}`);
    const signature = sign(message, alice.secretKey);
    if (i % 3 !== 2) {
      out.push({ signature, message, publicKey: alice.publicKey });
      expected.push(true);
      continue;
    }
    const k = i % 9;
    if (k === 2) out.push({ signature, message: utf8(`message ${i}!`), publicKey: alice.publicKey });
    else if (k === 5) out.push({ signature, message, publicKey: bob.publicKey });
    else out.push({ signature: signature.subarray(0, 63), message, publicKey: alice.publicKey });
    expected.push(false);
  }
  return { items: out, expected };
}

/** n items that all pack for a worker (64-byte signatures; some still fail: tampered message, wrong key). */
function packable(n: number): { items: VerifyItem[]; expected: boolean[] } {
  const all = items(Math.ceil(n * 1.2) + 9);
  const keep = all.items.map((_, i) => i).filter((i) => all.items[i].signature.length === 64).slice(0, n);
  return { items: keep.map((i) => all.items[i]), expected: keep.map((i) => all.expected[i]) };
}

const pools: VerifyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});
const pool = (o: ConstructorParameters<typeof VerifyPool>[0]) => {
  const p = new VerifyPool(o);
  pools.push(p);
  return p;
};

describe('VerifyPool', () => {
  it('gives the same verdicts as verify(), in order, with worker threads and on the calling thread', async () => {
    const { items: its, expected } = items(300);
    expect(its.map((it) => verify(it.signature, it.message, it.publicKey))).toEqual(expected);
    for (const workers of [0, 1, 2]) {
      expect(await pool({ workers, chunk: 64 }).verifyMany(its)).toEqual(expected);
    }
  });

  it('spreads a large batch over its workers in chunks and puts the verdicts back in order', async () => {
    // packable items: a chunk with a short signature would be verified here, never by a worker
    const { items: its, expected } = packable(1000);
    expect(expected.filter((v) => !v).length).toBeGreaterThan(100);
    const p = pool({ workers: 2, chunk: 50 });
    const [a, b] = await Promise.all([p.verifyMany(its), p.verifyMany(its.slice(500))]);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected.slice(500));
    expect(await p.verifyMany([])).toEqual([]);
  });

  it('a worker that dies loses no verdict: what it owed is verified on the calling thread', async () => {
    // only items that pack (a chunk holding a short signature is verified here and never reaches a worker)
    const { items: its, expected } = packable(600);
    expect(expected.filter((v) => !v).length).toBeGreaterThan(0);
    const p = pool({ workers: 1, chunk: 100 });
    await p.verifyMany(its.slice(0, 3)); // starts the worker
    const slots = (p as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    expect(slots).toHaveLength(1);
    // 30 chunks (the 600 items 5 times) are handed to the worker: more than it can answer
    // before terminate() lands, so the death always leaves work owed
    const many = Array.from({ length: 5 }, () => its).flat();
    const pending = p.verifyMany(many);
    expect(p.fallbackVerified).toBe(0);
    await slots[0].worker.terminate();
    expect(await pending).toEqual(Array.from({ length: 5 }, () => expected).flat());
    // the fallback ran: what the dead worker owed was verified here (whole chunks of 100)
    expect(p.fallbackVerified).toBeGreaterThan(0);
    expect(p.fallbackVerified % 100).toBe(0);
    // the pool has no worker left and keeps answering on the calling thread
    expect(await p.verifyMany(its.slice(0, 30))).toEqual(expected.slice(0, 30));
  });

  it('after close() it still answers, on the calling thread', async () => {
    const { items: its, expected } = items(20);
    const p = pool({ workers: 1 });
    expect(await p.verifyMany(its)).toEqual(expected);
    await p.close();
    expect(await p.verifyMany(its)).toEqual(expected);
  });

  it('packs and unpacks items losslessly; a key or signature of the wrong length is not packed', () => {
    const { items: its } = items(9);
    const ok = its.filter((it) => it.signature.length === 64);
    const back = unpackItems(packItems(ok)!);
    expect(back.map((b) => [Buffer.from(b.signature).toString('hex'), Buffer.from(b.message).toString(), Buffer.from(b.publicKey).toString('hex')])).toEqual(
      ok.map((b) => [Buffer.from(b.signature).toString('hex'), Buffer.from(b.message).toString(), Buffer.from(b.publicKey).toString('hex')]),
    );
    expect(packItems(its)).toBeNull();
    expect(() => new VerifyPool({ workers: -1 })).toThrow(RangeError);
  });
});

describe('TxVerifier.verifyMany', () => {
  const chainId = 'verify-many';
  const txs = Array.from({ length: 12 }, (_, i) => signTx(i % 2 ? alice : bob, chainId, i, { kind: 'transfer', transfer: { to: new Uint8Array(20), amount: 1 + i } }));
  // a tx whose signature is another tx's: structurally fine, cryptographically bad
  const forged = { ...txs[3], tx: { ...txs[3].tx, signature: txs[4].tx.signature }, hashHex: '0xforged' };

  /** A batch verifier that counts what it is asked to check. */
  function counting(): BatchVerifier & { asked: number } {
    const v = {
      asked: 0,
      async verifyMany(its: readonly VerifyItem[]) {
        v.asked += its.length;
        return its.map((it) => verify(it.signature, it.message, it.publicKey));
      },
    };
    return v;
  }

  it('checks only the txs not cached yet, caches the good ones, and verify() then hits the cache', async () => {
    const v = new TxVerifier();
    expect(v.verify(txs[0])).toBe(true);
    const batch = counting();
    expect(await v.verifyMany(txs, batch)).toEqual(txs.map(() => true));
    expect(batch.asked).toBe(11);
    expect(v.size).toBe(12);
    const hits = v.hits;
    for (const t of txs) expect(v.verify(t)).toBe(true);
    expect(v.hits - hits).toBe(12);
    expect(await v.verifyMany(txs, batch)).toEqual(txs.map(() => true));
    expect(batch.asked).toBe(11); // nothing left to ask
  });

  it('a bad signature is reported and not cached: verify() checks it again and refuses it', async () => {
    const v = new TxVerifier();
    const batch = counting();
    expect(await v.verifyMany([txs[0], forged, txs[1]], batch)).toEqual([true, false, true]);
    expect(v.size).toBe(2);
    const misses = v.misses;
    expect(v.verify(forged)).toBe(false);
    expect(v.misses - misses).toBe(1);
  });

  it('works with a real pool of worker threads', async () => {
    const v = new TxVerifier();
    expect(await v.verifyMany([...txs, forged], pool({ workers: 1 }))).toEqual([...txs.map(() => true), false]);
  });
});

describe('VerifyPool: idle workers stop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops its workers after idleMs without work and starts new ones on the next call, verdicts unchanged', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { items: its, expected } = packable(200);
    const p = pool({ workers: 2, chunk: 50, idleMs: 1_000 });
    expect(p.running).toBe(0);
    expect(await p.verifyMany(its)).toEqual(expected);
    expect(p.running).toBe(2);
    // a call within idleMs keeps the same workers and starts the idle time again
    vi.advanceTimersByTime(900);
    expect(await p.verifyMany(its.slice(0, 10))).toEqual(expected.slice(0, 10));
    vi.advanceTimersByTime(900);
    expect(p.running).toBe(2);
    expect(p.starts).toBe(1);
    vi.advanceTimersByTime(100);
    expect(p.running).toBe(0);
    expect(await p.verifyMany(its)).toEqual(expected);
    expect(p.running).toBe(2);
    expect(p.starts).toBe(2);
    expect(p.fallbackVerified).toBe(0);
  });

  it('idleMs 0 keeps the workers until close; a negative idleMs is refused', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { items: its, expected } = packable(20);
    const p = pool({ workers: 1, idleMs: 0 });
    expect(await p.verifyMany(its)).toEqual(expected);
    vi.advanceTimersByTime(3_600_000);
    expect(p.running).toBe(1);
    expect(() => new VerifyPool({ idleMs: -1 })).toThrow(RangeError);
  });
});

describe('VerifyPool: small batches stay on the calling thread', () => {
  it('a call below minBatch starts no worker and gives the same verdicts; a larger one uses the workers', async () => {
    const { items: its, expected } = packable(100);
    const p = pool({ workers: 1, minBatch: 50 });
    expect(await p.verifyMany(its.slice(0, 49))).toEqual(expected.slice(0, 49));
    expect(p.running).toBe(0);
    expect(p.starts).toBe(0);
    expect(await p.verifyMany(its)).toEqual(expected);
    expect(p.running).toBe(1);
    expect(() => new VerifyPool({ minBatch: -1 })).toThrow(RangeError);
  });
});
