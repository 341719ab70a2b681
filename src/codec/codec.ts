import type protobuf from 'protobufjs';
import { EdgeError, type Result, ok, err } from '../util/errors.ts';
import { equalBytes } from '../util/bytes.ts';
import { lookupType } from './schema.ts';

export type CodecErrorCode = 'CODEC_NOT_BYTES' | 'CODEC_TOO_LARGE' | 'CODEC_MALFORMED' | 'CODEC_NON_CANONICAL' | 'CODEC_INVALID';

export interface CodecOptions<T> {
  /** Largest accepted encoding, checked before any parsing. */
  maxBytes: number;
  /**
   * Require the bytes to be exactly what encode() would produce (default true): rejects
   * unknown fields, unknown oneof kinds, duplicated fields, 64-bit values above 2^53 and
   * any other alternative encoding, so one message has one hash.
   */
  canonical?: boolean;
  /** Extra structural check on the decoded value; returns a reason string to reject. */
  check?: (v: T) => string | null;
}

export interface Codec<T> {
  readonly typeName: string;
  readonly maxBytes: number;
  encode(value: T): Uint8Array;
  /** Never throws: size first, then parse, then canonical and structural checks. */
  decode(bytes: unknown, maxBytes?: number): Result<T, EdgeError<CodecErrorCode>>;
}

export function messageCodec<T extends object>(typeName: string, opts: CodecOptions<T>): Codec<T> {
  const type: protobuf.Type = lookupType(typeName);
  const canonical = opts.canonical ?? true;
  const fail = (code: CodecErrorCode, msg: string, data: Record<string, unknown> = {}) =>
    err(new EdgeError<CodecErrorCode>(code, `${typeName}: ${msg}`, { type: typeName, ...data }));
  return {
    typeName,
    maxBytes: opts.maxBytes,
    encode(value: T): Uint8Array {
      return ownBytes(type.encode(value as Record<string, unknown>).finish());
    },
    decode(bytes: unknown, maxBytes = opts.maxBytes) {
      if (!(bytes instanceof Uint8Array)) return fail('CODEC_NOT_BYTES', 'input is not bytes');
      if (bytes.length > maxBytes) return fail('CODEC_TOO_LARGE', `${bytes.length} bytes > limit ${maxBytes}`, { size: bytes.length, limit: maxBytes });
      let value: T;
      try {
        value = type.decode(bytes) as unknown as T;
      } catch (e) {
        return fail('CODEC_MALFORMED', (e as Error).message);
      }
      if (canonical) {
        let again: Uint8Array;
        try {
          again = type.encode(value as Record<string, unknown>).finish();
        } catch (e) {
          return fail('CODEC_MALFORMED', (e as Error).message);
        }
        if (!equalBytes(again, bytes)) return fail('CODEC_NON_CANONICAL', 'not the canonical encoding');
      }
      if (hasUnsafeNumber(value)) return fail('CODEC_INVALID', 'a 64-bit field exceeds 2^53 - 1');
      if (opts.check) {
        let reason: string | null;
        try {
          reason = opts.check(value);
        } catch (e) {
          reason = (e as Error).message;
        }
        if (reason) return fail('CODEC_INVALID', reason);
      }
      return ok(value);
    },
  };
}

/** True if any number in the decoded message is above 2^53 - 1 (64-bit fields must stay exact in JS). */
function hasUnsafeNumber(v: unknown): boolean {
  if (typeof v === 'number') return v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER;
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return false;
  if (Array.isArray(v)) return v.some(hasUnsafeNumber);
  for (const k of Object.keys(v)) if (hasUnsafeNumber((v as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * The bytes in an array of their own. protobufjs writes small messages into a slice of a
 * shared 64 KiB allocation pool (Node's Buffer pool); a slice that lives long (a state value,
 * a stored record) keeps the whole pool block alive, so a node that stores a few hundred
 * bytes per tx kept ~10 times that (docs/PERFORMANCE.md "Memory: the soak"). A message of
 * its own size is copied out (≤ 64 bytes: inside the V8 heap); one that already owns its
 * buffer (large messages) is returned as is.
 */
export function ownBytes(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}
