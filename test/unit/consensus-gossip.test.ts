import { describe, expect, it } from 'vitest';
import { SignatureMemo, gossipCheck, signedBytes } from '../../src/consensus/index.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec } from '../../src/codec/consensus.ts';
import { keyPairFromLabel, sign, verify } from '../../src/crypto/keys.ts';
import { voteBytes } from '../../src/chain/certificate.ts';
import { SealerSet } from '../../src/chain/sealers.ts';

const keys = [0, 1, 2, 3].map((i) => keyPairFromLabel('gossip-sealer-' + i));
const sealers = SealerSet.fromKeys(keys.map((k, i) => ({ name: 's' + i, publicKey: k.publicKey, role: i === 0 ? ('proxy' as const) : ('company' as const) })));
const CHAIN = 'edgechain-gossip-test';
const hash = new Uint8Array(32).fill(9);

function vote(sender: number, signer = sender): Uint8Array {
  const payload = ConsensusPayloadCodec.encode({ prepare: { height: 4, view: 1, blockHash: hash } });
  return ConsensusMessageCodec.encode({ payload, sender, signature: sign(voteBytes('prepare', CHAIN, 4, 1, hash), keys[signer].secretKey), block: new Uint8Array(0) });
}

describe('consensus gossip boundary: signatures checked before forwarding', () => {
  it('accepts a sealer-signed vote, refuses a re-attributed one, an unknown sender index and garbage', () => {
    let calls = 0;
    const memo = new SignatureMemo(16, (s, m, p) => {
      calls++;
      return verify(s, m, p);
    });
    const opts = { chainId: CHAIN, sealersAt: () => sealers, verify: memo.verify };
    expect(gossipCheck(vote(2), opts)).toMatchObject({ ok: true, envelope: { sender: 2 } });
    expect(gossipCheck(vote(1, 2), opts)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(gossipCheck(vote(7, 2), opts)).toEqual({ ok: false, reason: 'not-a-sealer' });
    expect(gossipCheck(new Uint8Array([1, 2, 3]), opts)).toEqual({ ok: false, reason: 'malformed' });
    // a vote for another chain id does not verify here
    expect(gossipCheck(vote(2), { ...opts, chainId: 'other' })).toEqual({ ok: false, reason: 'bad-signature' });
    // the engine verifying the same vote again hits the memo, not the crypto
    const before = calls;
    expect(memo.verify(sign(voteBytes('prepare', CHAIN, 4, 1, hash), keys[2].secretKey), voteBytes('prepare', CHAIN, 4, 1, hash), keys[2].publicKey)).toBe(true);
    expect(calls).toBe(before);
  });

  it('non-vote kinds are checked over the consensus domain and payload (a certificate announcement here)', () => {
    const payload = ConsensusPayloadCodec.encode({ certificate: { height: 4, view: 1, blockHash: hash, seals: [{ sealer: 0, signature: new Uint8Array(64) }] } });
    const good = ConsensusMessageCodec.encode({ payload, sender: 3, signature: sign(signedBytes(payload), keys[3].secretKey), block: new Uint8Array(0) });
    const bad = ConsensusMessageCodec.encode({ payload, sender: 3, signature: sign(signedBytes(payload), keys[1].secretKey), block: new Uint8Array(0) });
    const opts = { chainId: CHAIN, sealersAt: () => sealers, verify };
    expect(gossipCheck(good, opts).ok).toBe(true);
    expect(gossipCheck(bad, opts)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('a height past the sealer sets this node knows (applied height + 2) is "undecided-set", not a peer fault (docs/GOVERNANCE.md)', () => {
    const opts = { chainId: CHAIN, sealersAt: () => sealers, verify };
    // the vote is of height 4: decided through 4, the verdicts stand; through 3, an unknown sender or key is not blamed
    expect(gossipCheck(vote(7, 2), { ...opts, decidedThrough: 4 })).toEqual({ ok: false, reason: 'not-a-sealer' });
    expect(gossipCheck(vote(7, 2), { ...opts, decidedThrough: 3 })).toEqual({ ok: false, reason: 'undecided-set' });
    expect(gossipCheck(vote(1, 2), { ...opts, decidedThrough: 3 })).toEqual({ ok: false, reason: 'undecided-set' });
    expect(gossipCheck(vote(2), { ...opts, decidedThrough: 3 })).toMatchObject({ ok: true });
    expect(gossipCheck(new Uint8Array([1, 2, 3]), { ...opts, decidedThrough: 0 })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a message of a height finalized here (below staleBelow) is "stale-height" before any signature is checked', () => {
    let calls = 0;
    const counting = (s: Uint8Array, m: Uint8Array, p: Uint8Array) => {
      calls++;
      return verify(s, m, p);
    };
    const opts = { chainId: CHAIN, sealersAt: () => sealers, verify: counting };
    // the vote is of height 4
    expect(gossipCheck(vote(2), { ...opts, staleBelow: 5 })).toEqual({ ok: false, reason: 'stale-height' });
    expect(gossipCheck(vote(1, 2), { ...opts, staleBelow: 5 })).toEqual({ ok: false, reason: 'stale-height' });
    expect(calls).toBe(0);
    expect(gossipCheck(vote(2), { ...opts, staleBelow: 4 })).toMatchObject({ ok: true });
    expect(gossipCheck(vote(1, 2), { ...opts, staleBelow: 4 })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(calls).toBe(2);
    expect(gossipCheck(new Uint8Array([1, 2, 3]), { ...opts, staleBelow: 5 })).toEqual({ ok: false, reason: 'malformed' });
  });
});
