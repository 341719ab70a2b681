import { describe, it, expect } from 'vitest';
import { keyPairFromLabel, verify } from '../../src/crypto/keys.ts';
import { decodeVoucher, encodeVoucher, signVoucher, voucherSignBytes, voucherSignatureValid } from '../../src/domain/vouchers.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';

describe('vouchers (docs/PAYMENTS.md, byte for byte)', () => {
  const k = keyPairFromLabel('voucher-payer');

  it('signs "edgechain/voucher/v1" || u8 len || chain id || u64be channel || u64be amount', () => {
    const m = voucherSignBytes('edge', 258, 1_000_001);
    expect(toHex(m)).toBe(toHex(utf8('edgechain/voucher/v1')) + '04' + toHex(utf8('edge')) + '0000000000000102' + '00000000000f4241');
    const v = signVoucher(k.secretKey, 'edge', 258, 1_000_001);
    expect(verify(v.signature, m, k.publicKey)).toBe(true);
  });

  it('encodes 0x01 || u8 len || chain id || u64be channel || u64be amount || signature(64), and decodes it back', () => {
    const v = signVoucher(k.secretKey, 'edge', 258, 1_000_001);
    const b = encodeVoucher(v);
    expect(b.length).toBe(2 + 4 + 16 + 64);
    expect(toHex(b.subarray(0, 22))).toBe('0104' + toHex(utf8('edge')) + '0000000000000102' + '00000000000f4241');
    expect(toHex(b.subarray(22))).toBe(toHex(v.signature));
    const d = decodeVoucher(b);
    expect(d.ok && d.value).toEqual(v);
  });

  it('refuses malformed bytes with a reason, never throws', () => {
    const b = encodeVoucher(signVoucher(k.secretKey, 'edge', 1, 1));
    expect(decodeVoucher(new Uint8Array(0))).toMatchObject({ ok: false, error: /too short/ });
    expect(decodeVoucher(Uint8Array.from([2, ...b.subarray(1)]))).toMatchObject({ ok: false, error: /version/ });
    expect(decodeVoucher(b.subarray(0, b.length - 1))).toMatchObject({ ok: false, error: /must be 86 bytes/ });
    const zero = Uint8Array.from(b);
    zero.fill(0, 6, 14); // channel id 0
    expect(decodeVoucher(zero)).toMatchObject({ ok: false, error: /channel id/ });
    const huge = Uint8Array.from(b);
    huge.fill(0xff, 14, 22); // amount 2^64 - 1
    expect(decodeVoucher(huge)).toMatchObject({ ok: false, error: /amount/ });
  });

  it('a signature is bound to its chain, channel, amount and signer', () => {
    const v = signVoucher(k.secretKey, 'edge', 7, 50);
    expect(voucherSignatureValid(k.publicKey, 'edge', 7, 50, v.signature)).toBe(true);
    expect(voucherSignatureValid(k.publicKey, 'edgf', 7, 50, v.signature)).toBe(false);
    expect(voucherSignatureValid(k.publicKey, 'edge', 8, 50, v.signature)).toBe(false);
    expect(voucherSignatureValid(k.publicKey, 'edge', 7, 51, v.signature)).toBe(false);
    expect(voucherSignatureValid(keyPairFromLabel('other').publicKey, 'edge', 7, 50, v.signature)).toBe(false);
    expect(voucherSignatureValid(k.publicKey, 'edge', 7, 50, v.signature.subarray(1))).toBe(false);
  });

  it('voucher and tx sign bytes never coincide (different domain tags)', () => {
    // tx sign bytes start with "edgechain/tx/" (chain/tx.ts); a voucher's differ from byte 10 on
    const vm = voucherSignBytes('edge', 1, 1);
    const tag = utf8('edgechain/tx/');
    expect(toHex(vm.subarray(0, tag.length))).not.toBe(toHex(tag));
  });
});
