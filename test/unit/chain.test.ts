import { describe, it, expect } from 'vitest';
import { keyPairFromLabel, sign, merkleRoot } from '../../src/crypto/index.ts';
import { TxCodec, TxBodyCodec, BlockCodec, BlockHeaderCodec, type TxPayload } from '../../src/codec/index.ts';
import {
  signTx, txSignMessage, decodeTx, decodeAndVerifyTx, TxVerifier, buildBlock, decodeBlock, voteBytes, buildCertificate,
  verifyCertificate, SealerSet, parseGenesis, genesisHash, genesisBlock, genesisSealerSet, DEFAULT_PARAMS, checkTxFields, type SignedTx,
} from '../../src/chain/index.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';

const CHAIN = 'edgechain-test';
const alice = keyPairFromLabel('alice');
const opts = { chainId: CHAIN, maxTxBytes: DEFAULT_PARAMS.maxTxBytes };
const transfer = (amount = 5): TxPayload => ({ kind: 'transfer', transfer: { to: new Uint8Array(20).fill(7), amount } });
const addNode = (over: Partial<{ id: string; lat: number; lon: number; capacity: number; serviceTypes: string[]; price: number }> = {}): TxPayload => ({
  kind: 'addNode',
  addNode: { id: 'en-1', lat: -37_813_600, lon: 144_963_100, capacity: 8, serviceTypes: ['video', 'ml'], price: 10, ...over },
});

describe('transactions', () => {
  it('sign → encode → decode → verify round trip', () => {
    const stx = signTx(alice, CHAIN, 3, transfer());
    const r = decodeAndVerifyTx(stx.bytes, opts, new TxVerifier());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.sender).toBe(alice.address);
    expect(r.value.body.nonce).toBe(3);
    expect(r.value.body.kind).toBe('transfer');
    expect(r.value.hashHex).toBe(stx.hashHex);
  });

  it('rejects a tampered signature and a tampered body', () => {
    const stx = signTx(alice, CHAIN, 0, transfer());
    const sig = new Uint8Array(stx.tx.signature);
    sig[0] ^= 1;
    const badSig = TxCodec.encode({ ...stx.tx, signature: sig });
    const r1 = decodeAndVerifyTx(badSig, opts, new TxVerifier());
    expect(!r1.ok && r1.error.code).toBe('TX_BAD_SIGNATURE');
    // same signature, body with another amount
    const otherBody = signTx(alice, CHAIN, 0, transfer(6)).tx.body;
    const badBody = TxCodec.encode({ ...stx.tx, body: otherBody });
    const r2 = decodeAndVerifyTx(badBody, opts, new TxVerifier());
    expect(!r2.ok && r2.error.code).toBe('TX_BAD_SIGNATURE');
    // another key claiming the signature
    const badKey = TxCodec.encode({ ...stx.tx, publicKey: keyPairFromLabel('mallory').publicKey });
    const r3 = decodeAndVerifyTx(badKey, opts, new TxVerifier());
    expect(!r3.ok && r3.error.code).toBe('TX_BAD_SIGNATURE');
  });

  it('signatures are domain-separated: signing the bare body does not make a valid tx', () => {
    const stx = signTx(alice, CHAIN, 0, transfer());
    const bare = TxCodec.encode({ ...stx.tx, signature: sign(stx.tx.body, alice.secretKey) });
    const r = decodeAndVerifyTx(bare, opts, new TxVerifier());
    expect(!r.ok && r.error.code).toBe('TX_BAD_SIGNATURE');
  });

  it('rejects another chain id, oversize, malformed bytes and bad key lengths', () => {
    const other = signTx(alice, 'other-chain', 0, transfer());
    expect((r => !r.ok && r.error.code)(decodeTx(other.bytes, opts))).toBe('TX_WRONG_CHAIN');
    const stx = signTx(alice, CHAIN, 0, transfer());
    expect((r => !r.ok && r.error.code)(decodeTx(stx.bytes, { ...opts, maxTxBytes: 50 }))).toBe('TX_TOO_LARGE');
    expect((r => !r.ok && r.error.code)(decodeTx(Uint8Array.from([1, 2, 3]), opts))).toBe('TX_MALFORMED');
    const shortKey = TxCodec.encode({ ...stx.tx, publicKey: new Uint8Array(31) });
    expect((r => !r.ok && r.error.code)(decodeTx(shortKey, opts))).toBe('TX_BAD_PUBLIC_KEY');
  });

  it('checks field bounds of every kind', () => {
    const bad: TxPayload[] = [
      addNode({ id: '' }),
      addNode({ id: 'x'.repeat(65) }),
      addNode({ id: 'has space' }),
      addNode({ lat: 90_000_001 }),
      addNode({ lon: -180_000_001 }),
      addNode({ capacity: 0 }),
      addNode({ serviceTypes: [] }),
      addNode({ serviceTypes: ['a', 'a'] }),
      addNode({ serviceTypes: Array.from({ length: 17 }, (_, i) => 't' + i) }),
      { kind: 'registerDevice', registerDevice: { info: '' } },
      { kind: 'registerDevice', registerDevice: { info: 'x'.repeat(257) } },
      { kind: 'edgeMatch', edgeMatch: { lat: 0, lon: 0, taskType: 'ml', demand: 0, maxPrice: 0, durationS: 60 } },
      { kind: 'edgeMatch', edgeMatch: { lat: 0, lon: 0, taskType: '', demand: 1, maxPrice: 0, durationS: 60 } },
      { kind: 'releaseLease', releaseLease: { leaseId: 0 } },
      { kind: 'transfer', transfer: { to: new Uint8Array(19), amount: 1 } },
      { kind: 'transfer', transfer: { to: new Uint8Array(20), amount: 0 } },
      { kind: 'removeNode', removeNode: { id: '' } },
    ];
    for (const p of bad) {
      const stx = signTxUnchecked(p);
      const r = decodeTx(stx, opts);
      expect(!r.ok && r.error.code, JSON.stringify(p)).toBe('TX_INVALID_FIELD');
    }
    expect(() => signTx(alice, CHAIN, 0, addNode({ capacity: 0 }))).toThrow(/capacity/);
    expect(checkTxFields({ chainId: CHAIN, nonce: 0, ...addNode() } as never)).toBeNull();
  });

  it('verifies each signature once: the verifier caches verified hashes', () => {
    const v = new TxVerifier();
    const stx = signTx(alice, CHAIN, 0, transfer());
    expect(v.verify(stx)).toBe(true);
    expect(v.verify(stx)).toBe(true);
    expect(v.misses).toBe(1);
    expect(v.hits).toBe(1);
    v.forget(stx.hashHex);
    expect(v.verify(stx)).toBe(true);
    expect(v.misses).toBe(2);
  });

  it('binds the genesis hash into what a tx signs: a tx of one network never verifies on another with the same chain id', () => {
    const netA = new Uint8Array(32).fill(0xa1);
    const netB = new Uint8Array(32).fill(0xb2);
    const stx = signTx(alice, CHAIN, 0, transfer(), netA);
    expect(new TxVerifier(10, netA).verify(stx)).toBe(true);
    expect(new TxVerifier(10, netB).verify(stx)).toBe(false);
    expect(new TxVerifier(10).verify(stx)).toBe(false);
    const r = decodeAndVerifyTx(stx.bytes, opts, new TxVerifier(10, netB));
    expect(!r.ok && r.error.code).toBe('TX_BAD_SIGNATURE');
    // the tx bytes (and so its hash) do not carry the genesis hash: only the signature covers it
    expect(toHex(signTx(alice, CHAIN, 0, transfer(), netB).tx.body)).toBe(toHex(stx.tx.body));
    expect(toHex(txSignMessage(stx.tx.body, netA))).toBe(toHex(utf8('edgechain/tx/v1')) + 'a1'.repeat(32) + toHex(stx.tx.body));
  });

  it('bounds the verifier cache', () => {
    const v = new TxVerifier(3);
    for (let i = 0; i < 5; i++) v.verify(signTx(alice, CHAIN, i, transfer()));
    expect(v.size).toBe(3);
  });
});

/** Signs a payload without the builder's own field check, to produce invalid txs. */
function signTxUnchecked(p: TxPayload): Uint8Array {
  const body = { chainId: CHAIN, nonce: 0, ...(p as object) };
  delete (body as { kind?: unknown }).kind;
  return TxCodec.encode({ body: TxBodyCodec.encode(body as never), signature: sign(utf8('x'), alice.secretKey), publicKey: alice.publicKey });
}

function fields(height: number, parent: Uint8Array) {
  return {
    chainId: CHAIN, height, parentHash: parent, timestamp: 1_000 + height, proposer: new Uint8Array(20),
    view: 0, stateRoot: new Uint8Array(32).fill(1), receiptRoot: new Uint8Array(32).fill(2),
  };
}

describe('blocks', () => {
  const txs: SignedTx[] = Array.from({ length: 5 }, (_, i) => signTx(alice, CHAIN, i, transfer()));
  const blockOpts = { chainId: CHAIN, params: DEFAULT_PARAMS };

  it('build → decode gives the same hash, header and txs; tx root is the merkle root of tx hashes', () => {
    const b = buildBlock(fields(1, new Uint8Array(32)), txs);
    expect(toHex(b.header.txRoot)).toBe(toHex(merkleRoot(txs.map((t) => t.hash))));
    const r = decodeBlock(b.bytes, blockOpts);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.hashHex).toBe(b.hashHex);
    expect(r.value.txs.map((t) => t.hashHex)).toEqual(txs.map((t) => t.hashHex));
    expect(r.value.header.height).toBe(1);
  });

  it('the hash covers every header field', () => {
    const base = buildBlock(fields(1, new Uint8Array(32)), txs);
    const variants = [
      buildBlock({ ...fields(1, new Uint8Array(32)), view: 1 }, txs),
      buildBlock({ ...fields(1, new Uint8Array(32)), timestamp: 5 }, txs),
      buildBlock({ ...fields(1, new Uint8Array(32).fill(9)) }, txs),
      buildBlock(fields(1, new Uint8Array(32)), txs.slice(0, 4)),
    ];
    for (const v of variants) expect(v.hashHex).not.toBe(base.hashHex);
  });

  it('rejects a wrong tx root, tx count, duplicate tx, foreign chain and limits', () => {
    const good = buildBlock(fields(1, new Uint8Array(32)), txs);
    const swapped = BlockCodec.encode({ header: good.headerBytes, txs: [txs[1].bytes, txs[0].bytes, ...txs.slice(2).map((t) => t.bytes)] });
    expect((r => !r.ok && r.error.code)(decodeBlock(swapped, blockOpts))).toBe('BLOCK_BAD_TX_ROOT');
    const fewer = BlockCodec.encode({ header: good.headerBytes, txs: txs.slice(1).map((t) => t.bytes) });
    expect((r => !r.ok && r.error.code)(decodeBlock(fewer, blockOpts))).toBe('BLOCK_BAD_TX_COUNT');
    const dup = buildBlock(fields(1, new Uint8Array(32)), [txs[0], txs[0]]);
    expect((r => !r.ok && r.error.code)(decodeBlock(dup.bytes, blockOpts))).toBe('BLOCK_DUPLICATE_TX');
    expect((r => !r.ok && r.error.code)(decodeBlock(good.bytes, { ...blockOpts, chainId: 'x' }))).toBe('BLOCK_WRONG_CHAIN');
    expect((r => !r.ok && r.error.code)(decodeBlock(good.bytes, { ...blockOpts, params: { ...DEFAULT_PARAMS, maxBlockTxs: 4 } }))).toBe('BLOCK_TOO_MANY_TXS');
    expect((r => !r.ok && r.error.code)(decodeBlock(good.bytes, { ...blockOpts, params: { ...DEFAULT_PARAMS, maxBlockBytes: 100 } }))).toBe('BLOCK_TOO_LARGE');
    const badHeader = BlockCodec.encode({ header: BlockHeaderCodec.encode({ ...good.header, parentHash: new Uint8Array(3) }), txs: txs.map((t) => t.bytes) });
    expect((r => !r.ok && r.error.code)(decodeBlock(badHeader, blockOpts))).toBe('BLOCK_MALFORMED');
    expect((r => !r.ok && r.error.code)(decodeBlock(Uint8Array.from([0xff, 0xff]), blockOpts))).toBe('BLOCK_MALFORMED');
  });
});

describe('sealer sets and certificates', () => {
  const keys = [0, 1, 2, 3].map((i) => keyPairFromLabel('sealer-' + i));
  const set = SealerSet.fromKeys(keys.map((k, i) => ({ name: 's' + i, publicKey: k.publicKey, role: i === 0 ? 'proxy' : 'company' })));

  it('n, f, quorum for the usual sizes', () => {
    const sizes: [number, number, number][] = [[1, 0, 1], [4, 1, 3], [7, 2, 5], [10, 3, 7], [16, 5, 11]];
    for (const [n, f, q] of sizes) {
      const s = SealerSet.fromKeys(Array.from({ length: n }, (_, i) => ({ name: 'x', publicKey: keyPairFromLabel('k' + i).publicKey, role: 'company' as const })));
      expect([s.n, s.f, s.quorum]).toEqual([n, f, q]);
    }
  });

  it('rotates the leader with height and view', () => {
    expect(set.leaderIndex(1, 0)).toBe(1);
    expect(set.leaderIndex(1, 1)).toBe(2);
    expect(set.leaderIndex(3, 2)).toBe(1);
    expect(set.indexOfKey(keys[2].publicKey)).toBe(2);
    expect(set.indexOfKey(keyPairFromLabel('nobody').publicKey)).toBe(-1);
  });

  const hash = new Uint8Array(32).fill(0xab);
  const seal = (i: number, h = 5, v = 0, bh = hash) => ({ sealer: i, signature: sign(voteBytes('commit', CHAIN, h, v, bh), keys[i].secretKey) });
  const expected = { chainId: CHAIN, height: 5, blockHash: hash };

  it('accepts a quorum of valid commit seals', () => {
    const cert = buildCertificate(5, 0, hash, [seal(2), seal(0), seal(3)]);
    expect(cert.seals.map((s) => s.sealer)).toEqual([0, 2, 3]);
    expect(verifyCertificate(cert, expected, set).ok).toBe(true);
  });

  it('rejects too few, duplicate, unknown, forged, prepare-instead-of-commit and wrong-block seals', () => {
    const code = (c: ReturnType<typeof buildCertificate>, e = expected) => (r => !r.ok && r.error.code)(verifyCertificate(c, e, set));
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1)]))).toBe('CERT_NO_QUORUM');
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), seal(1)]))).toBe('CERT_DUPLICATE_SEALER');
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), { sealer: 4, signature: seal(2).signature }]))).toBe('CERT_UNKNOWN_SEALER');
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), { sealer: 2, signature: seal(3).signature }]))).toBe('CERT_BAD_SIGNATURE');
    const prep = { sealer: 2, signature: sign(voteBytes('prepare', CHAIN, 5, 0, hash), keys[2].secretKey) };
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), prep]))).toBe('CERT_BAD_SIGNATURE');
    expect(code(buildCertificate(5, 1, hash, [seal(0), seal(1), seal(2)]))).toBe('CERT_BAD_SIGNATURE');
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), seal(2)]), { ...expected, height: 6 })).toBe('CERT_WRONG_BLOCK');
    expect(code(buildCertificate(5, 0, hash, [seal(0), seal(1), seal(2)]), { ...expected, chainId: 'other' })).toBe('CERT_BAD_SIGNATURE');
  });
});

describe('genesis', () => {
  const sealers = [0, 1, 2, 3].map((i) => ({ name: 's' + i, publicKey: toHex(keyPairFromLabel('sealer-' + i).publicKey), role: i === 0 ? 'proxy' : 'company' }));
  const json = { chainId: CHAIN, timestamp: 1_700_000_000_000, sealers, accounts: [{ name: 'a', address: alice.address, role: 'company', balance: 100 }], params: { viewTimeoutMs: 1000 } };

  it('parses, fills default params, and hashes deterministically', () => {
    const g = parseGenesis(json);
    expect(g.params.viewTimeoutMs).toBe(1000);
    expect(g.params.maxBlockTxs).toBe(DEFAULT_PARAMS.maxBlockTxs);
    expect(toHex(genesisHash(g))).toBe(toHex(genesisHash(parseGenesis(structuredClone(json)))));
    expect(genesisSealerSet(g).n).toBe(4);
    const b0 = genesisBlock(g, new Uint8Array(32));
    expect(b0.header.height).toBe(0);
    expect(toHex(b0.header.parentHash)).toBe(toHex(genesisHash(g)));
  });

  it('a different genesis has a different hash', () => {
    expect(toHex(genesisHash(parseGenesis({ ...json, timestamp: 1 })))).not.toBe(toHex(genesisHash(parseGenesis(json))));
  });

  it('refuses invalid genesis files with the reason', () => {
    const cases: [unknown, RegExp][] = [
      [null, /object/],
      [{ ...json, chainId: 'Bad Id' }, /chainId/],
      [{ ...json, timestamp: -1 }, /timestamp/],
      [{ ...json, sealers: [] }, /sealers/],
      [{ ...json, sealers: [{ ...sealers[0], publicKey: 'ab' }] }, /publicKey/],
      [{ ...json, sealers: [{ ...sealers[0], role: 'king' }] }, /role/],
      [{ ...json, sealers: [sealers[0], sealers[0]] }, /twice/],
      [{ ...json, accounts: [{ address: '0x12', role: 'user' }] }, /address/],
      [{ ...json, params: { nope: 1 } }, /params\.nope: not an option/],
      [{ ...json, sealer: [] }, /sealer: not an option; did you mean sealers\?/],
      [{ ...json, params: { viewTimeoutMs: 0 } }, /viewTimeoutMs/],
    ];
    for (const [j, re] of cases) expect(() => parseGenesis(j), String(re)).toThrow(re);
  });
});
