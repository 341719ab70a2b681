import { decodeVoucher, encodeVoucher, signVoucher, type Voucher } from '../kinds/vouchers.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import type { Account, Receipt, SendOptions } from './account.ts';
import type { RpcResult } from './api.ts';
import { tx } from './builders.ts';
import type { Client } from './client.ts';

/**
 * Payment-channel vouchers in the SDK (docs/SDK.md, docs/PAYMENTS.md): the payer signs
 * cumulative vouchers off-chain, the payee checks each with the node (`verifyVoucher`), keeps
 * the best and claims it on chain. The format is the one of src/domain/vouchers.ts (through
 * src/kinds/vouchers.ts: the SDK does not import domain code directly).
 */
export { signVoucher, type Voucher };

/** What the node says of a voucher (`verifyVoucher`): valid now, and what a claim would pay. */
export type VoucherCheck = RpcResult<'verifyVoucher'>;

/** A voucher's bytes as 0x-hex (what a payer hands to the payee; `edgechain channel voucher` prints the same). */
export function voucherToHex(v: Voucher): string {
  return toHex(encodeVoucher(v), true);
}

/** Parses a voucher's hex; a RangeError with the reason if it is malformed. */
export function voucherFromHex(hex: string): Voucher {
  const b = fromHex(hex);
  if (!b) throw new RangeError('voucher: not hex');
  const d = decodeVoucher(b);
  if (!d.ok) throw new RangeError(`voucher: ${d.error}`);
  return d.value;
}

/** The node's check of a voucher against its committed state (the claim's checks, without a tx). */
export function verifyVoucher(client: Client, voucher: Voucher | string): Promise<VoucherCheck> {
  return client.rpc.verifyVoucher(typeof voucher === 'string' ? voucher : voucherToHex(voucher));
}

const addressBytes = (address: string): Uint8Array => {
  const b = fromHex(address.replace(/^0x/i, ''));
  if (!b || b.length !== 20) throw new RangeError(`not a 20-byte address: ${address}`);
  return b;
};

/**
 * The payer's side of one channel: each `pay(n)` signs a voucher for n more than the last
 * (vouchers are cumulative: the payee needs only the latest). No tx per payment.
 */
export class ChannelPayer {
  readonly account: Account;
  readonly chainId: string;
  readonly channelId: number;
  private total: number;

  /** A channel this account already opened; `promised` = the cumulative amount of its last voucher. */
  constructor(account: Account, chainId: string, channelId: number, promised = 0) {
    this.account = account;
    this.chainId = chainId;
    this.channelId = channelId;
    this.total = promised;
  }

  /** Opens a channel to `payee` (locks `deposit` for `expiresInS` s of block time); throws with the reason if refused. */
  static async open(account: Account, payee: string, deposit: number, expiresInS: number, opts: SendOptions = {}): Promise<ChannelPayer> {
    const r = await account.sendAndWait(tx.channelOpen({ payee: addressBytes(payee), deposit, expiresInS }), opts);
    if (r.status !== 0 || !r.channel) throw new Error(`channel open refused: ${r.statusText} ${r.reason}`);
    const { chainId } = await account.client.rpc.getChainInfo();
    return new ChannelPayer(account, chainId, Number(r.channel.channelId));
  }

  /** The cumulative amount promised so far. */
  get promised(): number {
    return this.total;
  }

  /** Signs a voucher for `amount` more than the last one; its hex, to hand to the payee. */
  pay(amount: number): string {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError('pay: amount must be a positive integer');
    const v = signVoucher(this.account.key.secretKey, this.chainId, this.channelId, this.total + amount);
    this.total += amount;
    return voucherToHex(v);
  }
}

export interface VoucherAccepted {
  accepted: boolean;
  /** How much more than the best voucher held before this one promises (0 if refused). */
  increment: number;
  /** What a claim of it would pay now (amount − claimed on chain), as the node computed it. */
  pays: number;
  /** Why it was refused ('' if accepted). */
  reason: string;
}

/**
 * The payee's side of one channel: `accept` checks each voucher the payer sends (format, this
 * channel, then the node's `verifyVoucher`: the payer's signature over this chain and channel,
 * more than claimed, within the deposit) and keeps the best; `claim` redeems it on chain.
 * A payee must claim before the channel's `expiresAt` (docs/PAYMENTS.md).
 */
export class ChannelPayee {
  readonly account: Account;
  readonly channelId: number;
  private held: Voucher | null = null;
  private claimed = 0;

  constructor(account: Account, channelId: number) {
    this.account = account;
    this.channelId = channelId;
  }

  /** The best voucher held (the highest cumulative amount), or null. */
  get best(): Voucher | null {
    return this.held;
  }

  async accept(voucher: Voucher | string): Promise<VoucherAccepted> {
    const refuse = (reason: string): VoucherAccepted => ({ accepted: false, increment: 0, pays: 0, reason });
    let v: Voucher;
    try {
      v = typeof voucher === 'string' ? voucherFromHex(voucher) : voucher;
    } catch (e) {
      return refuse((e as Error).message);
    }
    if (v.channelId !== this.channelId) return refuse(`voucher is for channel ${v.channelId}, not ${this.channelId}`);
    const prev = this.held?.amount ?? 0;
    if (v.amount <= prev) return refuse(`voucher promises ${v.amount}, not more than the ${prev} already held`);
    const check = await verifyVoucher(this.account.client, v);
    if (!check.valid) return refuse(`${check.statusText}: ${check.reason}`);
    this.held = v;
    return { accepted: true, increment: v.amount - prev, pays: check.pays, reason: '' };
  }

  /** Claims the best voucher held; null if there is none or it was claimed already. The receipt says what it paid (`channel.paid`). */
  async claim(opts: SendOptions = {}): Promise<(Receipt & { busyRetries: number }) | null> {
    const v = this.held;
    if (!v || v.amount <= this.claimed) return null;
    const r = await this.account.sendAndWait(tx.channelClaim({ channelId: this.channelId, amount: v.amount, signature: v.signature }), opts);
    if (r.status === 0) this.claimed = v.amount;
    return r;
  }

  /** Closes the channel, with the best voucher not yet claimed as the final claim; the rest of the deposit goes back to the payer. */
  async close(opts: SendOptions = {}): Promise<Receipt & { busyRetries: number }> {
    const v = this.held && this.held.amount > this.claimed ? this.held : null;
    const r = await this.account.sendAndWait(tx.channelClose({ channelId: this.channelId, amount: v?.amount ?? 0, signature: v?.signature ?? new Uint8Array(0) }), opts);
    if (r.status === 0 && v) this.claimed = v.amount;
    return r;
  }
}
