import type { GenesisAccount } from '../codec/types.ts';
import { StateAccountCodec, type StateAccount } from '../codec/state.ts';
import { addrBytes, addrHex, normAddr } from './address.ts';
import { KeyPrefix, accountKey } from './keys.ts';
import { ReceiptStatus, OK, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

export type AccountRole = 'user' | 'proxy' | 'company';
const ROLE_CODE: Record<AccountRole, number> = { user: 0, proxy: 1, company: 2 };
const ROLE_OF_CODE: AccountRole[] = ['user', 'proxy', 'company'];

export interface AccountRec {
  readonly nonce: number;
  readonly balance: number;
  readonly role: AccountRole;
}

export interface AccountView {
  address: string;
  nonce: number;
  balance: number;
  role: AccountRole;
}

const EMPTY: AccountRec = { nonce: 0, balance: 0, role: 'user' };

/** Accounts: nonce, balance and genesis role per address (table prefix 0x01). */
export class Accounts {
  readonly table = new Table<string, AccountRec, StateAccount>({
    name: 'account',
    prefix: KeyPrefix.ACCOUNT,
    key: (a) => accountKey(addrBytes(a)),
    rowKey: (key) => (key.length === 21 ? addrHex(key.subarray(1)) : null),
    codec: StateAccountCodec,
    toProto: (a) => ({ nonce: a.nonce, balance: a.balance, role: ROLE_CODE[a.role] }),
    fromProto: (m) => ({ nonce: m.nonce, balance: m.balance, role: ROLE_OF_CODE[m.role] }),
  });

  /** The genesis accounts (inside the genesis execution); an unknown role reads as 'user'. */
  genesis(accounts: readonly GenesisAccount[]): void {
    for (const a of accounts) {
      const role = (ROLE_CODE as Record<string, number>)[a.role] !== undefined ? (a.role as AccountRole) : 'user';
      this.table.set(addrHex(a.address), { nonce: 0, balance: a.balance, role });
    }
  }

  /** The account as last executed (an unknown address is an empty user account). */
  get(address: string): AccountRec {
    return this.table.get(address) ?? EMPTY;
  }

  /** Consumes the sender's nonce (every executed tx, whatever its outcome). */
  bumpNonce(address: string): void {
    const a = this.get(address);
    this.table.set(address, { nonce: a.nonce + 1, balance: a.balance, role: a.role });
  }

  /** Takes `amount` from an account (escrow of a lease or channel); false (nothing changed) if the balance is short. */
  debit(address: string, amount: number): boolean {
    if (amount === 0) return true;
    const a = this.get(address);
    if (amount > a.balance) return false;
    this.table.set(address, { ...a, balance: a.balance - amount });
    return true;
  }

  /**
   * Adds `amount` to an account (an escrow paid out); 0 touches nothing. Total supply is at most
   * 2^53 − 1 (parseGenesis) and conserved, so a credit of escrowed tokens cannot overflow.
   */
  credit(address: string, amount: number): void {
    if (amount === 0) return;
    const a = this.get(address);
    this.table.set(address, { ...a, balance: a.balance + amount });
  }

  /** Sum of every balance as last executed (tests and the supply check; a scan). */
  totalBalances(): number {
    let sum = 0;
    for (const a of this.table.values()) sum += a.balance;
    return sum;
  }

  roleOf(address: string): AccountRole {
    return this.get(address).role;
  }

  /** Moves `amount` from `from` to `to`; a transfer to oneself succeeds and changes nothing. */
  transfer(from: string, to: string, amount: number): TxOutcome {
    const src = this.get(from);
    if (amount > src.balance) return fail(ReceiptStatus.INSUFFICIENT_BALANCE, `balance ${src.balance} is below ${amount}`);
    if (to === from) return OK;
    const dest = this.get(to);
    if (dest.balance + amount > Number.MAX_SAFE_INTEGER) return fail(ReceiptStatus.BALANCE_OVERFLOW, 'recipient balance would exceed 2^53 - 1');
    this.table.set(from, { ...src, balance: src.balance - amount });
    this.table.set(to, { ...dest, balance: dest.balance + amount });
    return OK;
  }

  // ------------------------------------------------------------ committed state (queries)

  private committed(address: string): AccountRec | undefined {
    return this.table.committed(normAddr(address));
  }

  view(address: string): AccountView {
    const a = normAddr(address);
    const r = this.table.committed(a);
    return { address: a, nonce: r?.nonce ?? 0, balance: r?.balance ?? 0, role: r?.role ?? 'user' };
  }

  nonceOf(address: string): number {
    return this.committed(address)?.nonce ?? 0;
  }

  balanceOf(address: string): number {
    return this.committed(address)?.balance ?? 0;
  }
}
