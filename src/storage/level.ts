import { Level } from 'level';
import type { BatchOp, BatchOptions, Database, IterateOptions } from './interface.ts';
import { storageError } from './errors.ts';

/** A plain Uint8Array over the same memory (classic-level hands out Buffers). */
function view(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Database over LevelDB (`level` → classic-level on Node). Batches are atomic LevelDB write batches. */
export class LevelDatabase implements Database {
  private readonly db: Level<Uint8Array, Uint8Array>;
  readonly path: string;

  private constructor(path: string, db: Level<Uint8Array, Uint8Array>) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating if missing) the LevelDB directory at `path`. */
  static async open(path: string): Promise<LevelDatabase> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return new LevelDatabase(path, db);
  }

  private check(): void {
    if (this.db.status !== 'open') throw storageError('STORAGE_CLOSED', `the database at ${this.path} is ${this.db.status}`);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.check();
    const v = await this.db.get(key);
    return v === undefined ? undefined : view(v);
  }

  async batch(ops: BatchOp[], opts: BatchOptions = {}): Promise<void> {
    this.check();
    if (ops.length === 0) return;
    // classic-level: a batch is one LevelDB WriteBatch (atomic); `sync` fsyncs the log before resolving.
    await this.db.batch(ops, { sync: opts.sync === true });
  }

  iterate(opts: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    const range: { gte?: Uint8Array; lt?: Uint8Array; reverse?: boolean; limit?: number } = {};
    if (opts.gte) range.gte = opts.gte;
    if (opts.lt) range.lt = opts.lt;
    if (opts.reverse) range.reverse = true;
    if (opts.limit !== undefined && opts.limit >= 0) range.limit = opts.limit;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        self.check();
        const it = self.db.iterator(range);
        try {
          for await (const [k, v] of it) yield [view(k), view(v)] as [Uint8Array, Uint8Array];
        } finally {
          await it.close();
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.db.status === 'open' || this.db.status === 'opening') await this.db.close();
  }
}
