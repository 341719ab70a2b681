import type { Codec } from '../codec/codec.ts';
import { toHex } from '../util/bytes.ts';
import { stateError, type StateError } from './errors.ts';

/** One state write of a block: a key set to a value, or deleted (value null). */
export interface StateWrite {
  key: Uint8Array;
  value: Uint8Array | null;
}

/**
 * What makes a state table: its key layout (one prefix byte, then the row key), the codec of
 * its stored values and the conversion between the stored proto message and the in-memory
 * record. Everything else (journal, rollback, write set, load) is the same for every table.
 */
export interface TableSpec<K extends string | number, R, M extends object> {
  /** For error messages: 'account', 'edge node', … */
  readonly name: string;
  /** The key prefix byte (domain/keys.ts); never reused for another table. */
  readonly prefix: number;
  /** The full state key of a row (prefix byte included). */
  key(k: K): Uint8Array;
  /** The row key of a stored key (prefix byte included), or null if it is malformed. */
  rowKey(key: Uint8Array): K | null;
  readonly codec: Codec<M>;
  toProto(r: R, k: K): M;
  fromProto(m: M, k: K): R;
  /** Extra check of a stored value against its key (load): a reason if the entry is corrupt. */
  checkStored?(m: M, k: K): string | null;
  /** Called after every change of a row (execution, rollback, load): keeps derived indexes in step. */
  onChange?(k: K, old: R | undefined, next: R | undefined): void;
  /**
   * A row that is finished (e.g. an ended lease): when a block leaves a touched row in this
   * condition it leaves the state at the end of that block, its final value archived outside
   * the state (`retire`; docs/STATE.md "Retired rows").
   */
  retired?(r: R): boolean;
}

/** What the state machine does with every table alike (whatever its key and record types). */
export interface StateTable {
  readonly spec: { readonly name: string; readonly prefix: number };
  begin(): void;
  end(): void;
  rollback(): void;
  collectWrites(out: StateWrite[]): void;
  retire(out: StateWrite[]): void;
  load(key: Uint8Array, value: Uint8Array): void;
}

/**
 * A journaled in-memory table of the native state. Between `begin()` and `end()`/`rollback()`
 * every first change of a row remembers the row's previous value, which gives: rollback (an
 * exact restore, derived indexes included), the block's write set (every touched row with its
 * current value, the state-root input) and reads of the committed state while an execution is
 * pending. `load` rebuilds the rows from stored entries.
 */
export class Table<K extends string | number, R, M extends object = object> implements StateTable {
  readonly spec: TableSpec<K, R, M>;
  private readonly rows = new Map<K, R>();
  private journal: Map<K, R | undefined> | null = null;

  constructor(spec: TableSpec<K, R, M>) {
    this.spec = spec;
  }

  get(k: K): R | undefined {
    return this.rows.get(k);
  }

  has(k: K): boolean {
    return this.rows.has(k);
  }

  get size(): number {
    return this.rows.size;
  }

  keys(): IterableIterator<K> {
    return this.rows.keys();
  }

  values(): IterableIterator<R> {
    return this.rows.values();
  }

  /** Sets a row, or deletes it (`undefined`). Only inside an execution (begin … end/rollback). */
  set(k: K, r: R | undefined): void {
    const j = this.journal;
    if (!j) throw new Error(`Table ${this.spec.name}: set outside an execution`);
    if (!j.has(k)) j.set(k, this.rows.get(k));
    this.install(k, r);
  }

  /** The row as it was before the open execution (its current value when none is open or it is untouched). */
  committed(k: K): R | undefined {
    const j = this.journal;
    if (j && j.has(k)) return j.get(k);
    return this.rows.get(k);
  }

  /** Rows touched by the open execution with their values before it (none when no execution is open). */
  touched(): ReadonlyMap<K, R | undefined> {
    return this.journal ?? (EMPTY as ReadonlyMap<K, R | undefined>);
  }

  begin(): void {
    if (this.journal) throw new Error(`Table ${this.spec.name}: an execution is already open`);
    this.journal = new Map();
  }

  /** Keeps the open execution's changes. */
  end(): void {
    this.journal = null;
  }

  /** Restores every touched row to its value before the open execution and closes it. */
  rollback(): void {
    const j = this.journal;
    if (!j) return;
    for (const [k, v] of j) this.install(k, v);
    this.journal = null;
  }

  /** Appends the open execution's writes: every touched key with its current encoded value, or null if deleted. */
  collectWrites(out: StateWrite[]): void {
    const j = this.journal;
    if (!j) return;
    const s = this.spec;
    for (const k of j.keys()) {
      const r = this.rows.get(k);
      out.push({ key: s.key(k), value: r === undefined ? null : s.codec.encode(s.toProto(r, k)) });
    }
  }

  /**
   * Rows the open execution touched that are now retired (spec.retired) leave the table: each
   * is appended to `out` with its final encoded value (the archive entry), then deleted, so the
   * block's write set deletes it and the state tree drops its leaf.
   */
  retire(out: StateWrite[]): void {
    const s = this.spec;
    const j = this.journal;
    if (!j || !s.retired) return;
    for (const k of [...j.keys()]) {
      const r = this.rows.get(k);
      if (r === undefined || !s.retired(r)) continue;
      out.push({ key: s.key(k), value: s.codec.encode(s.toProto(r, k)) });
      this.set(k, undefined);
    }
  }

  /** One stored value of this table as a row (e.g. an archived one), or null if it does not decode or fit its key. */
  decodeStored(key: Uint8Array, value: Uint8Array): R | null {
    const s = this.spec;
    const k = s.rowKey(key);
    if (k === null) return null;
    const d = s.codec.decode(value);
    if (!d.ok || s.checkStored?.(d.value, k)) return null;
    return s.fromProto(d.value, k);
  }

  /** Installs one stored entry (`key[0]` is this table's prefix). Throws STATE_CORRUPT on a bad key or value. */
  load(key: Uint8Array, value: Uint8Array): void {
    const s = this.spec;
    const k = s.rowKey(key);
    if (k === null) throw corrupt(key, `bad ${s.name} key`);
    const d = s.codec.decode(value);
    if (!d.ok) throw corrupt(key, d.error.message);
    const bad = s.checkStored?.(d.value, k);
    if (bad) throw corrupt(key, bad);
    this.install(k, s.fromProto(d.value, k));
  }

  private install(k: K, r: R | undefined): void {
    const old = this.rows.get(k);
    if (r === undefined) this.rows.delete(k);
    else this.rows.set(k, r);
    this.spec.onChange?.(k, old, r);
  }
}

const EMPTY: ReadonlyMap<unknown, unknown> = new Map();

export function corrupt(key: Uint8Array, why: string): StateError {
  return stateError('STATE_CORRUPT', `state entry ${toHex(key)}: ${why}`, { key: toHex(key) });
}
