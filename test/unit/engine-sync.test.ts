/**
 * The engine's checks of blocks obtained by sync, on the real chain of the test vectors
 * (4 sealers, real certificates): a forged, short, wrong-block, wrong-height or
 * wrong-parent certificate or block is refused with its reason and changes nothing; the
 * honest block is then finalized.
 */
import { describe, it, expect } from 'vitest';
import { PbftEngine } from '../../src/consensus/engine.ts';
import type { EngineOutput } from '../../src/consensus/types.ts';
import { buildBlock, decodeCertificate, genesisSealerSet, type DecodedBlock } from '../../src/chain/index.ts';
import type { CommitCertificate } from '../../src/codec/types.ts';
import { keyPairFromLabel, sign, sha256 } from '../../src/crypto/index.ts';
import { TxCodec } from '../../src/codec/index.ts';
import { BlockCodec } from '../../src/codec/chain.ts';
import { runChain, certificate, CHAIN_ID } from '../vectors/vectors.ts';

const run = runChain();
const sealers = genesisSealerSet(run.genesis);
const cert = (h: number): CommitCertificate => {
  const c = decodeCertificate(run.certs[h - 1]);
  if (!c.ok) throw c.error;
  return c.value;
};

function observer(): PbftEngine {
  const e = new PbftEngine({ chainId: CHAIN_ID, params: run.genesis.params }, { key: null, sealersAt: () => sealers });
  const g = run.chain[0];
  e.step({ type: 'start', now: g.header.timestamp + 1, head: { height: 0, hash: g.hash, timestamp: g.header.timestamp }, wal: [] });
  return e;
}

function sync(e: PbftEngine, block: DecodedBlock | Uint8Array, c: CommitCertificate): EngineOutput[] {
  const bytes = block instanceof Uint8Array ? block : block.bytes;
  return e.step({ type: 'synced', now: run.genesis.timestamp + 100_000, block: bytes, certificate: c });
}

const finalized = (out: EngineOutput[]) => out.filter((o) => o.type === 'finalize');

describe('the engine refuses bad synced blocks and certificates', () => {
  it('each bad case is refused with its reason, changes nothing, and the honest block is then finalized', () => {
    const e = observer();
    const b1 = run.chain[1];
    const good = cert(1);
    const cases: [string, () => EngineOutput[], string][] = [];
    // a seal whose signature is not the sealer's (signed by an outsider)
    const outsider = keyPairFromLabel('not-a-sealer');
    cases.push(['forged seal', () => sync(e, b1, { ...good, seals: good.seals.map((s, i) => (i === 0 ? { ...s, signature: sign(new Uint8Array([1]), outsider.secretKey) } : s)) }), 'reject:sync:bad-certificate']);
    // a quorum is 3 of 4: two seals are too few
    cases.push(['short certificate (2 of 4 seals)', () => sync(e, b1, { ...good, seals: good.seals.slice(0, 2) }), 'reject:sync:bad-certificate']);
    // the same seal three times is not a quorum of distinct sealers
    cases.push(['one sealer three times', () => sync(e, b1, { ...good, seals: [good.seals[0], good.seals[0], good.seals[0]] }), 'reject:sync:bad-certificate']);
    // a valid certificate of another block (block 2's) for block 1
    cases.push(['certificate of another block', () => sync(e, b1, cert(2)), 'reject:sync:bad-certificate']);
    // a certificate claiming another height
    cases.push(['certificate for another height', () => sync(e, b1, { ...good, height: 2 }), 'reject:sync:bad-certificate']);
    // a block of the wrong height (block 2 while deciding 1)
    cases.push(['block of the wrong height', () => sync(e, run.chain[2], cert(2)), 'ignore:sync:not-next-height']);
    // height 1 on another parent, with a quorum certificate of that very block (as colluding sealer keys could make)
    const forkB1 = buildBlock({ ...b1.header, parentHash: sha256(new Uint8Array([9])) }, b1.txs);
    const forkCert = decodeCertificate(certificate(1, 0, forkB1.hash, [0, 1, 2]));
    if (!forkCert.ok) throw forkCert.error;
    cases.push(['block on the wrong parent', () => sync(e, forkB1, forkCert.value), 'reject:sync:wrong-parent']);
    // a tampered tx: one byte of a signature flipped; the tx root no longer matches
    const blk = BlockCodec.decode(b1.bytes);
    if (!blk.ok) throw blk.error;
    const t0 = TxCodec.decode(blk.value.txs[0]);
    if (!t0.ok) throw t0.error;
    const sig = new Uint8Array(t0.value.signature);
    sig[0] ^= 1;
    const tampered = BlockCodec.encode({ header: blk.value.header, txs: [TxCodec.encode({ ...t0.value, signature: sig }), ...blk.value.txs.slice(1)] });
    cases.push(['tampered tx', () => sync(e, tampered, good), 'reject:sync:bad-block']);
    cases.push(['garbage bytes', () => sync(e, new Uint8Array([1, 2, 3]), good), 'reject:sync:bad-block']);

    let checked = 0;
    for (const [name, act, verdict] of cases) {
      const before = e.verdictCounts()[verdict] ?? 0;
      const out = act();
      expect(finalized(out), name).toEqual([]);
      expect(e.verdictCounts()[verdict] ?? 0, `${name}: counted as ${verdict}`).toBe(before + 1);
      expect(e.status().height, name).toBe(1);
      checked++;
    }
    expect(checked).toBe(9);
    const ok = finalized(sync(e, b1, good));
    expect(ok).toHaveLength(1);
    expect(ok[0].type === 'finalize' && ok[0].block.hashHex).toBe(b1.hashHex);
    expect(e.status().height).toBe(2);
    expect(e.verdictCounts()['accept:sync:ok']).toBe(1);
  });

  it('a whole chain of honest synced blocks is finalized in order', () => {
    const e = observer();
    let n = 0;
    for (let h = 1; h < run.chain.length; h++) n += finalized(sync(e, run.chain[h], cert(h))).length;
    expect(n).toBe(30);
    expect(e.status().height).toBe(31);
  });
});
