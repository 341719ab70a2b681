/**
 * The chaos runner's double-sign detector, fed directly: it must flag two validly signed
 * votes of one sealer at the same (kind, height, view) with different hashes, and nothing
 * else (a repeat, another view, another phase, a bad signature, garbage).
 */
import { describe, it, expect } from 'vitest';
import { VoteListener } from './listener.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, type ConsensusPayload } from '../../src/codec/consensus.ts';
import { voteBytes } from '../../src/chain/certificate.ts';
import { signedBytes } from '../../src/consensus/engine.ts';
import { keyPairFromLabel, sign, type KeyPair } from '../../src/crypto/keys.ts';

const CHAIN = 'chaos-test';
const keys = [0, 1, 2, 3].map((i) => keyPairFromLabel(`chaos-sealer-${i}`));
const h = (b: number) => new Uint8Array(32).fill(b);

function vote(key: KeyPair, sender: number, kind: 'prepare' | 'commit', height: number, view: number, hash: Uint8Array, forge = false): Uint8Array {
  const payload = ConsensusPayloadCodec.encode({ kind, [kind]: { height, view, blockHash: hash } } as ConsensusPayload);
  const signature = sign(voteBytes(kind, CHAIN, height, view, forge ? h(0xff) : hash), key.secretKey);
  return ConsensusMessageCodec.encode({ payload, sender, signature, block: new Uint8Array(0) });
}

function proposal(key: KeyPair, sender: number, height: number, view: number, hash: Uint8Array): Uint8Array {
  const payload = ConsensusPayloadCodec.encode({ kind: 'prePrepare', prePrepare: { height, view, blockHash: hash } });
  return ConsensusMessageCodec.encode({ payload, sender, signature: sign(signedBytes(payload), key.secretKey), block: new Uint8Array(0) });
}

describe('VoteListener', () => {
  it('flags two signed votes of one sealer for different hashes at the same height, view and phase', () => {
    const l = new VoteListener(CHAIN, keys.map((k) => k.publicKey));
    expect(l.observe(vote(keys[1], 1, 'prepare', 5, 0, h(1)))).toBe('ignore');
    l.observe(vote(keys[1], 1, 'prepare', 5, 0, h(1))); // the same vote again
    l.observe(vote(keys[1], 1, 'prepare', 5, 1, h(2))); // another view
    l.observe(vote(keys[1], 1, 'commit', 5, 0, h(1)));
    l.observe(vote(keys[2], 2, 'prepare', 5, 0, h(2))); // another sealer
    expect(l.doubleSigns()).toEqual([]);
    l.observe(vote(keys[1], 1, 'prepare', 5, 0, h(3)));
    expect(l.doubleSigns()).toEqual([{ sealer: 1, kind: 'prepare', height: 5, view: 0, hashes: [expect.any(String), expect.any(String)] }]);
    expect(l.stats.votes).toBe(4);
  });

  it('flags a leader proposing two blocks in one view', () => {
    const l = new VoteListener(CHAIN, keys.map((k) => k.publicKey));
    l.observe(proposal(keys[0], 0, 9, 2, h(1)));
    expect(l.doubleSigns()).toEqual([]);
    l.observe(proposal(keys[0], 0, 9, 2, h(2)));
    expect(l.doubleSigns().map((d) => [d.sealer, d.kind, d.height, d.view])).toEqual([[0, 'prePrepare', 9, 2]]);
  });

  it('ignores forged signatures, a signature by another sealer, unknown senders and garbage', () => {
    const l = new VoteListener(CHAIN, keys.map((k) => k.publicKey));
    l.observe(vote(keys[1], 1, 'commit', 3, 0, h(1)));
    l.observe(vote(keys[1], 1, 'commit', 3, 0, h(2), true)); // signature over another hash
    l.observe(vote(keys[2], 1, 'commit', 3, 0, h(3))); // signed by sealer 2, claims sealer 1
    l.observe(vote(keys[1], 7, 'commit', 3, 0, h(4))); // no sealer 7
    l.observe(new Uint8Array([1, 2, 3]));
    expect(l.doubleSigns()).toEqual([]);
    expect(l.stats.badSignature).toBe(2);
    expect(l.stats.malformed).toBe(2);
  });
});
