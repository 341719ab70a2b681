import { decodeVoucher, type Voucher } from '../domain/vouchers.ts';
import { fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import type { FlagReader } from './kind.ts';

/** The voucher format for clients (the SDK reaches domain code through the kinds layer: docs/ARCHITECTURE.md). */
export { signVoucher, encodeVoucher, decodeVoucher, type Voucher } from '../domain/vouchers.ts';

/** The voucher of a `--voucher <hex>` flag (CLI_BAD_ARGS on anything malformed). */
export function voucherFlag(f: FlagReader, name = 'voucher'): Voucher {
  const s = f.str(name);
  const b = fromHex(s);
  if (!b) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be hex (as 'edgechain channel voucher' prints it)`);
  const v = decodeVoucher(b);
  if (!v.ok) throw new EdgeError('CLI_BAD_ARGS', `--${name}: ${v.error}`);
  return v.value;
}

/** Bounds of a voucher's fields inside a claim or close. */
export function checkVoucherFields(channelId: number, amount: number, signature: Uint8Array): string | null {
  if (channelId < 1) return 'channel id must be >= 1';
  if (amount < 1) return 'voucher amount must be >= 1';
  if (signature.length !== 64) return 'voucher signature must be 64 bytes';
  return null;
}
