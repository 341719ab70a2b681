import type { ChannelResult } from '../codec/types.ts';
import { StateChannelCodec, type StateChannel } from '../codec/state.ts';
import { toHex } from '../util/bytes.ts';
import type { Accounts } from './accounts.ts';
import { addrBytes, addrHex, normAddr } from './address.ts';
import type { Counters } from './counters.ts';
import { Counter, KeyPrefix, channelIdOfKey, channelKey } from './keys.ts';
import type { BlockEnv } from './leases.ts';
import { ReceiptStatus, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';
import { voucherSignatureValid } from './vouchers.ts';

export type ChannelStatus = 'open' | 'closing' | 'closed';
const CH_CODE: Record<ChannelStatus, number> = { open: 1, closing: 2, closed: 3 };
const CH_OF_CODE: Record<number, ChannelStatus> = { 1: 'open', 2: 'closing', 3: 'closed' };

export interface ChannelRec {
  readonly id: number;
  readonly payer: string;
  readonly payerKey: Uint8Array;
  readonly payee: string;
  readonly deposit: number;
  readonly claimed: number;
  /** ms of block time. */
  readonly expiresAt: number;
  readonly status: ChannelStatus;
  /** ms of block time from which a payer's close may be refunded (closing), else 0. */
  readonly settleAt: number;
  readonly openedAt: number;
  readonly closedAt: number;
  readonly refunded: number;
  readonly lastClaimAt: number;
}

export interface ChannelView {
  id: number;
  payer: string;
  payerKey: string;
  payee: string;
  deposit: number;
  claimed: number;
  /** deposit − claimed while not closed; 0 once closed. */
  remaining: number;
  expiresAt: number;
  status: ChannelStatus;
  settleAt: number;
  openedAt: number;
  closedAt: number;
  refunded: number;
  lastClaimAt: number;
}

/** What a voucher would do on a channel now (verifyVoucher, and the claim's checks). */
export interface VoucherVerdict {
  valid: boolean;
  /** The receipt status a claim with it would get (0 = it would pay). */
  status: number;
  reason: string;
  /** What a claim would move to the payee now (amount − claimed), 0 if invalid. */
  pays: number;
}

/**
 * Uni-directional payment channels (prefix 0x07 || u64be id; docs/PAYMENTS.md): the payer
 * locks a deposit; the payee redeems the payer's signed vouchers of a cumulative amount, each
 * higher than the last; the payee closes at once, the payer through a settle window; the payer
 * takes back what was never claimed after expiry or the window.
 */
export class Channels {
  private readonly accounts: Accounts;
  private readonly counters: Counters;
  private readonly chainId: string;

  readonly table = new Table<number, ChannelRec, StateChannel>({
    name: 'channel',
    prefix: KeyPrefix.CHANNEL,
    key: (id) => channelKey(id),
    rowKey: (key) => (key.length === 9 ? channelIdOfKey(key) : null),
    codec: StateChannelCodec,
    toProto: (c) => ({ ...c, payer: addrBytes(c.payer), payee: addrBytes(c.payee), status: CH_CODE[c.status] }),
    checkStored: (m, id) => (m.id === id ? null : 'channel key does not match its id'),
    fromProto: (m) => ({ ...m, payer: addrHex(m.payer), payee: addrHex(m.payee), status: CH_OF_CODE[m.status] }),
  });

  constructor(opts: { chainId: string }, modules: { accounts: Accounts; counters: Counters }) {
    this.chainId = opts.chainId;
    this.accounts = modules.accounts;
    this.counters = modules.counters;
  }

  open(env: BlockEnv, payer: string, payerKey: Uint8Array, payee: string, deposit: number, expiresInS: number): TxOutcome {
    if (payee === payer) return fail(ReceiptStatus.SELF_CHANNEL, 'a channel needs a payee other than the payer');
    if (!this.accounts.debit(payer, deposit)) return fail(ReceiptStatus.INSUFFICIENT_FUNDS, `deposit ${deposit} exceeds the balance ${this.accounts.get(payer).balance}`);
    const id = this.counters.get(Counter.LAST_CHANNEL_ID) + 1;
    this.counters.set(Counter.LAST_CHANNEL_ID, id);
    const c: ChannelRec = {
      id,
      payer,
      payerKey: new Uint8Array(payerKey),
      payee,
      deposit,
      claimed: 0,
      expiresAt: env.time + expiresInS * 1000,
      status: 'open',
      settleAt: 0,
      openedAt: env.height,
      closedAt: 0,
      refunded: 0,
      lastClaimAt: 0,
    };
    this.table.set(id, c);
    return ok(c, 0, 0);
  }

  topUp(env: BlockEnv, sender: string, id: number, amount: number): TxOutcome {
    const c = this.table.get(id);
    if (!c) return unknown(id);
    if (sender !== c.payer) return fail(ReceiptStatus.NOT_PAYER, `only the payer ${c.payer} may top up channel ${id}`);
    if (c.status === 'closed') return closed(c);
    if (c.status === 'closing' || env.time >= c.expiresAt) return fail(ReceiptStatus.CHANNEL_EXPIRED, `channel ${id} is ${c.status === 'closing' ? 'closing' : 'expired'}`);
    if (c.deposit + amount > Number.MAX_SAFE_INTEGER) return fail(ReceiptStatus.INSUFFICIENT_FUNDS, 'deposit would exceed 2^53 - 1');
    if (!this.accounts.debit(sender, amount)) return fail(ReceiptStatus.INSUFFICIENT_FUNDS, `top-up ${amount} exceeds the balance ${this.accounts.get(sender).balance}`);
    const next = { ...c, deposit: c.deposit + amount };
    this.table.set(id, next);
    return ok(next, 0, 0);
  }

  /** The checks of a voucher against a channel as last executed (no state change). */
  checkVoucher(c: ChannelRec | undefined, id: number, amount: number, signature: Uint8Array): VoucherVerdict {
    const no = (status: number, reason: string): VoucherVerdict => ({ valid: false, status, reason, pays: 0 });
    if (!c) return no(ReceiptStatus.UNKNOWN_CHANNEL, `unknown channel ${id}`);
    if (c.status === 'closed') return no(ReceiptStatus.CHANNEL_CLOSED, `channel ${id} is closed`);
    if (!voucherSignatureValid(c.payerKey, this.chainId, id, amount, signature)) {
      return no(ReceiptStatus.BAD_VOUCHER, `voucher is not signed by the payer ${c.payer} over (chain "${this.chainId}", channel ${id}, amount ${amount})`);
    }
    if (amount <= c.claimed) return no(ReceiptStatus.STALE_VOUCHER, `voucher amount ${amount} does not exceed the ${c.claimed} already claimed`);
    if (amount > c.deposit) return no(ReceiptStatus.VOUCHER_OVER_DEPOSIT, `voucher amount ${amount} exceeds the deposit ${c.deposit}`);
    return { valid: true, status: ReceiptStatus.OK, reason: '', pays: amount - c.claimed };
  }

  claim(env: BlockEnv, sender: string, id: number, amount: number, signature: Uint8Array): TxOutcome {
    const c = this.table.get(id);
    if (!c) return unknown(id);
    if (sender !== c.payee) return fail(ReceiptStatus.NOT_PAYEE, `only the payee ${c.payee} may claim on channel ${id}`);
    const v = this.checkVoucher(c, id, amount, signature);
    if (!v.valid) return fail(v.status as ReceiptStatus, v.reason);
    this.accounts.credit(c.payee, v.pays);
    const next = { ...c, claimed: amount, lastClaimAt: env.height };
    this.table.set(id, next);
    return ok(next, v.pays, 0);
  }

  /**
   * The payee closes at once (after an optional final voucher, `amount` 0 = none): the rest of
   * the deposit goes back to the payer. The payer starts the settle window instead.
   */
  close(env: BlockEnv, sender: string, id: number, amount: number, signature: Uint8Array): TxOutcome {
    const c = this.table.get(id);
    if (!c) return unknown(id);
    if (c.status === 'closed') return closed(c);
    if (sender === c.payee) {
      let cur = c;
      let paid = 0;
      if (amount > 0 || signature.length > 0) {
        const v = this.checkVoucher(c, id, amount, signature);
        if (!v.valid) return fail(v.status as ReceiptStatus, v.reason);
        paid = v.pays;
        this.accounts.credit(c.payee, paid);
        cur = { ...c, claimed: amount, lastClaimAt: env.height };
      }
      return this.finish(env, cur, paid);
    }
    if (sender !== c.payer) return fail(ReceiptStatus.NOT_PAYER, `only the payer or the payee may close channel ${id}`);
    if (amount > 0 || signature.length > 0) return fail(ReceiptStatus.BAD_VOUCHER, 'the payer closes without a voucher (only the payee redeems vouchers)');
    if (c.status === 'closing') return fail(ReceiptStatus.CHANNEL_CLOSING, `channel ${id} is already closing (refund from ${c.settleAt})`);
    const next: ChannelRec = { ...c, status: 'closing', settleAt: env.time + env.params.settleWindowS * 1000 };
    this.table.set(id, next);
    return ok(next, 0, 0);
  }

  /** The payer takes back deposit − claimed after expiry, or after the settle window of its close. */
  refund(env: BlockEnv, sender: string, id: number): TxOutcome {
    const c = this.table.get(id);
    if (!c) return unknown(id);
    if (sender !== c.payer) return fail(ReceiptStatus.NOT_PAYER, `only the payer ${c.payer} may take the refund of channel ${id}`);
    if (c.status === 'closed') return closed(c);
    const due = c.status === 'closing' ? Math.min(c.settleAt, c.expiresAt) : c.expiresAt;
    if (env.time < due) return fail(ReceiptStatus.CHANNEL_NOT_EXPIRED, `channel ${id} can be refunded from block time ${due} (now ${env.time})`);
    return this.finish(env, c, 0);
  }

  private finish(env: BlockEnv, c: ChannelRec, paid: number): TxOutcome {
    const rest = c.deposit - c.claimed;
    this.accounts.credit(c.payer, rest);
    const next: ChannelRec = { ...c, status: 'closed', closedAt: env.height, refunded: rest };
    this.table.set(c.id, next);
    return ok(next, paid, rest);
  }

  /** Tokens locked in channels not yet closed (the channel part of total supply; a scan). */
  escrowed(): number {
    let sum = 0;
    for (const c of this.table.values()) if (c.status !== 'closed') sum += c.deposit - c.claimed;
    return sum;
  }

  // ------------------------------------------------------------ committed state (queries)

  committed(id: number): ChannelRec | undefined {
    return this.table.committed(id);
  }

  view(id: number): ChannelView | null {
    const c = this.table.committed(id);
    return c ? channelView(c) : null;
  }

  /** Channels ever opened (= the last channel id). */
  get count(): number {
    return this.counters.committed(Counter.LAST_CHANNEL_ID);
  }

  /** Channels newest first, optionally only those where `address` is payer or payee. */
  list(opts: { address?: string; status?: ChannelStatus; offset?: number; limit?: number } = {}): { total: number; channels: ChannelView[] } {
    const addr = opts.address !== undefined ? normAddr(opts.address) : undefined;
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = Math.max(0, opts.limit ?? 100);
    const out: ChannelView[] = [];
    let total = 0;
    for (let id = this.count; id >= 1; id--) {
      const c = this.table.committed(id);
      if (!c) continue;
      if (addr && c.payer !== addr && c.payee !== addr) continue;
      if (opts.status && c.status !== opts.status) continue;
      if (total >= offset && out.length < limit) out.push(channelView(c));
      total++;
    }
    return { total, channels: out };
  }
}

function channelView(c: ChannelRec): ChannelView {
  return { ...c, payerKey: toHex(c.payerKey), remaining: c.status === 'closed' ? 0 : c.deposit - c.claimed };
}

function ok(c: ChannelRec, paid: number, refunded: number): TxOutcome {
  const channel: ChannelResult = { channelId: c.id, paid, refunded, claimed: c.claimed, deposit: c.deposit };
  return { status: ReceiptStatus.OK, reason: '', channel };
}

const unknown = (id: number): TxOutcome => fail(ReceiptStatus.UNKNOWN_CHANNEL, `unknown channel ${id}`);
const closed = (c: ChannelRec): TxOutcome => fail(ReceiptStatus.CHANNEL_CLOSED, `channel ${c.id} is closed (at height ${c.closedAt})`);
