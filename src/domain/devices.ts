import { StateDeviceCodec, StateDeviceInfoCodec, type StateDevice, type StateDeviceInfo } from '../codec/state.ts';
import { sha256 } from '../crypto/hash.ts';
import { fromHex, toHex, utf8 } from '../util/bytes.ts';
import type { AccountRole } from './accounts.ts';
import { addrBytes, addrHex, normAddr } from './address.ts';
import { KeyPrefix, deviceInfoKey, deviceKey } from './keys.ts';
import { ReceiptStatus, OK, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

export interface DeviceRec {
  readonly info: string;
  readonly registeredAt: number;
  /** Locked from its balance at registration (params.registrationDeposit), returned when it unregisters. */
  readonly deposit: number;
}

export interface DeviceView {
  address: string;
  info: string;
  registeredAt: number;
  deposit: number;
}

const infoHash = (info: string): string => toHex(sha256(utf8(info)));

/** Registered devices (prefix 0x02) and the index of their unique identity info (prefix 0x03). */
export class Devices {
  readonly devices = new Table<string, DeviceRec, StateDevice>({
    name: 'device',
    prefix: KeyPrefix.DEVICE,
    key: (a) => deviceKey(addrBytes(a)),
    rowKey: (key) => (key.length === 21 ? addrHex(key.subarray(1)) : null),
    codec: StateDeviceCodec,
    toProto: (d) => ({ info: d.info, registeredAt: d.registeredAt, deposit: d.deposit }),
    fromProto: (m) => ({ info: m.info, registeredAt: m.registeredAt, deposit: m.deposit }),
  });

  /** hex(SHA-256(info)) → device address. */
  readonly infos = new Table<string, string, StateDeviceInfo>({
    name: 'device info',
    prefix: KeyPrefix.DEVICE_INFO,
    key: (h) => deviceInfoKey(fromHex(h)!),
    rowKey: (key) => (key.length === 33 ? toHex(key.subarray(1)) : null),
    codec: StateDeviceInfoCodec,
    toProto: (device) => ({ device: addrBytes(device) }),
    fromProto: (m) => addrHex(m.device),
  });

  isDevice(address: string): boolean {
    return this.devices.has(address);
  }

  /**
   * A user account registers itself with identity info no other device holds, locking the
   * refundable registration deposit from its balance (`debit`: false when the balance is short;
   * docs/GOVERNANCE.md, "Registration against DDoS").
   */
  register(height: number, sender: string, role: AccountRole, info: string, deposit = 0, debit: (amount: number) => boolean = () => true): TxOutcome {
    if (role !== 'user') return fail(ReceiptStatus.ROLE_NOT_ALLOWED, `a ${role} account cannot register as a device`);
    if (this.devices.has(sender)) return fail(ReceiptStatus.DEVICE_EXISTS, 'sender is already a registered device');
    const h = infoHash(info);
    if (this.infos.has(h)) return fail(ReceiptStatus.INFO_TAKEN, 'device identity info is already registered');
    if (deposit > 0 && !debit(deposit)) return fail(ReceiptStatus.INSUFFICIENT_FUNDS, `registration locks a refundable deposit of ${deposit} (params.registrationDeposit): the balance is short`);
    this.devices.set(sender, { info, registeredAt: height, deposit });
    this.infos.set(h, sender);
    return OK;
  }

  /** A device leaves: its record and identity info are deleted; returns its deposit (the caller credits it), or a refusal. */
  unregister(sender: string, activeLeases: number): TxOutcome & { refund?: number } {
    const d = this.devices.get(sender);
    if (!d) return fail(ReceiptStatus.NOT_DEVICE, 'sender is not a registered device');
    if (activeLeases > 0) return fail(ReceiptStatus.DEVICE_HAS_LEASES, `the device holds ${activeLeases} active lease${activeLeases === 1 ? '' : 's'}: release them first`);
    this.devices.set(sender, undefined);
    this.infos.set(infoHash(d.info), undefined);
    return { ...OK, refund: d.deposit };
  }

  /** Deposits locked by registered devices (state as last executed; the supply check). */
  escrowed(): number {
    let sum = 0;
    for (const d of this.devices.values()) sum += d.deposit;
    return sum;
  }

  // ------------------------------------------------------------ committed state (queries)

  view(address: string): DeviceView | null {
    const a = normAddr(address);
    const d = this.devices.committed(a);
    return d ? { address: a, info: d.info, registeredAt: d.registeredAt, deposit: d.deposit } : null;
  }

  /** The device holding an identity info, or null. */
  byInfo(info: string): string | null {
    return this.infos.committed(infoHash(info)) ?? null;
  }
}
