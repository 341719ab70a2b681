import { describe, expect, it } from 'vitest';
import { TxVerifier } from '../../src/chain/tx.ts';
import { TxPool, type RemovalReason } from '../../src/txpool/index.ts';
import type { SignedTx } from '../../src/chain/tx.ts';
import { CHAIN, FakeState, addr, tx } from './helpers.ts';

/** A pool on a hand-driven clock. */
function clocked(ttl = 1000) {
  const clock = { t: 0 };
  const state = new FakeState();
  const pool = new TxPool({ chainId: CHAIN, queuedTtlMs: ttl }, { state, verifier: new TxVerifier(), now: () => clock.t });
  const removed: { tx: SignedTx; reason: RemovalReason }[] = [];
  pool.subscribe({ removed: (txs, reason) => removed.push(...txs.map((t) => ({ tx: t, reason }))) });
  return { clock, state, pool, removed };
}

describe('tx pool: queued txs expire (queuedTtlMs)', () => {
  it('a queued tx leaves after the TTL as "expired"; pending txs never expire', () => {
    const { clock, pool, removed } = clocked(1000);
    expect(pool.add(tx('alice', 0)).ok).toBe(true); // pending
    expect(pool.add(tx('bob', 1)).ok).toBe(true); // queued: bob's nonce 0 never comes
    expect(pool.executable).toBe(1);
    expect(pool.size).toBe(2);
    clock.t = 999;
    expect(pool.expireQueued()).toBe(0);
    clock.t = 1000;
    expect(pool.expireQueued()).toBe(1);
    expect(removed).toEqual([{ tx: tx('bob', 1), reason: 'expired' }]);
    expect(pool.has(tx('bob', 1).hashHex)).toBe(false);
    expect(pool.stats()).toMatchObject({ pending: 1, queued: 0, expired: 1, senders: 1 });
    clock.t = 1_000_000;
    expect(pool.expireQueued()).toBe(0);
    expect(pool.has(tx('alice', 0).hashHex)).toBe(true);
    // bob can start over: his nonce 0 is now executable on its own
    expect(pool.add(tx('bob', 0)).ok).toBe(true);
    expect(pool.nextNonce(addr('bob'))).toBe(1);
  });

  it('expires oldest first and stops at the first younger one; a promoted tx is no longer queued', () => {
    const { clock, pool } = clocked(1000);
    pool.add(tx('carol', 2));
    clock.t = 500;
    pool.add(tx('dave', 1));
    pool.add(tx('carol', 1));
    pool.add(tx('carol', 0)); // fills carol's gap: 1 and 2 become pending
    expect(pool.executable).toBe(3);
    clock.t = 1200;
    expect(pool.expireQueued()).toBe(0); // carol's 2 was promoted, dave's is 700 ms old
    clock.t = 1500;
    expect(pool.expireQueued()).toBe(1);
    expect(pool.stats()).toMatchObject({ pending: 3, queued: 0, expired: 1 });
  });

  it('rejects a TTL that is not a positive integer', () => {
    expect(() => new TxPool({ chainId: CHAIN, queuedTtlMs: 0 }, { state: new FakeState(), verifier: new TxVerifier() })).toThrow(/queuedTtlMs/);
  });
});
