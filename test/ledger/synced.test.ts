import { describe, expect, it } from 'vitest';
import { TxVerifier, decodeCertificate, encodeCertificate, verifyCertificate } from '../../src/chain/index.ts';
import { FinalizedBlockCodec } from '../../src/codec/index.ts';
import { PbftEngine, SignatureMemo } from '../../src/consensus/index.ts';
import { verify as cryptoVerify } from '../../src/crypto/keys.ts';
import { VerifyPool } from '../../src/crypto/verify-pool.ts';
import { Ledger, openState, prepareSynced, type LedgerOutput } from '../../src/ledger/index.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { genesisHash } from '../../src/chain/genesis.ts';
import { SIM_CHAIN_ID, T0, sealerKey, simChain, workloadTx } from '../sim/ledger-node.ts';

/** Three finalized blocks of a one-sealer chain, as a peer serves them (FinalizedBlock bytes). */
async function served() {
  const { genesis } = simChain(1);
  const store = await ChainStore.open(new MemoryDatabase(), { genesisHash: genesisHash(genesis) });
  const { state } = await openState(store, genesis);
  const verifier = new TxVerifier();
  const pool = new TxPool({ chainId: SIM_CHAIN_ID }, { state, verifier, now: () => T0 });
  const key = sealerKey(0);
  const engine = new PbftEngine({ chainId: SIM_CHAIN_ID, params: genesis.params }, { key, sealersAt: (h) => ledger.sealersAt(h) });
  const ledger = new Ledger({ genesis }, { state, store, pool, engine, verifier, key, now: () => T0, onWork: () => {} });
  const outs: LedgerOutput[] = [];
  const head = store.head()!;
  ledger.step({ type: 'start', now: T0, head: { height: 0, hash: head.hash, timestamp: genesis.timestamp }, wal: [] }, (o) => void outs.push(o));
  for (let i = 0; i < 3; i++) {
    expect(pool.add(workloadTx(i)).ok).toBe(true);
    ledger.step(ledger.workInput(), (o) => void outs.push(o));
    const f = outs.filter((o) => o.type === 'finalized').at(-1) as Extract<LedgerOutput, { type: 'finalized' }>;
    await (await ledger.write(f)).durable;
  }
  const raw = await Promise.all([1, 2, 3].map(async (h) => (await store.getBlockByHeight(h))!.finalized));
  return { raw, ledger, genesis };
}

/** A SignatureMemo whose real Ed25519 checks are counted. */
function countingMemo() {
  const calls = { n: 0 };
  const memo = new SignatureMemo(1000, (s, m, p) => (calls.n++, cryptoVerify(s, m, p)));
  return { memo, calls };
}

describe('prepareSynced: certificate seals checked in the verify workers', () => {
  it('remembers every valid seal, so the engine\'s certificate check does no Ed25519 work of its own', async () => {
    const { raw, ledger, genesis } = await served();
    const pool = new VerifyPool({ workers: 1 });
    try {
      for (const withSeals of [false, true]) {
        const { memo, calls } = countingMemo();
        const seals = withSeals ? { sealersAt: (h: number) => ledger.sealersAt(h), remember: (s: Uint8Array, m: Uint8Array, p: Uint8Array) => memo.remember(s, m, p) } : undefined;
        const blocks = await prepareSynced(raw, { chainId: SIM_CHAIN_ID, params: genesis.params }, new TxVerifier(), pool, seals);
        for (const b of blocks) {
          if ('error' in b) throw b.error;
          const v = verifyCertificate(b.certificate, { chainId: SIM_CHAIN_ID, height: b.block.header.height, blockHash: b.block.hash }, ledger.sealersAt(b.block.header.height), memo.verify);
          expect(v.ok).toBe(true);
        }
        // one seal per block (n = 1): checked on this thread only without the lever
        expect(calls.n).toBe(withSeals ? 0 : 3);
      }
    } finally {
      await pool.close();
    }
  });

  it('a forged seal is not remembered: the engine\'s own check still refuses it', async () => {
    const { raw, ledger, genesis } = await served();
    const f = FinalizedBlockCodec.decode(raw[1]);
    if (!f.ok) throw f.error;
    const c = decodeCertificate(f.value.certificate);
    if (!c.ok) throw c.error;
    const sig = c.value.seals[0].signature.slice();
    sig[7] ^= 1;
    const forged = FinalizedBlockCodec.encode({ block: f.value.block, certificate: encodeCertificate({ ...c.value, seals: [{ ...c.value.seals[0], signature: sig }] }) });
    const pool = new VerifyPool({ workers: 1 });
    try {
      const { memo, calls } = countingMemo();
      const blocks = await prepareSynced([raw[0], forged, raw[2]], { chainId: SIM_CHAIN_ID, params: genesis.params }, new TxVerifier(), pool, {
        sealersAt: (h) => ledger.sealersAt(h),
        remember: (s, m, p) => memo.remember(s, m, p),
      });
      const b = blocks[1];
      if ('error' in b) throw b.error;
      const v = verifyCertificate(b.certificate, { chainId: SIM_CHAIN_ID, height: 2, blockHash: b.block.hash }, ledger.sealersAt(2), memo.verify);
      expect(v.ok).toBe(false);
      expect(calls.n).toBe(1); // not found in the memo: checked here, and refused
    } finally {
      await pool.close();
    }
  });
});
