/**
 * The small key-value database every store is written against (Lodestar/ethereumjs style).
 * Keys and values are bytes; keys iterate in lexicographic byte order.
 * Implementations: MemoryDatabase (tests, no disk) and LevelDatabase (`level`).
 */

export type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

export interface BatchOptions {
  /** Do not resolve before the write is on stable storage (fsync). */
  sync?: boolean;
}

export interface IterateOptions {
  /** Smallest key included. */
  gte?: Uint8Array;
  /** First key excluded. */
  lt?: Uint8Array;
  /** Largest key first. */
  reverse?: boolean;
  /** At most this many entries. */
  limit?: number;
}

export interface Database {
  /** The value, or undefined when the key is absent. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Applies every op or none of them (atomic). Ops apply in order: a later op on a key wins. */
  batch(ops: BatchOp[], opts?: BatchOptions): Promise<void>;
  /** Entries in [gte, lt) in byte order (or reverse), from a consistent snapshot taken when iteration starts. */
  iterate(opts: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}
