/**
 * One error type for the whole node, carrying a typed code and structured data
 * (Lodestar style): callers branch on `code`, logs carry `data`.
 */
export class EdgeError<C extends string = string> extends Error {
  readonly code: C;
  readonly data: Record<string, unknown>;
  constructor(code: C, message?: string, data: Record<string, unknown> = {}) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'EdgeError';
    this.code = code;
    this.data = data;
  }
}

/** A value or a typed error, for boundaries that must never throw (decoding untrusted bytes). */
export type Result<T, E = EdgeError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/** Unwraps a Result, throwing its error: for trusted paths (tests, tools) only. */
export function unwrap<T, E>(r: Result<T, E>): T {
  if (r.ok) return r.value;
  throw r.error;
}
