/** Byte helpers shared by every layer. Uint8Array everywhere; Buffer only as an implementation detail. */

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

export function toHex(b: Uint8Array, prefix = false): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return prefix ? '0x' + s : s;
}

/** Parses hex with or without `0x`; returns null if it is not whole bytes of hex. */
export function fromHex(s: string): Uint8Array | null {
  if (typeof s !== 'string' || !HEX.test(s)) return null;
  const body = s.startsWith('0x') ? s.slice(2) : s;
  return new Uint8Array(Buffer.from(body, 'hex'));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order (for sorted, deterministic iteration). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Decodes UTF-8 strictly; returns null on invalid sequences. */
export function fromUtf8(b: Uint8Array): string | null {
  try {
    return dec.decode(b);
  } catch {
    return null;
  }
}

/** Big-endian fixed-width integer encodings used in fixed-layout signed bytes and storage keys. */
export function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, false);
  return b;
}

export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64be: not a safe non-negative integer: ${n}`);
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, Math.floor(n / 2 ** 32), false);
  dv.setUint32(4, n >>> 0, false);
  return b;
}

export function readU64be(b: Uint8Array, offset = 0): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return dv.getUint32(offset, false) * 2 ** 32 + dv.getUint32(offset + 4, false);
}
