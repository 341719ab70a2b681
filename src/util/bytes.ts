/** Byte helpers shared by every layer. Uint8Array everywhere; Buffer only as an implementation detail. */

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

// Node's Buffer is the fast path; browsers (the SDK bundle) use the plain loops.
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(b: Uint8Array, prefix = false): string {
  let s: string;
  if (NodeBuffer) s = NodeBuffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  else {
    s = '';
    for (let i = 0; i < b.length; i++) s += HEX_DIGITS[b[i]];
  }
  return prefix ? '0x' + s : s;
}

/** Hex of a binary string (one char per byte, 0–255; e.g. a `sha256Bin` digest). */
export function binaryToHex(s: string): string {
  if (NodeBuffer) return NodeBuffer.from(s, 'latin1').toString('hex');
  let out = '';
  for (let i = 0; i < s.length; i++) out += HEX_DIGITS[s.charCodeAt(i) & 0xff];
  return out;
}

/** The bytes of a binary string (one char per byte, as from `sha256Bin`). */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A binary string of bytes (one char per byte): a flat string, as the state tree keeps its paths. */
export function bytesToBinary(b: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.prototype.latin1Slice.call(b, 0, b.length);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Writes a binary string's bytes into `buf` at `offset`. */
export function writeBinary(buf: Uint8Array, s: string, offset: number): void {
  for (let i = 0; i < s.length; i++) buf[offset + i] = s.charCodeAt(i);
}

/** Parses hex with or without `0x`; returns null if it is not whole bytes of hex. */
export function fromHex(s: string): Uint8Array | null {
  if (typeof s !== 'string' || !HEX.test(s)) return null;
  const body = s.startsWith('0x') ? s.slice(2) : s;
  if (NodeBuffer) return new Uint8Array(NodeBuffer.from(body, 'hex'));
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(body.substr(i * 2, 2), 16);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order (for sorted, deterministic iteration). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (NodeBuffer) return NodeBuffer.compare(a, b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
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
