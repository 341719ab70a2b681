import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { TX_KINDS, type TxPayload } from '../../src/codec/types.ts';
import { signVoucher } from '../../src/domain/vouchers.ts';
import { WorldState, type ExecutionResult } from '../../src/state/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { CHAIN, P, TxMaker, addr, genesis as makeGenesis, key, snapshot } from './helpers.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { sign } from '../../src/crypto/keys.ts';

/** A vote of the one sealer (proxy) for block `b` at (h, v): two of them for two blocks are evidence. */
function vote(kind: 'prepare' | 'commit', h: number, v: number, b: number): Uint8Array {
  const blockHash = new Uint8Array(32).fill(b);
  const payload = ConsensusPayloadCodec.encode({ [kind]: { height: h, view: v, blockHash } });
  return ConsensusMessageCodec.encode({ payload, sender: 0, signature: sign(voteBytes(kind, CHAIN, h, v, blockHash), key('proxy').secretKey), block: new Uint8Array(0) });
}

/**
 * Random sequences of blocks of every tx kind on a chain with paid leases and channels:
 * total supply (balances + lease escrows + channel deposits not yet paid out) is conserved,
 * no balance or escrow goes negative, expiry frees exactly the capacity of the leases that
 * were due, revert() restores everything, and a second state replaying the same blocks
 * reaches the same roots.
 */
const USERS = ['alice', 'bob', 'carol'];
const COMPANIES = ['acme', 'globex'];
const LABELS = ['proxy', ...COMPANIES, ...USERS];
const NODES = ['n0', 'n1', 'n2'];
const T0 = 1_700_000_000_000;

const user = fc.constantFrom(...USERS);
const anyone = fc.constantFrom(...LABELS);
const small = fc.integer({ min: 0, max: 40 });
const id = fc.integer({ min: 1, max: 3 });
const company = fc.constantFrom(...COMPANIES);
const loc = fc.integer({ min: -20_000, max: 20_000 });
const type = fc.constantFrom('ml', 'video');

/** A (sender, payload) of every kind, biased towards senders for which it can succeed. */
const tx: fc.Arbitrary<[string, TxPayload]> = fc.oneof(
  fc.tuple(user, fc.constantFrom('a', 'b', 'c')).map(([u, i]) => [u, P.register(`${u}-${i}`)] as [string, TxPayload]),
  fc.tuple(fc.constantFrom(...COMPANIES), fc.constantFrom(...NODES), loc, loc, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 3 })).map(
    ([c, n, la, lo, cap, price]) => [c, P.add(n, la, lo, cap, ['ml', 'video'], price)] as [string, TxPayload],
  ),
  fc.tuple(fc.constantFrom(...COMPANIES), fc.constantFrom(...NODES), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 3 }), fc.boolean()).map(
    ([c, n, cap, price, online]) => [c, P.update(n, 0, 0, cap, ['ml'], price, online)] as [string, TxPayload],
  ),
  fc.tuple(fc.constantFrom(...COMPANIES), fc.constantFrom(...NODES)).map(([c, n]) => [c, P.remove(n)] as [string, TxPayload]),
  { weight: 4, arbitrary: fc.tuple(user, loc, loc, type, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 16 })).map(
    ([u, la, lo, t, d, dur]) => [u, P.match(la, lo, t, d, 0, dur)] as [string, TxPayload],
  ) },
  { weight: 3, arbitrary: fc.tuple(fc.oneof(user, anyone), id).map(([s, l]) => [s, P.release(l)] as [string, TxPayload]) },
  { weight: 3, arbitrary: fc.tuple(user, id, fc.integer({ min: 1, max: 5 })).map(([u, l, e]) => [u, P.renew(l, e)] as [string, TxPayload]) },
  fc.tuple(anyone, anyone, small).map(([s, to, a]) => [s, P.transfer(to, a + 1)] as [string, TxPayload]),
  { weight: 2, arbitrary: fc.tuple(fc.oneof(user, anyone), fc.oneof(company, anyone), small, fc.integer({ min: 1, max: 30 })).map(([s, to, dep, ex]) => [s, P.open(to, dep + 1, ex)] as [string, TxPayload]) },
  fc.tuple(anyone, id, small).map(([s, c, a]) => [s, P.topUp(c, a + 1)] as [string, TxPayload]),
  { weight: 4, arbitrary: fc.tuple(fc.oneof(company, anyone), fc.oneof(user, anyone), id, small).map(([payee, payer, c, a]) => [payee, P.claim(c, a + 1, signVoucher(key(payer).secretKey, CHAIN, c, a + 1).signature)] as [string, TxPayload]) },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(company, user, anyone), fc.oneof(user, anyone), id, fc.option(small)).map(
    ([s, payer, c, a]) => [s, a === null ? P.close(c) : P.close(c, a + 1, signVoucher(key(payer).secretKey, CHAIN, c, a + 1).signature)] as [string, TxPayload],
  ) },
  fc.tuple(anyone, id).map(([s, c]) => [s, P.refund(c)] as [string, TxPayload]),
  // evidence of the sealer's equivocation: recorded once per (height, view, kind), changes no balance
  fc.tuple(anyone, fc.constantFrom('prepare', 'commit') as fc.Arbitrary<'prepare' | 'commit'>, id, fc.integer({ min: 0, max: 1 }), fc.integer({ min: 2, max: 3 })).map(
    ([s, k, h, v, b]) => [s, { kind: 'evidence', evidence: { first: vote(k, h, v, 1), second: vote(k, h, v, b) } }] as [string, TxPayload],
  ),
  fc.oneof(user, anyone).map((s) => [s, { kind: 'unregisterDevice', unregisterDevice: {} }] as [string, TxPayload]),
  // governance (docs/GOVERNANCE.md): moves no balance; its records revert and replay like the rest
  // (votes weighted up: one succeeds only on an open proposal of the other company)
  fc.tuple(company, fc.integer({ min: 0, max: 3 }), fc.boolean()).map(
    ([s, i, add]) => [s, { kind: 'propose', propose: { action: add ? 5 : 6, address: new Uint8Array(0), publicKey: key('observer-' + i).publicKey, name: add ? 'observer-' + i : '' } }] as [string, TxPayload],
  ),
  { weight: 3, arbitrary: fc.tuple(company, id, fc.boolean()).map(([s, p, reject]) => [s, { kind: 'vote', vote: { proposal: p, reject } }] as [string, TxPayload]) },
);

const block = fc.record({ dtMs: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 12_000 }) }), txs: fc.array(tx, { maxLength: 10 }) });

const genesis = () =>
  makeGenesis(
    {
      proxy: { role: 'proxy', balance: 1000 },
      acme: { role: 'company', balance: 100 },
      globex: { role: 'company', balance: 50 },
      alice: { role: 'user', balance: 300 },
      bob: { role: 'user', balance: 200 },
      carol: { role: 'user', balance: 20 },
    },
    { settleWindowS: 5, maxLeasesPerDevice: 3, maxLeaseDurationS: 20, registrationDeposit: 7 },
  );

function fullSnapshot(ws: WorldState) {
  const leaseIds = Array.from({ length: ws.leaseCount }, (_, i) => i + 1);
  return JSON.parse(JSON.stringify({ s: snapshot(ws, LABELS, leaseIds), ch: ws.channels({ limit: 1000 }), ev: ws.evidence(), supply: ws.supply() }));
}

describe('supply, expiry and revert over random sequences of every tx kind', () => {
  it('the generator covers every tx kind', () => {
    const kinds = new Set(fc.sample(tx, { numRuns: 2000, seed: 1 }).map(([, p]) => p.kind));
    expect([...kinds].sort()).toEqual([...TX_KINDS].sort());
  });

  it('conserves total supply, keeps balances non-negative, expires exactly the due capacity, reverts exactly, replays identically', () => {
    const okKinds = new Set<string>();
    let expired = 0;
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 14 }), (blocks) => {
        const g = genesis();
        const ws = WorldState.fromGenesis(g).state;
        const supply0 = ws.supply().total;
        expect(supply0).toBe(g.accounts.reduce((s, a) => s + a.balance, 0));
        const t = new TxMaker();
        let time = T0;
        let height = 0;
        const executed: { ctx: { height: number; timestamp: number; proposer: string }; txs: ReturnType<TxMaker['tx']>[]; root: string }[] = [];
        const exec = (ctx: { height: number; timestamp: number; proposer: string }, txs: ReturnType<TxMaker['tx']>[]): ExecutionResult => {
          const before = fullSnapshot(ws);
          const r1 = ws.execute(ctx, txs);
          if (!r1.ok) throw r1.error;
          ws.revert();
          expect(fullSnapshot(ws)).toEqual(before);
          const r2 = ws.execute(ctx, txs);
          if (!r2.ok) throw r2.error;
          expect(toHex(r2.value.stateRoot)).toBe(toHex(r1.value.stateRoot));
          ws.commit();
          executed.push({ ctx, txs, root: toHex(r2.value.stateRoot) });
          return r2.value;
        };
        for (const b of blocks) {
          time += b.dtMs;
          // 1) an empty block at the new time: only expiry runs
          const leases = Array.from({ length: ws.leaseCount }, (_, i) => ws.lease(i + 1)!);
          const due = leases.filter((l) => l.status === 'active' && l.endTime > 0 && l.endTime <= time);
          due.sort((a, b2) => a.endTime - b2.endTime || a.id - b2.id);
          const usedBefore = new Map(ws.edgeNodes({ limit: 100 }).nodes.map((n) => [n.id, n.used]));
          exec({ height: ++height, timestamp: time, proposer: addr('proxy') }, []);
          expect(ws.expiredInLastBlock).toEqual(due.map((l) => l.id));
          for (const [nid, used] of usedBefore) {
            const freed = due.filter((l) => l.nodeId === nid).reduce((s, l) => s + l.demand, 0);
            expect(ws.edgeNode(nid)!.used).toBe(used - freed);
          }
          for (const l of due) expect(ws.lease(l.id)).toMatchObject({ status: 'expired', paid: l.cost, refund: 0 });
          // 2) the block's txs at the same time
          const stxs = b.txs.map(([who, p]) => t.tx(who, p));
          const r = exec({ height: ++height, timestamp: time, proposer: addr('proxy') }, stxs);
          r.receipts.forEach((rc, i) => rc.status === 0 && okKinds.add(stxs[i].body.kind!));
          expired += due.length;
          const s = ws.supply();
          expect(s.total).toBe(supply0);
          expect(s.leaseEscrow).toBeGreaterThanOrEqual(0);
          expect(s.channelEscrow).toBeGreaterThanOrEqual(0);
          for (const l of LABELS) expect(ws.balanceOf(addr(l))).toBeGreaterThanOrEqual(0);
          for (const c of ws.channels({ limit: 1000 }).channels) expect(c.claimed).toBeLessThanOrEqual(c.deposit);
          for (const n of ws.edgeNodes({ limit: 100 }).nodes) expect(n.used).toBeLessThanOrEqual(n.capacity);
        }
        // a second state replaying the same blocks reaches the same roots
        const replica = WorldState.fromGenesis(genesis()).state;
        for (const e of executed) {
          const r = replica.execute(e.ctx, e.txs);
          if (!r.ok) throw r.error;
          replica.commit();
          expect(toHex(r.value.stateRoot)).toBe(e.root);
        }
      }),
      { numRuns: 200, seed: 13 },
    );
    // the sequences reached success of every kind, and leases did expire
    expect(TX_KINDS.filter((k) => !okKinds.has(k))).toEqual([]);
    expect(expired).toBeGreaterThan(10);
  }, 120_000);
});
