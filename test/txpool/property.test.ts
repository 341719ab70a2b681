import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SignedTx } from '../../src/chain/tx.ts';
import { addr, contiguous, harness, tx } from './helpers.ts';

const SENDERS = ['alice', 'bob', 'carol', 'dave'] as const;

type Cmd =
  | { t: 'add'; s: number; off: number; v: number }
  | { t: 'commitSelected'; maxTxs: number; foreign: number | null }
  | { t: 'commitForeign'; s: number; count: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), s: fc.nat(3), off: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 2, arbitrary: fc.integer({ min: -1, max: 6 }) }), v: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('commitSelected' as const), maxTxs: fc.integer({ min: 1, max: 6 }), foreign: fc.option(fc.nat(3)) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('commitForeign' as const), s: fc.nat(3), count: fc.integer({ min: 1, max: 3 }) }) },
);

describe('txpool properties', () => {
  it('batches are nonce-contiguous per sender; admitted txs leave only by commit, staleness or eviction of queued txs', () => {
    // how often each branch below ran (each must have run: no rule is checked only in theory)
    const seen: Record<string, number> = { admitted: 0, refused: 0, committed: 0, stale: 0, evicted: 0 };
    fc.assert(
      fc.property(
        fc.array(cmd, { minLength: 1, maxLength: 60, size: 'max' }),
        fc.record({ maxCount: fc.integer({ min: 3, max: 12 }), maxQueuedPerSender: fc.integer({ min: 0, max: 3 }), maxNonceGap: fc.integer({ min: 0, max: 5 }), byteSlots: fc.integer({ min: 3, max: 14 }) }),
        (cmds, caps) => {
          const size = tx('alice', 0).bytes.length; // every transfer here has the same size
          const h = harness({ maxCount: caps.maxCount, maxQueuedPerSender: caps.maxQueuedPerSender, maxNonceGap: caps.maxNonceGap, maxBytes: caps.byteSlots * size });
          const admitted = new Map<string, SignedTx>();
          let foreignAmount = 100;

          for (const c of cmds) {
            const removedFrom = h.removed.length;
            const queuedBefore = new Set(h.pool.queued(Infinity).map((t) => t.hashHex));
            let block: SignedTx[] = [];
            let admittedNow: SignedTx | null = null;
            let admittedStatus: string | null = null;

            if (c.t === 'add') {
              const label = SENDERS[c.s];
              const nonce = Math.max(0, h.state.nonceOf(addr(label)) + c.off);
              const t = tx(label, nonce, 1 + c.v);
              const sizeBefore = h.pool.size;
              const missesBefore = h.verifier.misses;
              const r = h.pool.add(t);
              seen[r.ok ? 'admitted' : 'refused']++;
              if (r.ok) {
                admittedNow = t;
                admittedStatus = r.value.status;
                admitted.set(t.hashHex, t);
                expect(h.verifier.misses).toBe(missesBefore + 1); // verified exactly once
              } else {
                expect(h.removed.length).toBe(removedFrom); // a refusal changes nothing
                expect(h.pool.size).toBe(sizeBefore);
                expect(h.pool.has(t.hashHex)).toBe(admitted.has(t.hashHex));
              }
            } else if (c.t === 'commitSelected') {
              block = h.pool.select({ maxTxs: c.maxTxs, maxBytes: 1 << 20 });
              expect(block.length).toBeLessThanOrEqual(c.maxTxs);
              expect(contiguous(block, h.state)).toBe(true);
              // block validation: every signature is a cache hit
              const misses = h.verifier.misses;
              expect(block.every((t) => h.verifier.verify(t))).toBe(true);
              expect(h.verifier.misses).toBe(misses);
              if (c.foreign !== null) {
                const label = SENDERS[c.foreign];
                const next = h.state.nonceOf(addr(label)) + block.filter((t) => t.sender === addr(label)).length;
                block = [...block, tx(label, next, foreignAmount++)];
              }
              h.commit(block);
            } else {
              const label = SENDERS[c.s];
              const base = h.state.nonceOf(addr(label));
              block = Array.from({ length: c.count }, (_, i) => tx(label, base + i, foreignAmount++));
              h.commit(block);
            }

            // every disappearance is accounted for by a rule
            const inBlock = new Set(block.map((t) => t.hashHex));
            for (const { tx: t, reason } of h.removed.slice(removedFrom)) {
              seen[reason] = (seen[reason] ?? 0) + 1;
              expect(admitted.has(t.hashHex)).toBe(true);
              if (reason === 'committed') expect(inBlock.has(t.hashHex)).toBe(true);
              if (reason === 'stale') expect(t.body.nonce).toBeLessThan(h.state.nonceOf(t.sender));
              if (reason === 'evicted') {
                expect(queuedBefore.has(t.hashHex)).toBe(true);
                expect(admittedStatus).toBe('pending');
                expect(t.sender).not.toBe(admittedNow?.sender);
              }
              admitted.delete(t.hashHex);
            }
            // included txs are gone
            for (const h2 of inBlock) expect(h.pool.has(h2)).toBe(false);

            // nothing else disappeared, nothing extra appeared
            expect(h.pool.size).toBe(admitted.size);
            for (const k of admitted.keys()) expect(h.pool.has(k)).toBe(true);

            // caps
            expect(h.pool.size).toBeLessThanOrEqual(caps.maxCount);
            expect(h.pool.bytes).toBeLessThanOrEqual(caps.byteSlots * size);
            expect(h.pool.bytes).toBe([...admitted.values()].reduce((s, t) => s + t.bytes.length, 0));

            // pending == contiguous from the committed nonce, and select returns exactly those
            let pending = 0;
            const bySender = new Map<string, Set<number>>();
            for (const t of admitted.values()) {
              expect(t.body.nonce).toBeGreaterThanOrEqual(h.state.nonceOf(t.sender));
              const s = bySender.get(t.sender) ?? new Set<number>();
              s.add(t.body.nonce);
              bySender.set(t.sender, s);
            }
            for (const [sender, nonces] of bySender) {
              const base = h.state.nonceOf(sender);
              let run = 0;
              while (nonces.has(base + run)) run++;
              pending += run;
              const queued = nonces.size - run;
              expect(queued).toBeLessThanOrEqual(caps.maxQueuedPerSender);
            }
            for (const t of admitted.values()) {
              const s = bySender.get(t.sender)!;
              let run = 0;
              while (s.has(h.state.nonceOf(t.sender) + run)) run++;
              expect(h.pool.statusOf(t.hashHex)).toBe(t.body.nonce < h.state.nonceOf(t.sender) + run ? 'pending' : 'queued');
            }
            const all = h.pool.select({ maxTxs: 1000, maxBytes: 1 << 30 });
            expect(all.length).toBe(pending);
            expect(contiguous(all, h.state)).toBe(true);
            expect(h.pool.stats()).toMatchObject({ pending, queued: admitted.size - pending });
          }
        },
      ),
      { numRuns: 200 },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, `${what} never happened`).toBeGreaterThan(0);
  });
});
