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
import type { Receipt } from '../../src/codec/types.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { merkleRoot } from '../../src/crypto/merkle.ts';
import { sign } from '../../src/crypto/keys.ts';
import type { SignedTx } from '../../src/chain/tx.ts';
import { proofMethods } from '../../src/rpc/proofs.ts';
import type { RpcContext } from '../../src/rpc/methods.ts';
import { WorldState } from '../../src/state/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { anchorFromGenesis, verifyMatch, type RpcCall } from '../../src/verify/match.ts';
import { CHAIN, P, STD_GENESIS, TxMaker, addrBytes, key } from '../state/helpers.ts';

interface Stored {
  block: DecodedBlock;
  certificate: Uint8Array;
  receipts: Uint8Array[];
}

/** A chain whose single sealer ("proxy") signs whatever `doctor` makes of each block's receipts. */
function certifiedChain(blocks: SignedTx[][], doctor: (height: number, receipts: Receipt[]) => Receipt[] = (_h, r) => r) {
  const g = STD_GENESIS();
  const { state, result } = WorldState.fromGenesis(g);
  const chain: Stored[] = [{ block: genesisBlock(g, result.stateRoot), certificate: new Uint8Array(0), receipts: [] }];
  blocks.forEach((txs, i) => {
    const height = i + 1;
    const r = state.execute({ height, timestamp: g.timestamp + height * 1000, proposer: key('proxy').address }, txs);
    if (!r.ok) throw r.error;
    state.commit();
    const receipts = doctor(height, r.value.receipts).map((x) => ReceiptCodec.encode(x));
    const b = buildBlock(
      {
        chainId: CHAIN,
        height,
        parentHash: chain[i].block.hash,
        timestamp: g.timestamp + height * 1000,
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
  return { call, anchor: anchorFromGenesis(g) };
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
