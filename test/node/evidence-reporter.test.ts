/**
 * The node's evidence reporter (src/node/evidence-reporter.ts) over a real TxPool and
 * WorldState: an engine equivocation output becomes one evidence tx from the node key's own
 * account, de-duplicated per offence, closed once the offence is on chain, re-submitted with a
 * fresh nonce when its tx left the pool without recording it.
 */
import { describe, it, expect } from 'vitest';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { sign } from '../../src/crypto/keys.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { TxVerifier, genesisSealerSet, signTx, type SignedTx } from '../../src/chain/index.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { WorldState, ReceiptStatus } from '../../src/state/index.ts';
import { EvidenceReporter, type EquivocationOutput } from '../../src/node/evidence-reporter.ts';
import { CHAIN, genesis, key, run } from '../state/helpers.ts';
import type { Genesis } from '../../src/codec/types.ts';

const SEALERS = ['s0', 's1', 's2', 's3'];
const g4 = (): Genesis => ({
  ...genesis({ alice: { role: 'user', balance: 100 } }),
  sealers: SEALERS.map((s, i) => ({ name: s, publicKey: key(s).publicKey, role: i === 0 ? 'proxy' : 'company' })),
});

/** An engine equivocation output: sealer `sender` signed `kind` for two blocks at (h, v). */
function equivocation(kind: 'prepare' | 'commit', height: number, view: number, sender = 3): EquivocationOutput {
  const m = (label: string) => {
    const hash = sha256(utf8(label));
    const payload = ConsensusPayloadCodec.encode({ [kind]: { height, view, blockHash: hash } });
    return ConsensusMessageCodec.encode({ payload, sender, signature: sign(voteBytes(kind, CHAIN, height, view, hash), key(SEALERS[sender]).secretKey), block: new Uint8Array(0) });
  };
  return { type: 'equivocation', kind, height, view, sender, messages: [m('a'), m('b')] };
}

function setup(opts: { maxAttempts?: number } = {}) {
  const g = g4();
  const ws = WorldState.fromGenesis(g).state;
  const pool = new TxPool({ chainId: CHAIN }, { state: ws, verifier: new TxVerifier() });
  const nodeKey = key('s1'); // the reporting sealer's node key
  const gossiped: SignedTx[] = [];
  const sealers = genesisSealerSet(g);
  const r = new EvidenceReporter({ key: nodeKey, chainId: CHAIN, genesisHash: new Uint8Array(32), state: ws, pool, gossip: (tx) => gossiped.push(tx), sealersAt: () => sealers }, opts);
  let height = 0;
  /** Executes and commits a block of `txs`, tells the pool and the reporter. */
  const block = (txs: SignedTx[]) => {
    const res = run(ws, ++height, txs);
    pool.onCommit(txs);
    r.onBlock();
    return res;
  };
  return { ws, pool, r, gossiped, block, nodeKey };
}

describe('EvidenceReporter', () => {
  it('one evidence tx per offence from the node key account, gossiped; on chain it is closed and not reported again', () => {
    const s = setup();
    s.r.report(equivocation('prepare', 1, 0));
    s.r.report(equivocation('prepare', 1, 0)); // the same offence again (another engine output)
    expect(s.pool.size).toBe(1);
    expect(s.gossiped).toHaveLength(1);
    const tx = s.gossiped[0];
    expect([tx.sender, tx.body.nonce, tx.body.kind]).toEqual([s.nodeKey.address, 0, 'evidence']);
    s.r.report(equivocation('commit', 1, 0)); // another offence: its own tx, the next nonce
    expect(s.gossiped.map((t) => t.body.nonce)).toEqual([0, 1]);
    expect(s.r.pending).toBe(2);

    const res = s.block(s.pool.select({ maxTxs: 100, maxBytes: 1 << 20 }));
    expect(res.receipts.map((x) => x.status)).toEqual([ReceiptStatus.OK, ReceiptStatus.OK]);
    expect(s.ws.evidence().map((e) => [e.kind, e.sealer, e.reporter])).toEqual([
      ['prepare', key('s3').address, s.nodeKey.address],
      ['commit', key('s3').address, s.nodeKey.address],
    ]);
    expect(s.r.pending).toBe(0);
    s.r.report(equivocation('prepare', 1, 0)); // recorded: nothing to do
    expect(s.pool.size).toBe(0);
    expect(s.gossiped).toHaveLength(2);
  });

  it('an offence recorded by someone else closes the open report; its own tx then fails as a duplicate', () => {
    const s = setup();
    s.r.report(equivocation('prepare', 1, 0));
    const mine = s.gossiped[0];
    const e = equivocation('prepare', 1, 0);
    const theirs = signTx(key('alice'), CHAIN, 0, { kind: 'evidence', evidence: { first: e.messages[0], second: e.messages[1] } });
    const res = s.block([theirs, mine]);
    expect(res.receipts.map((x) => x.status)).toEqual([ReceiptStatus.OK, ReceiptStatus.EVIDENCE_DUPLICATE]);
    expect(s.r.pending).toBe(0);
    expect(s.ws.evidence()[0].reporter).toBe(key('alice').address);
  });

  it('a tx that left the pool without recording the offence is re-submitted with a fresh nonce, up to maxAttempts', () => {
    const s = setup({ maxAttempts: 2 });
    s.r.report(equivocation('commit', 2, 1));
    expect(s.gossiped.map((t) => t.body.nonce)).toEqual([0]);
    // the node key's nonce 0 is spent by another tx: the evidence tx is stale and leaves the pool
    const other = signTx(s.nodeKey, CHAIN, 0, { kind: 'transfer', transfer: { to: new Uint8Array(20).fill(1), amount: 1 } });
    s.block([other]);
    expect(s.gossiped.map((t) => t.body.nonce)).toEqual([0, 1]);
    expect(s.pool.has(s.gossiped[1].hashHex)).toBe(true);
    // and once more: the second attempt also loses its nonce; maxAttempts = 2 gives up
    s.block([signTx(s.nodeKey, CHAIN, 1, { kind: 'transfer', transfer: { to: new Uint8Array(20).fill(1), amount: 1 } })]);
    expect(s.gossiped).toHaveLength(2);
    expect(s.r.pending).toBe(0);
    expect(s.ws.evidence()).toEqual([]);
  });

  it('an equivocation by an index outside the set, or with junk messages, is not reported', () => {
    const s = setup();
    s.r.report({ ...equivocation('prepare', 1, 0), sender: 9 });
    s.r.report({ ...equivocation('prepare', 1, 0), messages: [utf8('junk'), utf8('junk')] });
    expect(s.pool.size).toBe(0);
    expect(s.r.pending).toBe(0);
  });
});
