import { fromHex, toHex } from '../util/bytes.ts';

/** Addresses are kept as lower-case `0x…` hex in records and as 20 bytes in keys and stored values. */
export const addrBytes = (a: string): Uint8Array => fromHex(a)!;
export const addrHex = (b: Uint8Array): string => toHex(b, true);
export const normAddr = (a: string): string => (a.startsWith('0x') || a.startsWith('0X') ? '0x' + a.slice(2) : '0x' + a).toLowerCase();
