import { signVoucher, encodeVoucher } from '../../src/domain/vouchers.ts';
import { toHex } from '../../src/util/bytes.ts';
import { CHAIN, key } from '../state/helpers.ts';
import { P, PAID_GENESIS, chain } from './harness.ts';

/** A voucher of `payer` (label) for channel `id`, cumulative `amount`, on the test chain (or `chainId`). */
export function voucher(payer: string, id: number, amount: number, chainId = CHAIN) {
  return signVoucher(key(payer).secretKey, chainId, id, amount);
}

export const voucherHex = (payer: string, id: number, amount: number, chainId = CHAIN) => toHex(encodeVoucher(voucher(payer, id, amount, chainId)));

/** A paid chain where alice (balance 100) opened channel 1 to acme with `deposit`, expiring in `expiresS` s. */
export function withChannel(deposit = 60, expiresS = 100, params = {}) {
  const c = chain(PAID_GENESIS({ settleWindowS: 10, ...params }));
  const r = c.block(['alice', P.open('acme', deposit, expiresS)]);
  return { c, opened: r, openedAt: c.time };
}
