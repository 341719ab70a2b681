import { sign, verify, SIGNATURE_LENGTH } from '../crypto/keys.ts';
import { concatBytes, fromUtf8, readU64be, u64be, utf8 } from '../util/bytes.ts';

/**
 * Payment-channel vouchers (docs/PAYMENTS.md): the payer's promise of a cumulative amount on
 * one channel of one chain. Signed separately from transactions (its own domain tag and a
 * fixed layout, not a protobuf body), so a change of the tx sign bytes never touches them and
 * no voucher can be replayed as a tx or the other way round.
 *
 *   signed message = "edgechain/voucher/v1" (20 bytes ASCII)
 *                    || u8 len(chain id) || chain id (UTF-8, 1..64 bytes)
 *                    || u64be channel id || u64be cumulative amount
 *   voucher bytes  = 0x01 (version) || u8 len(chain id) || chain id
 *                    || u64be channel id || u64be cumulative amount || Ed25519 signature (64)
 */
export const VOUCHER_DOMAIN = utf8('edgechain/voucher/v1');
export const VOUCHER_VERSION = 0x01;

export interface Voucher {
  chainId: string;
  channelId: number;
  /** Cumulative amount owed on the channel. */
  amount: number;
  signature: Uint8Array;
}

function checkFields(chainId: string, channelId: number, amount: number): Uint8Array {
  const c = utf8(chainId);
  if (c.length < 1 || c.length > 64) throw new RangeError('voucher: chain id must be 1..64 bytes');
  if (!Number.isSafeInteger(channelId) || channelId < 1) throw new RangeError('voucher: channel id must be a positive safe integer');
  if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError('voucher: amount must be a positive safe integer');
  return c;
}

/** The bytes a payer signs for (chain id, channel id, cumulative amount). */
export function voucherSignBytes(chainId: string, channelId: number, amount: number): Uint8Array {
  const c = checkFields(chainId, channelId, amount);
  return concatBytes(VOUCHER_DOMAIN, new Uint8Array([c.length]), c, u64be(channelId), u64be(amount));
}

/** The payer's signature of a voucher (secret key = 32-byte Ed25519 seed). */
export function signVoucher(secretKey: Uint8Array, chainId: string, channelId: number, amount: number): Voucher {
  return { chainId, channelId, amount, signature: sign(voucherSignBytes(chainId, channelId, amount), secretKey) };
}

/** Whether `signature` is the holder of `publicKey`'s over (chain id, channel id, amount). Never throws. */
export function voucherSignatureValid(publicKey: Uint8Array, chainId: string, channelId: number, amount: number, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  let msg: Uint8Array;
  try {
    msg = voucherSignBytes(chainId, channelId, amount);
  } catch {
    return false;
  }
  return verify(signature, msg, publicKey);
}

export function encodeVoucher(v: Voucher): Uint8Array {
  const c = checkFields(v.chainId, v.channelId, v.amount);
  if (v.signature.length !== SIGNATURE_LENGTH) throw new RangeError('voucher: signature must be 64 bytes');
  return concatBytes(new Uint8Array([VOUCHER_VERSION, c.length]), c, u64be(v.channelId), u64be(v.amount), v.signature);
}

/** Parses voucher bytes; a reason on anything malformed (never throws). */
export function decodeVoucher(b: Uint8Array): { ok: true; value: Voucher } | { ok: false; error: string } {
  if (b.length < 2) return { ok: false, error: 'voucher too short' };
  if (b[0] !== VOUCHER_VERSION) return { ok: false, error: `unknown voucher version ${b[0]}` };
  const len = b[1];
  if (len < 1 || len > 64) return { ok: false, error: 'voucher chain id must be 1..64 bytes' };
  if (b.length !== 2 + len + 16 + SIGNATURE_LENGTH) return { ok: false, error: `voucher must be ${2 + len + 16 + SIGNATURE_LENGTH} bytes, got ${b.length}` };
  const chainId = fromUtf8(b.subarray(2, 2 + len));
  if (chainId === null) return { ok: false, error: 'voucher chain id is not UTF-8' };
  const channelId = readU64be(b, 2 + len);
  const amount = readU64be(b, 10 + len);
  if (!Number.isSafeInteger(channelId) || channelId < 1) return { ok: false, error: 'voucher channel id must be 1..2^53-1' };
  if (!Number.isSafeInteger(amount) || amount < 1) return { ok: false, error: 'voucher amount must be 1..2^53-1' };
  return { ok: true, value: { chainId, channelId, amount, signature: b.slice(18 + len) } };
}
