import { describe, expect, it } from 'vitest';
import { TxCodec } from '../../src/codec/chain.ts';
import { encodeTxBody, TxVerifier, type SignedTx } from '../../src/chain/tx.ts';
import { addressOf } from '../../src/crypto/keys.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { TxPool, SELECT_MAX_SKIPS } from '../../src/txpool/index.ts';
import { addr, bigTx, CHAIN, contiguous, FakeState, harness, noncesBySender, tx, type Harness } from './helpers.ts';

const ALL = { maxTxs: 1_000_000, maxBytes: 1 << 30 };

function add(h: Harness, t: SignedTx) {
  const r = h.pool.add(t);
  if (!r.ok) throw r.error;
  return r.value.status;
}

const label = (h: Harness, t: SignedTx) => `${['alice', 'bob', 'carol', 'dave'].find((l) => addr(l) === t.sender)}${t.body.nonce}`;

describe('per-sender nonce order', () => {
  it('out-of-order arrival 2, 0, 1 selects 0, 1, 2', () => {
    const h = harness();
    expect(add(h, tx('alice', 2))).toBe('queued');
    expect(add(h, tx('alice', 0))).toBe('pending');
    expect(h.pool.stats()).toMatchObject({ pending: 1, queued: 1 });
    expect(add(h, tx('alice', 1))).toBe('pending');
    expect(h.pool.stats()).toMatchObject({ pending: 3, queued: 0 });
    expect(h.promoted.map((t) => t.body.nonce)).toEqual([2]);
    expect(h.pool.select(ALL).map((t) => t.body.nonce)).toEqual([0, 1, 2]);
    expect(h.pool.statusOf(tx('alice', 2).hashHex)).toBe('pending');
  });

  it('holds future nonces as queued and never selects them', () => {
    const h = harness();
    add(h, tx('alice', 0));
    add(h, tx('alice', 2));
    add(h, tx('alice', 3));
    expect(h.pool.select(ALL).map((t) => t.body.nonce)).toEqual([0]);
    expect(h.pool.pending().length).toBe(1);
    expect(h.pool.queued().map((t) => t.body.nonce)).toEqual([2, 3]);
    expect(h.pool.nextNonce(addr('alice'))).toBe(1);
    expect(h.pool.nextNonce(addr('bob'))).toBe(0);
  });

  it('promotes queued txs when a commit moves the nonce past the gap', () => {
    const h = harness();
    add(h, tx('alice', 2));
    add(h, tx('alice', 3));
    expect(h.pool.select(ALL)).toEqual([]);
    // nonces 0 and 1 are consumed by txs that never were in this pool
    h.commit([tx('alice', 0, 5), tx('alice', 1, 5)]);
    expect(h.promoted.map((t) => t.body.nonce)).toEqual([2, 3]);
    expect(h.pool.stats()).toMatchObject({ pending: 2, queued: 0 });
    expect(h.pool.select(ALL).map((t) => t.body.nonce)).toEqual([2, 3]);
  });
});

describe('select', () => {
  it('respects maxTxs and stays contiguous', () => {
    const h = harness();
    for (let n = 0; n < 5; n++) add(h, tx('alice', n));
    for (let n = 0; n < 5; n++) add(h, tx('bob', n));
    for (let k = 0; k <= 10; k++) {
      const b = h.pool.select({ maxTxs: k, maxBytes: 1 << 20 });
      expect(b.length).toBe(k);
      expect(contiguous(b, h.state)).toBe(true);
    }
    expect(h.pool.select({ maxTxs: 0, maxBytes: 1 << 20 })).toEqual([]);
  });

  it('respects maxBytes and skips a sender whose next tx does not fit, without its later txs', () => {
    const h = harness();
    const big = bigTx('alice', 0, 200);
    add(h, big);
    add(h, tx('alice', 1));
    add(h, tx('bob', 0));
    add(h, tx('bob', 1));
    const small = tx('bob', 0).bytes.length;
    expect(big.bytes.length).toBeGreaterThan(2 * small + 10);
    const b = h.pool.select({ maxTxs: 10, maxBytes: 2 * small + 10 });
    expect(b.map((t) => label(h, t))).toEqual(['bob0', 'bob1']); // alice1 would be a gap without alice0
    const b2 = h.pool.select({ maxTxs: 10, maxBytes: big.bytes.length + small });
    expect(b2.map((t) => label(h, t))).toEqual(['alice0', 'bob0']);
    expect(b2.reduce((s, t) => s + t.bytes.length, 0)).toBeLessThanOrEqual(big.bytes.length + small);
    expect(h.pool.select({ maxTxs: 10, maxBytes: small - 1 })).toEqual([]);
  });

  it('is round-robin across senders in order of arrival', () => {
    const h = harness();
    for (let n = 0; n < 3; n++) add(h, tx('alice', n));
    for (let n = 0; n < 3; n++) add(h, tx('bob', n));
    add(h, tx('carol', 0));
    expect(h.pool.select(ALL).map((t) => label(h, t))).toEqual(['alice0', 'bob0', 'carol0', 'alice1', 'bob1', 'alice2', 'bob2']);
    expect(h.pool.pending().map((t) => label(h, t))).toEqual(['alice0', 'alice1', 'alice2', 'bob0', 'bob1', 'bob2', 'carol0']);
    expect(h.pool.pending(2).length).toBe(2);
  });

  it('moves senders served by a block to the back (no starvation across blocks)', () => {
    const h = harness();
    for (const l of ['alice', 'bob', 'carol', 'dave']) for (let n = 0; n < 3; n++) add(h, tx(l, n));
    const b1 = h.pool.select({ maxTxs: 2, maxBytes: 1 << 20 });
    expect(b1.map((t) => label(h, t))).toEqual(['alice0', 'bob0']);
    h.commit(b1);
    const b2 = h.pool.select({ maxTxs: 2, maxBytes: 1 << 20 });
    expect(b2.map((t) => label(h, t))).toEqual(['carol0', 'dave0']);
    h.commit(b2);
    expect(h.pool.select({ maxTxs: 4, maxBytes: 1 << 20 }).map((t) => label(h, t))).toEqual(['alice1', 'bob1', 'carol1', 'dave1']);
  });

  it('is deterministic: the same calls give the same batches', () => {
    const run = () => {
      const h = harness();
      const order = [tx('bob', 1), tx('alice', 0), tx('carol', 0), tx('bob', 0), tx('alice', 1), tx('dave', 2), tx('dave', 0), tx('dave', 1)];
      for (const t of order) add(h, t);
      const out: string[][] = [];
      for (let i = 0; i < 3; i++) {
        const b = h.pool.select({ maxTxs: 3, maxBytes: 1 << 20 });
        out.push(b.map((t) => t.hashHex));
        h.commit(b);
      }
      return out;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.flat().length).toBe(8);
  });

  it('does not change the pool', () => {
    const h = harness();
    add(h, tx('alice', 0));
    add(h, tx('alice', 1));
    const before = h.pool.stats();
    expect(h.pool.select(ALL).length).toBe(2);
    expect(h.pool.select(ALL).length).toBe(2);
    expect(h.pool.stats()).toEqual(before);
  });
});

describe('onCommit', () => {
  it('removes included txs and keeps the rest', () => {
    const h = harness();
    for (let n = 0; n < 3; n++) add(h, tx('alice', n));
    add(h, tx('bob', 0));
    h.commit([tx('alice', 0), tx('alice', 1)]);
    expect(h.pool.has(tx('alice', 0).hashHex)).toBe(false);
    expect(h.pool.has(tx('alice', 1).hashHex)).toBe(false);
    expect(h.removed.map((r) => [r.tx.body.nonce, r.reason])).toEqual([[0, 'committed'], [1, 'committed']]);
    expect(h.pool.select(ALL).map((t) => label(h, t))).toEqual(['bob0', 'alice2']);
    expect(h.pool.stats()).toMatchObject({ pending: 2, queued: 0, committed: 2, stale: 0, bytes: tx('alice', 2).bytes.length + tx('bob', 0).bytes.length });
  });

  it('drops a tx whose nonce was consumed by a tx not from the pool', () => {
    const h = harness();
    add(h, tx('alice', 0, 1));
    add(h, tx('alice', 1, 1));
    h.commit([tx('alice', 0, 2)]); // another alice tx with nonce 0, via another node
    expect(h.pool.has(tx('alice', 0, 1).hashHex)).toBe(false);
    expect(h.removed).toEqual([{ tx: tx('alice', 0, 1), reason: 'stale' }]);
    expect(h.pool.select(ALL)).toEqual([tx('alice', 1, 1)]);
    expect(h.pool.stats()).toMatchObject({ stale: 1, committed: 0, pending: 1 });
  });

  it('drops queued txs below the new nonce too and forgets removed verdicts', () => {
    const h = harness();
    add(h, tx('alice', 3));
    add(h, tx('alice', 5));
    expect(h.verifier.size).toBe(2);
    h.commit([0, 1, 2, 3, 4].map((n) => tx('alice', n, 7)));
    expect(h.removed.map((r) => r.reason)).toEqual(['stale']);
    expect(h.pool.statusOf(tx('alice', 5).hashHex)).toBe('pending');
    expect(h.verifier.size).toBe(1);
  });

  it('ignores blocks of unknown senders and empty blocks', () => {
    const h = harness();
    add(h, tx('alice', 0));
    h.commit([]);
    h.commit([tx('bob', 0)]);
    expect(h.pool.size).toBe(1);
    expect(h.removed).toEqual([]);
  });

  it('add() catches up with a state that moved without onCommit; recheckAll() does it for everyone', () => {
    const h = harness();
    add(h, tx('alice', 0));
    add(h, tx('alice', 1));
    add(h, tx('bob', 0));
    h.state.set(addr('alice'), 1);
    expect(add(h, tx('alice', 2))).toBe('pending');
    expect(h.pool.has(tx('alice', 0).hashHex)).toBe(false);
    h.state.set(addr('bob'), 1);
    h.pool.recheckAll();
    expect(h.pool.has(tx('bob', 0).hashHex)).toBe(false);
    expect(h.removed.map((r) => r.reason)).toEqual(['stale', 'stale']);
    expect(contiguous(h.pool.select(ALL), h.state)).toBe(true);
  });
});

describe('eviction (pool full)', () => {
  it('evicts the oldest queued txs of other senders to admit an executable tx', () => {
    const h = harness({ maxCount: 4 });
    add(h, tx('bob', 5)); // oldest queued
    add(h, tx('carol', 5));
    add(h, tx('alice', 0));
    add(h, tx('alice', 2)); // queued, alice's own
    expect(h.pool.stats()).toMatchObject({ pending: 1, queued: 3 });
    // a queued tx never evicts
    const q = h.pool.add(tx('dave', 3));
    expect(!q.ok && q.error.code).toBe('TXPOOL_FULL');
    // an executable tx evicts the oldest queued tx
    expect(add(h, tx('dave', 0))).toBe('pending');
    expect(h.removed).toEqual([{ tx: tx('bob', 5), reason: 'evicted' }]);
    expect(add(h, tx('dave', 1))).toBe('pending');
    expect(h.removed.map((r) => r.tx)).toEqual([tx('bob', 5), tx('carol', 5)]);
    // alice's executable tx does not evict alice's own queued tx, and no one else's is left
    const r = h.pool.add(tx('alice', 1));
    expect(!r.ok && r.error.code).toBe('TXPOOL_FULL');
    expect(h.pool.stats()).toMatchObject({ pending: 3, queued: 1, evicted: 2 });
    // carol's executable tx evicts alice's queued one; then only pending txs are left, and they are never evicted
    expect(add(h, tx('carol', 0))).toBe('pending');
    expect(h.removed.map((r) => r.tx)).toEqual([tx('bob', 5), tx('carol', 5), tx('alice', 2)]);
    const r2 = h.pool.add(tx('bob', 0));
    expect(!r2.ok && r2.error.code).toBe('TXPOOL_FULL');
    expect(h.pool.stats()).toMatchObject({ pending: 4, queued: 0, evicted: 3 });
  });

  it('evicts as many queued txs as the byte cap needs, or none', () => {
    const size = tx('bob', 0).bytes.length;
    const big = bigTx('alice', 0, 100);
    const h = harness({ maxBytes: 3 * size });
    add(h, tx('bob', 3));
    add(h, tx('carol', 3));
    add(h, tx('dave', 0));
    expect(big.bytes.length).toBeGreaterThan(size);
    expect(big.bytes.length).toBeLessThanOrEqual(2 * size);
    expect(add(h, big)).toBe('pending');
    expect(h.removed.map((r) => r.tx)).toEqual([tx('bob', 3), tx('carol', 3)]);
    expect(h.pool.bytes).toBeLessThanOrEqual(3 * size);
    // nothing left to evict: refused, nothing removed
    const r = h.pool.add(tx('bob', 0));
    expect(!r.ok && r.error.code).toBe('TXPOOL_FULL');
    expect(h.removed.length).toBe(2);
  });

  it('does not evict when the signature is bad', () => {
    const h = harness({ maxCount: 1 });
    add(h, tx('bob', 3));
    const t = tx('alice', 0);
    const sig = new Uint8Array(t.tx.signature);
    sig[3] ^= 1;
    const r = h.pool.add(TxCodec.encode({ body: t.tx.body, signature: sig, publicKey: t.tx.publicKey }));
    expect(!r.ok && r.error.code).toBe('TX_BAD_SIGNATURE');
    expect(h.pool.has(tx('bob', 3).hashHex)).toBe(true);
    expect(h.removed).toEqual([]);
  });
});

describe('large pool', () => {
  /** Structurally valid txs with a dummy signature (the verifier is stubbed): cheap to build by the 100,000. */
  function cheapTx(pub: Uint8Array, nonce: number): Uint8Array {
    const body = encodeTxBody(CHAIN, nonce, { kind: 'transfer', transfer: { to: new Uint8Array(20), amount: 1 } });
    return TxCodec.encode({ body, signature: new Uint8Array(64), publicKey: pub });
  }

  it('selects 5,000 contiguous txs from 100,000 pending', () => {
    const state = new FakeState();
    const verifier = { verify: () => true, forget: () => {} } as unknown as TxVerifier;
    const pool = new TxPool({ chainId: CHAIN }, { state, verifier });
    const senders = 10_000;
    const pubs = Array.from({ length: senders }, (_, i) => sha256(new Uint8Array([i >> 8, i & 255])));
    // 10 txs per sender, nonces arriving in reverse for half of them
    for (let n = 0; n < 10; n++) {
      for (let s = 0; s < senders; s++) {
        const nonce = s % 2 === 0 ? n : 9 - n;
        const r = pool.add(cheapTx(pubs[s], nonce));
        if (!r.ok) throw r.error;
      }
    }
    expect(pool.stats()).toMatchObject({ pending: 100_000, queued: 0 });
    const batch = pool.select({ maxTxs: 5000, maxBytes: 8 * 1024 * 1024 });
    expect(batch.length).toBe(5000);
    expect(contiguous(batch, state)).toBe(true);
    // one tx per sender in the first round, senders in the order they became ready: the even ones first
    // (odd senders sent nonce 9 first and became ready only when their nonce 0 arrived)
    expect(noncesBySender(batch).size).toBe(5000);
    expect(batch.map((t) => t.sender)).toEqual(pubs.filter((_, i) => i % 2 === 0).map((p) => addressOf(p)));
    state.apply(batch);
    pool.onCommit(batch);
    expect(pool.size).toBe(95_000);
    const next = pool.select({ maxTxs: 20_000, maxBytes: 64 * 1024 * 1024 });
    expect(next.length).toBe(20_000);
    expect(contiguous(next, state)).toBe(true);
    expect(next[0].sender).toBe(addressOf(pubs[1])); // served senders went to the back
    expect(SELECT_MAX_SKIPS).toBeGreaterThan(0);
  });
});
