import { describe, expect, it, vi } from 'vitest';
import { TxCodec } from '../../src/codec/chain.ts';
import { TxPool, DEFAULT_TXPOOL_OPTIONS, resolveTxPoolOptions } from '../../src/txpool/index.ts';
import { TxVerifier, type SignedTx } from '../../src/chain/tx.ts';
import { addr, CHAIN, FakeState, harness, tx, type Harness } from './helpers.ts';

function snapshot(h: Harness) {
  return { stats: h.pool.stats(), pending: h.pool.pending().map((t) => t.hashHex), queued: h.pool.queued().map((t) => t.hashHex) };
}

/** Asserts that `input` is refused with `code` and that the pool did not change. */
function refused(h: Harness, input: Uint8Array | SignedTx, code: string) {
  const before = snapshot(h);
  const removedBefore = h.removed.length;
  const r = h.pool.add(input);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe(code);
  expect(r.error.message).toContain(code);
  const after = snapshot(h);
  expect({ ...after, stats: { ...after.stats, rejected: before.stats.rejected } }).toEqual(before);
  expect(after.stats.rejected).toBe(before.stats.rejected + 1);
  expect(h.removed.length).toBe(removedBefore);
  return r.error;
}

function okAdd(h: Harness, t: SignedTx | Uint8Array) {
  const r = h.pool.add(t);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('options', () => {
  it('fills defaults', () => {
    const o = resolveTxPoolOptions({ chainId: 'c' });
    expect(o).toEqual({ chainId: 'c', ...DEFAULT_TXPOOL_OPTIONS });
    expect(o.maxCount).toBe(100_000);
    expect(o.maxBytes).toBe(64 * 1024 * 1024);
    expect(o.maxQueuedPerSender).toBe(64);
    expect(o.maxNonceGap).toBe(64);
  });
  it('rejects bad options', () => {
    expect(() => resolveTxPoolOptions({ chainId: '' })).toThrow(/TXPOOL_BAD_OPTIONS/);
    expect(() => resolveTxPoolOptions({ chainId: 'c', maxCount: 0 })).toThrow(/maxCount/);
    expect(() => resolveTxPoolOptions({ chainId: 'c', maxNonceGap: -1 })).toThrow(/maxNonceGap/);
    expect(() => resolveTxPoolOptions({ chainId: 'c', maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});

describe('admission', () => {
  it('admits raw bytes and decoded txs', () => {
    const h = harness();
    expect(okAdd(h, tx('alice', 0).bytes)).toEqual({ hash: tx('alice', 0).hashHex, status: 'pending' });
    expect(okAdd(h, tx('bob', 0))).toEqual({ hash: tx('bob', 0).hashHex, status: 'pending' });
    expect(h.pool.size).toBe(2);
    expect(h.pool.bytes).toBe(tx('alice', 0).bytes.length + tx('bob', 0).bytes.length);
    expect(h.pool.has(tx('alice', 0).hashHex)).toBe(true);
    expect(h.pool.has(tx('alice', 0).hashHex.slice(2).toUpperCase())).toBe(true);
    expect(h.pool.get(tx('bob', 0).hashHex)?.sender).toBe(addr('bob'));
    expect(h.pool.get('0x' + '00'.repeat(32))).toBeUndefined();
    expect(h.pool.stats()).toMatchObject({ pending: 2, queued: 0, senders: 2, added: 2 });
  });

  it('refuses malformed bytes', () => {
    const h = harness();
    refused(h, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 'TX_MALFORMED');
    refused(h, new Uint8Array(tx('alice', 0).bytes.subarray(0, 50)), 'TX_MALFORMED'); // truncated
    // empty bytes decode as an empty Tx: refused by the chain layer for its missing key
    expect(h.pool.add(new Uint8Array(0)).ok).toBe(false);
    expect(h.pool.size).toBe(0);
    refused(h, 'not bytes' as unknown as Uint8Array, 'TX_MALFORMED');
  });

  it('refuses an oversized tx', () => {
    const t = tx('alice', 0);
    const h = harness({ maxTxBytes: t.bytes.length - 1 });
    const e = refused(h, t, 'TX_TOO_LARGE');
    expect(e?.data.size).toBe(t.bytes.length);
    expect(harness({ maxTxBytes: t.bytes.length }).pool.add(t).ok).toBe(true);
  });

  it('refuses a tx of another chain', () => {
    refused(harness(), tx('alice', 0, 1, 'other-chain'), 'TX_WRONG_CHAIN');
  });

  it('refuses a tampered signature byte', () => {
    const t = tx('alice', 0);
    const sig = new Uint8Array(t.tx.signature);
    sig[10] ^= 1;
    refused(harness(), TxCodec.encode({ body: t.tx.body, signature: sig, publicKey: t.tx.publicKey }), 'TX_BAD_SIGNATURE');
  });

  it('refuses a tampered body byte', () => {
    const t = tx('alice', 0);
    const body = new Uint8Array(t.tx.body);
    // flip one byte of the 20-byte zero recipient address: still a well-formed body
    let at = -1;
    for (let i = 0; i + 20 <= body.length && at < 0; i++) if (body.subarray(i, i + 20).every((b) => b === 0)) at = i;
    expect(at).toBeGreaterThanOrEqual(0);
    body[at + 5] = 7;
    refused(harness(), TxCodec.encode({ body, signature: t.tx.signature, publicKey: t.tx.publicKey }), 'TX_BAD_SIGNATURE');
  });

  it('refuses a nonce below the committed one', () => {
    const h = harness();
    h.state.set(addr('alice'), 3);
    const e = refused(h, tx('alice', 2), 'TXPOOL_NONCE_TOO_LOW');
    expect(e?.data).toMatchObject({ nonce: 2, expected: 3 });
    expect(okAdd(h, tx('alice', 3)).status).toBe('pending');
  });

  it('refuses a duplicate', () => {
    const h = harness();
    okAdd(h, tx('alice', 0));
    refused(h, tx('alice', 0), 'TXPOOL_DUPLICATE');
    refused(h, new Uint8Array(tx('alice', 0).bytes), 'TXPOOL_DUPLICATE');
    okAdd(h, tx('alice', 2));
    refused(h, tx('alice', 2), 'TXPOOL_DUPLICATE'); // queued ones too
  });

  it('refuses a duplicate by its hash, before decoding it again; a refusal carries no stack trace and leaves the stack limit as it was', () => {
    const h = harness();
    okAdd(h, tx('alice', 0));
    const decode = vi.spyOn(TxCodec, 'decode');
    try {
      const limit = Error.stackTraceLimit;
      const e = refused(h, new Uint8Array(tx('alice', 0).bytes), 'TXPOOL_DUPLICATE');
      expect(decode).not.toHaveBeenCalled();
      expect(e?.stack ?? '').not.toMatch(/\n\s+at /);
      expect(Error.stackTraceLimit).toBe(limit);
      okAdd(h, tx('bob', 0));
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      decode.mockRestore();
    }
    // a configuration error keeps its stack
    let thrown: unknown;
    try {
      resolveTxPoolOptions({ chainId: '' });
    } catch (x) {
      thrown = x;
    }
    expect((thrown as Error).stack).toMatch(/\n\s+at /);
  });

  it('refuses a second tx with the same sender and nonce (no replacement)', () => {
    const h = harness();
    okAdd(h, tx('alice', 0, 1));
    const e = refused(h, tx('alice', 0, 2), 'TXPOOL_NONCE_TAKEN');
    expect(e?.data.existing).toBe(tx('alice', 0, 1).hashHex);
    okAdd(h, tx('alice', 3, 1));
    refused(h, tx('alice', 3, 2), 'TXPOOL_NONCE_TAKEN');
  });

  it('bounds future nonces by maxNonceGap and maxQueuedPerSender', () => {
    const h = harness({ maxNonceGap: 3, maxQueuedPerSender: 2 });
    refused(h, tx('alice', 4), 'TXPOOL_NONCE_GAP');
    expect(okAdd(h, tx('alice', 3)).status).toBe('queued');
    expect(okAdd(h, tx('alice', 1)).status).toBe('queued');
    refused(h, tx('alice', 2), 'TXPOOL_SENDER_QUEUE_FULL');
    // the gap is measured from the next executable nonce, which moves as the run grows
    expect(okAdd(h, tx('alice', 0)).status).toBe('pending');
    expect(h.pool.stats()).toMatchObject({ pending: 2, queued: 1 });
    expect(okAdd(h, tx('alice', 5)).status).toBe('queued'); // 5 - 2 = 3 <= gap
    refused(h, tx('alice', 4), 'TXPOOL_SENDER_QUEUE_FULL');
    refused(h, tx('alice', 6), 'TXPOOL_NONCE_GAP');
    expect(okAdd(h, tx('alice', 2)).status).toBe('pending'); // filling the gap is always allowed
    expect(h.pool.stats()).toMatchObject({ pending: 4, queued: 1 });
  });

  it('refuses with TXPOOL_FULL at maxCount', () => {
    const h = harness({ maxCount: 2 });
    okAdd(h, tx('alice', 0));
    okAdd(h, tx('bob', 0));
    const e = refused(h, tx('carol', 0), 'TXPOOL_FULL');
    expect(e?.message).toMatch(/pool is full: 2 txs \(max 2\)/);
    refused(h, tx('alice', 1), 'TXPOOL_FULL');
    refused(h, tx('carol', 1), 'TXPOOL_FULL');
  });

  it('refuses with TXPOOL_FULL at maxBytes', () => {
    const size = tx('alice', 0).bytes.length;
    const h = harness({ maxBytes: 2 * size + size - 1 });
    okAdd(h, tx('alice', 0));
    okAdd(h, tx('bob', 0));
    const e = refused(h, tx('carol', 0), 'TXPOOL_FULL');
    expect(e?.message).toMatch(/bytes exceeds/);
    expect(e?.data).toMatchObject({ bytes: 2 * size, maxBytes: 3 * size - 1 });
  });

  it('makes room again after a commit', () => {
    const h = harness({ maxCount: 1 });
    okAdd(h, tx('alice', 0));
    refused(h, tx('bob', 0), 'TXPOOL_FULL');
    h.commit([tx('alice', 0)]);
    expect(okAdd(h, tx('bob', 0)).status).toBe('pending');
  });

  it('verifies an admitted signature exactly once; block validation then hits the cache', () => {
    const h = harness();
    const t = tx('alice', 0);
    okAdd(h, t);
    expect({ hits: h.verifier.hits, misses: h.verifier.misses }).toEqual({ hits: 0, misses: 1 });
    h.pool.add(t); // duplicate: refused before the signature is looked at
    h.pool.add(tx('alice', 0, 9)); // nonce taken: likewise
    expect({ hits: h.verifier.hits, misses: h.verifier.misses }).toEqual({ hits: 0, misses: 1 });
    const batch = h.pool.select({ maxTxs: 10, maxBytes: 1 << 20 });
    expect(batch.every((b) => h.verifier.verify(b))).toBe(true); // what block validation does
    expect({ hits: h.verifier.hits, misses: h.verifier.misses }).toEqual({ hits: 1, misses: 1 });
    h.commit(batch);
    expect(h.verifier.size).toBe(0); // committed txs are forgotten
  });

  it('a refused signature is not cached and never admitted', () => {
    const h = harness();
    const t = tx('alice', 0);
    const sig = new Uint8Array(t.tx.signature);
    sig[0] ^= 0x80;
    const bad = TxCodec.encode({ body: t.tx.body, signature: sig, publicKey: t.tx.publicKey });
    refused(h, bad, 'TX_BAD_SIGNATURE');
    refused(h, bad, 'TX_BAD_SIGNATURE');
    expect(h.verifier.size).toBe(0);
    expect(okAdd(h, t).status).toBe('pending');
  });

  it('notifies onAdded and survives a throwing listener', () => {
    const state = new FakeState();
    const seen: string[] = [];
    const pool = new TxPool({ chainId: CHAIN }, { state, verifier: new TxVerifier(), onAdded: (t, s) => seen.push(`${t.body.nonce}:${s}`) });
    pool.subscribe({
      added: () => {
        throw new Error('boom');
      },
    });
    expect(pool.add(tx('alice', 1)).ok).toBe(true);
    expect(pool.add(tx('alice', 0)).ok).toBe(true);
    expect(pool.add(tx('alice', 0)).ok).toBe(false);
    expect(seen).toEqual(['1:queued', '0:pending']);
    expect(pool.stats().listenerErrors).toBe(2);
    expect(pool.size).toBe(2);
  });
});
