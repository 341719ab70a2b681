/**
 * The verifier does not trust the sealers' execution: a block certified by the whole genesis
 * sealer set whose receipt names a worse winner (a biased match) is caught, and says exactly
 * which fields disagree. The chain is built in process with the real state machine, block and
 * certificate code, and served through the node's real proof RPC handlers.
 */
import { describe, it, expect } from 'vitest';
import { buildBlock, type DecodedBlock } from '../../src/chain/block.ts';
import { buildCertificate, encodeCertificate, voteBytes } from '../../src/chain/certificate.ts';
import { genesisBlock } from '../../src/chain/genesis.ts';
import { ReceiptCodec } from '../../src/codec/chain.ts';
import type { Genesis, Receipt } from '../../src/codec/types.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { merkleRoot } from '../../src/crypto/merkle.ts';
import { sign } from '../../src/crypto/keys.ts';
import type { SignedTx } from '../../src/chain/tx.ts';
import { proofMethods } from '../../src/rpc/proofs.ts';
import type { RpcContext } from '../../src/rpc/methods.ts';
import { WorldState } from '../../src/state/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { anchorFromGenesis, verifyMatch, type RpcCall } from '../../src/verify/match.ts';
import { CHAIN, P, PAID_GENESIS, STD_GENESIS, TxMaker, addrBytes, key } from '../state/helpers.ts';

interface Stored {
  block: DecodedBlock;
  certificate: Uint8Array;
  receipts: Uint8Array[];
}

/** A chain whose single sealer ("proxy") signs whatever `doctor` makes of each block's receipts. */
function certifiedChain(
  blocks: SignedTx[][],
  doctor: (height: number, receipts: Receipt[]) => Receipt[] = (_h, r) => r,
  opts: { genesis?: Genesis; time?: (height: number) => number } = {},
) {
  const g = opts.genesis ?? STD_GENESIS();
  const time = opts.time ?? ((height: number) => g.timestamp + height * 1000);
  const { state, result } = WorldState.fromGenesis(g);
  const chain: Stored[] = [{ block: genesisBlock(g, result.stateRoot), certificate: new Uint8Array(0), receipts: [] }];
  blocks.forEach((txs, i) => {
    const height = i + 1;
    const r = state.execute({ height, timestamp: time(height), proposer: key('proxy').address }, txs);
    if (!r.ok) throw r.error;
    state.commit();
    const receipts = doctor(height, r.value.receipts).map((x) => ReceiptCodec.encode(x));
    const b = buildBlock(
      {
        chainId: CHAIN,
        height,
        parentHash: chain[i].block.hash,
        timestamp: time(height),
        proposer: addrBytes('proxy'),
        view: 0,
        stateRoot: r.value.stateRoot,
        receiptRoot: merkleRoot(receipts.map((x) => sha256(x))),
      },
      txs,
    );
    const seal = { sealer: 0, signature: sign(voteBytes('commit', CHAIN, height, 0, b.hash), key('proxy').secretKey) };
    chain.push({ block: b, certificate: encodeCertificate(buildCertificate(height, 0, b.hash, [seal])), receipts });
  });
  const ctx = {
    state,
    store: {
      getBlockByHeight: async (h: number) => chain[h] && { block: chain[h].block.bytes, certificate: chain[h].certificate, txs: chain[h].block.txs.map((t) => t.bytes) },
      getReceipt: async (hash: Uint8Array) => {
        for (const s of chain) {
          const i = s.block.txs.findIndex((t) => toHex(t.hash) === toHex(hash));
          if (i >= 0) return s.receipts[i];
        }
        return undefined;
      },
    },
  } as unknown as RpcContext;
  const methods = proofMethods(ctx);
  const call: RpcCall = async (method, params) => {
    if (method === 'getTransactionReceipt') {
      const h = chain.findIndex((s) => s.block.txs.some((t) => t.hashHex === params[0]));
      return h < 0 ? null : { blockNumber: h };
    }
    return methods[method](params as never);
  };
  return { call, anchor: anchorFromGenesis(g), state };
}

const mk = new TxMaker();
const setup: SignedTx[] = [
  mk.tx('acme', P.add('near', 47_400_000, 8_550_000, 2, ['gpu'], 10)),
  mk.tx('acme', P.add('far', 48_400_000, 9_550_000, 2, ['gpu'], 10)),
  mk.tx('acme', P.add('cheap', 47_400_100, 8_550_000, 2, ['gpu'], 9)),
  mk.tx('alice', P.register('alice-phone')),
];
// two matches in one block: the second must see the first's reservation (near is full after it, cheap is next)
const m1 = mk.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 2, 10));
const m2 = mk.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 10));

describe('verify match against a certified but biased block', () => {
  it('an honest certified chain verifies, also the second match of a block', async () => {
    const { call, anchor } = certifiedChain([setup, [m1, m2]]);
    const v1 = await verifyMatch(call, anchor, m1.hashHex);
    expect(v1.problems).toEqual([]);
    expect(v1.claimed).toMatchObject({ status: 0, nodeId: 'near', leaseId: 1 });
    const v2 = await verifyMatch(call, anchor, m2.hashHex);
    expect(v2.problems).toEqual([]);
    expect(v2.claimed).toMatchObject({ status: 0, nodeId: 'cheap', leaseId: 2 });
    expect(v2.verified).toBe(true);
  });

  it('a receipt certified by every sealer that names another winner is caught, field by field', async () => {
    const { call, anchor } = certifiedChain([setup, [m1, m2]], (h, rs) =>
      h === 2 ? rs.map((r, i) => (i === 0 ? { ...r, match: { ...r.match!, nodeId: 'far', distanceM: r.match!.distanceM + 1 } } : r)) : rs,
    );
    const v = await verifyMatch(call, anchor, m1.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems).toEqual([
      'nodeId: the certified receipt says "far", the proven state gives "near"',
      expect.stringMatching(/^distanceM: the certified receipt says \d+, the proven state gives \d+$/),
    ]);
  });

  it('a certified NO_CANDIDATE where a candidate exists is caught', async () => {
    const { call, anchor } = certifiedChain([setup, [m1]], (h, rs) => (h === 2 ? rs.map((r) => ({ ...r, status: 9, reason: 'none', match: null })) : rs));
    const v = await verifyMatch(call, anchor, m1.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems[0]).toBe('status: the certified receipt says 9, the proven state gives 0');
  });

  it('a block certified by a key outside the genesis sealer set is refused', async () => {
    const { call } = certifiedChain([setup, [m1]]);
    const other = STD_GENESIS();
    other.sealers = [{ name: 'mallory', publicKey: key('mallory').publicKey, role: 'proxy' }];
    const v = await verifyMatch(call, anchorFromGenesis(other), m1.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems[0]).toMatch(/not certified by the genesis sealers/);
  });
});

/**
 * Paid leases expire at the start of a block, before its txs (Leases.expireDue), with no tx:
 * the expiry queue is derived, not in the state, so which leases expired is not provable. A
 * match that an expiry could decide must answer "cannot verify" (never "verified", never a
 * false "NOT VERIFIED" for an honest receipt); a receipt that no set of expiries explains is
 * still caught, and a match no expiry can change still verifies.
 */
describe('verify match after a lease expiry at the start of the block', () => {
  const pk = new TxMaker();
  const T0 = 1_700_000_000_000;
  // block 1 at T0+1 s: three one-slot nodes (near, far, farther) and a device; block 2 at T0+2 s: alice
  // leases "near" for 1 s (it ends at T0+3 s); block 3 at T0+3 s: the lease expires first, then a
  // match finds "near" free again
  const paidSetup = [
    pk.tx('acme', P.add('near', 47_400_000, 8_550_000, 1, ['gpu'], 3)),
    pk.tx('acme', P.add('far', 48_400_000, 9_550_000, 1, ['gpu'], 3)),
    pk.tx('acme', P.add('farther', 49_400_000, 10_550_000, 1, ['gpu'], 3)),
    pk.tx('alice', P.register('alice-phone')),
  ];
  const lease1 = pk.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 1));
  const again = pk.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 2));
  const chainOf = (third: SignedTx[], doctor?: (h: number, rs: Receipt[]) => Receipt[]) =>
    certifiedChain([paidSetup, [lease1], third], doctor, { genesis: PAID_GENESIS() });
  const lie = (fields: Partial<NonNullable<Receipt['match']>>) => (h: number, rs: Receipt[]) => (h === 3 ? rs.map((r) => ({ ...r, match: { ...r.match!, ...fields } })) : rs);

  it('an honest match that an expiry decides: "cannot verify" naming the node, never "verified"', async () => {
    const { call, anchor, state } = chainOf([again]);
    expect(state.lease(1)).toMatchObject({ status: 'expired', endedAt: 3 });
    const v = await verifyMatch(call, anchor, again.hashHex);
    expect(v.claimed).toMatchObject({ status: 0, nodeId: 'near', leaseId: 2, cost: 6, endsAt: T0 + 3000 + 2000 });
    expect(v.verified).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/^cannot verify: whether a lease on "near" \(full at height 2\) expired at the start of block 3 decides the winner.*consistent with the proven state if the lease on "near" did$/)]);
    expect(v.stats.expiryUncertain).toBe(1);
  });

  it('a receipt naming a node no set of expiries makes the winner is caught', async () => {
    const { call, anchor } = chainOf([again], lie({ nodeId: 'farther' }));
    const v = await verifyMatch(call, anchor, again.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems).toEqual(['nodeId: the certified receipt says "farther", which no lease expiry at the start of block 3 makes the winner (the proven state gives "far" or "near")']);
  });

  it('a receipt naming a possible winner with a wrong field is caught field by field', async () => {
    const { call, anchor } = chainOf([again], lie({ distanceM: 5, leaseId: 7 }));
    const v = await verifyMatch(call, anchor, again.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems).toEqual([
      expect.stringMatching(/^distanceM: the certified receipt says 5, the proven state gives \d+$/),
      'leaseId: the certified receipt says 7, the proven state gives 2',
    ]);
  });

  it('a certified NO_CANDIDATE when a node is free whatever expired is caught', async () => {
    const { call, anchor } = chainOf([again], (h, rs) => (h === 3 ? rs.map((r) => ({ ...r, status: 9, reason: 'none', match: null })) : rs));
    const v = await verifyMatch(call, anchor, again.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems[0]).toMatch(/^status: the certified receipt says 9, the proven state gives an OK match on "far" or "near" whatever expired/);
  });

  it('a node that serves a doctored record at the parent height is refused', async () => {
    const { call, anchor } = chainOf([again]);
    const lying: RpcCall = async (method, params) => {
      const r = (await call(method, params)) as Record<string, unknown>;
      if (method === 'getServiceTypeProof') {
        const leaves = (r.leaves as { key: string; value: string }[]).map((l, i) => (i === 0 ? { ...l, value: l.value.slice(0, -2) + (l.value.endsWith('00') ? '01' : '00') } : l));
        return { ...r, leaves };
      }
      return r;
    };
    const v = await verifyMatch(lying, anchor, again.hashHex);
    expect(v.verified).toBe(false);
    expect(v.problems[0]).toMatch(/range proof of the nodes offering "gpu".*refused/);
  });

  it('a lease renewal earlier in the same block (no effect on edge nodes) does not stop verification', async () => {
    const pk2 = new TxMaker();
    const setup2 = [pk2.tx('acme', P.add('near', 47_400_000, 8_550_000, 2, ['gpu'], 3)), pk2.tx('acme', P.add('far', 48_400_000, 9_550_000, 1, ['gpu'], 3)), pk2.tx('alice', P.register('alice-phone'))];
    const l1 = pk2.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 20)); // lease 1 on "near" (1 of 2 slots), 20 s
    const rn = pk2.tx('alice', P.renew(1, 5));
    const open = pk2.tx('alice', P.open('acme', 10, 600)); // a channel kind before the match: tokens only
    const m = pk2.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 2));
    const { call, anchor } = certifiedChain([setup2, [l1], [rn, open, m]], undefined, { genesis: PAID_GENESIS() });
    const v = await verifyMatch(call, anchor, m.hashHex);
    expect(v.problems).toEqual([]);
    expect(v.verified).toBe(true);
    expect(v.claimed).toMatchObject({ nodeId: 'near', leaseId: 2, cost: 6 });
  });

  it('a match whose outcome no expiry can change verifies, right after an expiry in the same block', async () => {
    const pk3 = new TxMaker();
    const setup3 = [pk3.tx('acme', P.add('near', 47_400_000, 8_550_000, 2, ['gpu'], 3)), pk3.tx('acme', P.add('far', 48_400_000, 9_550_000, 1, ['gpu'], 3)), pk3.tx('alice', P.register('alice-phone'))];
    const l1 = pk3.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 1)); // near: 1 of 2 used, ends at T0+3 s
    const m = pk3.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 2)); // near has a free slot anyway
    const { call, anchor, state } = certifiedChain([setup3, [l1], [m]], undefined, { genesis: PAID_GENESIS() });
    expect(state.lease(1)).toMatchObject({ status: 'expired', endedAt: 3 });
    const v = await verifyMatch(call, anchor, m.hashHex);
    expect(v.problems).toEqual([]);
    expect(v.verified).toBe(true);
    expect(v.stats.expiryUncertain).toBe(0);
  });

  it('a paid match with a duration outside the chain parameter is verified as BAD_DURATION, a lying OK is caught', async () => {
    const pk4 = new TxMaker();
    const setup4 = [pk4.tx('acme', P.add('near', 47_400_000, 8_550_000, 1, ['gpu'], 3)), pk4.tx('alice', P.register('alice-phone'))];
    const m = pk4.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 0));
    const honest = certifiedChain([setup4, [m]], undefined, { genesis: PAID_GENESIS() });
    const v = await verifyMatch(honest.call, honest.anchor, m.hashHex);
    expect(v.problems).toEqual([]);
    expect(v.claimed?.status).toBe(18);
    const liar = certifiedChain([setup4, [m]], (h, rs) => (h === 2 ? rs.map((r) => ({ ...r, status: 0, reason: '', match: { nodeId: 'near', distanceM: 0, price: 3, leaseId: 1, demand: 1, cost: 0, endsAt: 0 } })) : rs), { genesis: PAID_GENESIS() });
    const w = await verifyMatch(liar.call, liar.anchor, m.hashHex);
    expect(w.verified).toBe(false);
    expect(w.problems[0]).toBe('status: the certified receipt says 0, the proven state gives 18');
  });

  it('a lease-cap refusal is "cannot verify" (the count of a device\'s leases is not committed)', async () => {
    const pk5 = new TxMaker();
    const g = PAID_GENESIS({ maxLeasesPerDevice: 1 });
    const setup5 = [pk5.tx('acme', P.add('near', 47_400_000, 8_550_000, 4, ['gpu'], 3)), pk5.tx('alice', P.register('alice-phone'))];
    const a = pk5.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 10));
    const b = pk5.tx('alice', P.match(47_400_000, 8_550_000, 'gpu', 1, 0, 10));
    const { call, anchor } = certifiedChain([setup5, [a, b]], undefined, { genesis: g });
    const v = await verifyMatch(call, anchor, b.hashHex);
    expect(v.claimed?.status).toBe(19);
    expect(v.verified).toBe(false);
    expect(v.problems).toEqual([expect.stringMatching(/^cannot verify: the receipt says LEASE_CAP/)]);
  });
});
