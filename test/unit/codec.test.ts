import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  TxCodec, TxBodyCodec, BlockCodec, BlockHeaderCodec, CommitCertificateCodec, ReceiptCodec, GenesisCodec, FinalizedBlockCodec,
  messageCodec, type TxBody,
} from '../../src/codec/index.ts';
import { ownBytes } from '../../src/codec/codec.ts';
import { StateAccountCodec } from '../../src/codec/state.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, ConsensusWalRecordCodec } from '../../src/codec/consensus.ts';
import { TxBatchCodec, StatusRequestCodec, StatusResponseCodec, BlocksRequestCodec, BlocksResponseCodec } from '../../src/codec/p2p.ts';
import { toHex } from '../../src/util/bytes.ts';

const ALL = [
  TxCodec, TxBodyCodec, BlockCodec, BlockHeaderCodec, CommitCertificateCodec, ReceiptCodec, GenesisCodec, FinalizedBlockCodec,
  // what peers send: consensus messages, their payloads, the WAL, tx batches, the sync protocols
  ConsensusMessageCodec, ConsensusPayloadCodec, ConsensusWalRecordCodec, TxBatchCodec,
  StatusRequestCodec, StatusResponseCodec, BlocksRequestCodec, BlocksResponseCodec,
];

const body: TxBody = {
  chainId: 'edgechain-test',
  nonce: 7,
  edgeMatch: { lat: -37_813_600, lon: 144_963_100, taskType: 'video', demand: 2, maxPrice: 2 ** 40, durationS: 3600 },
};

describe('codec round trips', () => {
  it('TxBody encodes and decodes every field, with its oneof kind', () => {
    const bytes = TxBodyCodec.encode(body);
    const r = TxBodyCodec.decode(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.kind).toBe('edgeMatch');
    expect(r.value.nonce).toBe(7);
    expect(r.value.edgeMatch).toMatchObject(body.edgeMatch!);
    expect(toHex(TxBodyCodec.encode(r.value))).toBe(toHex(bytes));
  });
  it('64-bit fields up to 2^53-1 round trip exactly; larger ones are refused', () => {
    const max = { ...body, nonce: Number.MAX_SAFE_INTEGER };
    const r = TxBodyCodec.decode(TxBodyCodec.encode(max));
    expect(r.ok && r.value.nonce).toBe(Number.MAX_SAFE_INTEGER);
    // nonce = 2^60, written by hand as a varint: field 2, wire type 0
    const big = Uint8Array.from([0x0a, 0x01, 0x61, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x82, 0x01, 0x00]);
    const rb = TxBodyCodec.decode(big);
    expect(!rb.ok && rb.error.code).toBe('CODEC_INVALID');
    // 2^53 + 1 is not representable: it decodes imprecisely and fails the round trip
    const b = TxBodyCodec.encode({ ...body, nonce: 2 ** 53 });
    const i = b.indexOf(0x10) + 1;
    b[i] += 1; // lowest varint byte: 2^53 -> 2^53 + 1
    expect(TxBodyCodec.decode(b).ok).toBe(false);
  });
  it('a body without a transaction kind is invalid', () => {
    const r = TxBodyCodec.decode(TxBodyCodec.encode({ chainId: 'x', nonce: 1 }));
    expect(!r.ok && r.error.code).toBe('CODEC_INVALID');
  });
  it('rejects unknown fields and unknown oneof kinds as non-canonical', () => {
    const bytes = TxBodyCodec.encode(body);
    // append field 9 (unknown), length-delimited, empty
    const withUnknown = Uint8Array.from([...bytes, (9 << 3) | 2, 0]);
    const r = TxBodyCodec.decode(withUnknown);
    expect(!r.ok && r.error.code).toBe('CODEC_NON_CANONICAL');
  });
  it('checks the size before parsing', () => {
    const small = messageCodec<TxBody>('TxBody', { maxBytes: 10 });
    const r = small.decode(TxBodyCodec.encode(body));
    expect(!r.ok && r.error.code).toBe('CODEC_TOO_LARGE');
  });
  it('rejects non-bytes input', () => {
    for (const v of [null, undefined, 'abc', 42, {}, [1, 2]]) {
      const r = TxCodec.decode(v);
      expect(!r.ok && r.error.code).toBe('CODEC_NOT_BYTES');
    }
  });
});

describe('codec on garbage (fuzz)', () => {
  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        for (const c of ALL) {
          const r = c.decode(b);
          expect(typeof r.ok).toBe('boolean');
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
  it('never throws on mutations of valid encodings, and accepted mutations re-encode to themselves', () => {
    const sig = new Uint8Array(64).fill(7);
    const hash = new Uint8Array(32).fill(9);
    const valids: [string, { encode(v: never): Uint8Array; decode(b: Uint8Array): { ok: boolean; value?: unknown } }, Uint8Array][] = [
      ['TxBody', TxBodyCodec as never, TxBodyCodec.encode(body)],
      ['ConsensusPayload', ConsensusPayloadCodec as never, ConsensusPayloadCodec.encode({ prepare: { height: 12, view: 1, blockHash: hash } } as never)],
      ['ConsensusMessage', ConsensusMessageCodec as never, ConsensusMessageCodec.encode({ payload: new Uint8Array([1, 2, 3]), sender: 2, signature: sig, block: new Uint8Array(0) })],
      ['TxBatch', TxBatchCodec as never, TxBatchCodec.encode({ txs: [TxCodec.encode({ body: TxBodyCodec.encode(body), signature: sig, publicKey: hash }), new Uint8Array([5, 6])] })],
    ];
    for (const [name, codec, valid] of valids) {
      expect(codec.decode(valid).ok, `${name}: the valid encoding decodes`).toBe(true);
      const pristine = toHex(valid);
      const verdicts = { accepted: 0, refused: 0 };
      fc.assert(
        // half the mutations keep the full length (a byte changed), half also cut the tail
        fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.oneof(fc.constant(valid.length), fc.nat(valid.length)), (pos, v, cut) => {
          // a copy: encode() returns a Node Buffer, whose slice() is a view (mutating it mutated `valid`)
          const m = new Uint8Array(valid.subarray(0, Math.max(cut, pos + 1)));
          m[pos] = v;
          const r = codec.decode(m);
          verdicts[r.ok ? 'accepted' : 'refused']++;
          // accepted or not, re-encoding what was accepted gives the same bytes (canonical), and a refusal is a value
          expect(r.ok ? toHex(codec.encode(r.value as never)) : 'refused').toBe(r.ok ? toHex(m) : 'refused');
        }),
        { numRuns: 1500 },
      );
      expect(toHex(valid), `${name}: the valid encoding was not touched`).toBe(pristine);
      expect(verdicts.accepted, `${name}: some mutations are still valid`).toBeGreaterThan(0);
      expect(verdicts.refused, `${name}: some mutations are refused`).toBeGreaterThan(0);
    }
  });
  it('rejects huge declared lengths without allocating or hanging', () => {
    // field 1 (bytes) declaring a 2^31 byte length
    const r = TxCodec.decode(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3]));
    expect(!r.ok && r.error.code).toBe('CODEC_MALFORMED');
  });
});

describe('encoded bytes own their memory (docs/PERFORMANCE.md "Memory: the soak")', () => {
  it('a small message is not a slice of a shared allocation pool (a stored value would keep the pool block alive)', () => {
    const a = StateAccountCodec.encode({ nonce: 1, balance: 5, role: 0 });
    const b = StateAccountCodec.encode({ nonce: 2, balance: 6, role: 0 });
    for (const x of [a, b]) {
      expect(x.byteOffset).toBe(0);
      expect(x.buffer.byteLength).toBe(x.byteLength);
    }
    expect(a.buffer).not.toBe(b.buffer);
    const back = StateAccountCodec.decode(a);
    expect(back.ok && { nonce: Number(back.value.nonce), balance: Number(back.value.balance) }).toEqual({ nonce: 1, balance: 5 });
  });
  it('ownBytes copies a slice out and keeps an array that already owns its buffer', () => {
    const pool = new Uint8Array(1024).map((_, i) => i & 255);
    const slice = pool.subarray(10, 20);
    const own = ownBytes(slice);
    expect(own).toEqual(slice);
    expect(own.buffer).not.toBe(pool.buffer);
    expect(own.buffer.byteLength).toBe(10);
    const whole = new Uint8Array(7);
    expect(ownBytes(whole)).toBe(whole);
  });
});
