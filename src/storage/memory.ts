import { compareBytes } from '../util/bytes.ts';
import type { BatchOp, BatchOptions, Database, IterateOptions } from './interface.ts';
import { storageError } from './errors.ts';

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * In-memory Database: a sorted array of entries (byte order), copies in and out so callers
 * can never alias stored bytes. For tests and the simulator.
 *
 * Fault hook: `failNextBatch()` makes the next batch be dropped whole (nothing applied) and
 * reject, as if the process died before the write reached the disk. The database then stays
 * `crashed` (every call rejects, so the dead process can write nothing more) until `restart()`,
 * after which a new store can be opened on the surviving contents.
 */
export class MemoryDatabase implements Database {
  private entries: Entry[] = [];
  private closed = false;
  private failBatches = 0;
  /** True after an injected crash, until restart(). */
  crashed = false;
  /** Batches applied, and how many of them asked for sync (for tests). */
  readonly stats = { batches: 0, syncBatches: 0 };

  /** The next `count` batch calls are dropped (not applied) and reject with STORAGE_SIMULATED_CRASH. */
  failNextBatch(count = 1): void {
    this.failBatches = count;
  }

  /** Simulates the process dying now: every call rejects until restart(). */
  crash(): void {
    this.crashed = true;
  }

  /** A new process starts on what was written: clears the crashed state (and reopens a closed db). */
  restart(): void {
    this.crashed = false;
    this.closed = false;
    this.failBatches = 0;
  }

  /** Number of entries (for tests). */
  get size(): number {
    return this.entries.length;
  }

  private check(): void {
    if (this.crashed) throw storageError('STORAGE_SIMULATED_CRASH', 'the database crashed (simulated)');
    if (this.closed) throw storageError('STORAGE_CLOSED', 'the database is closed');
  }

  /** Index of the first entry with key >= `key`. */
  private lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.entries[mid].key, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.check();
    const i = this.lowerBound(key);
    const e = this.entries[i];
    return e && compareBytes(e.key, key) === 0 ? e.value.slice() : undefined;
  }

  async batch(ops: BatchOp[], opts: BatchOptions = {}): Promise<void> {
    this.check();
    for (const op of ops) {
      if (!(op.key instanceof Uint8Array) || (op.type === 'put' && !(op.value instanceof Uint8Array)) || (op.type !== 'put' && op.type !== 'del')) {
        throw storageError('STORAGE_BAD_INPUT', 'batch op must be {type: "put", key, value} or {type: "del", key} with byte keys and values');
      }
    }
    if (this.failBatches > 0) {
      this.failBatches--;
      this.crashed = true;
      throw storageError('STORAGE_SIMULATED_CRASH', 'batch dropped: simulated crash before the write', { ops: ops.length });
    }
    // Everything is validated: applying cannot fail half-way, so the batch is atomic.
    for (const op of ops) {
      const i = this.lowerBound(op.key);
      const found = i < this.entries.length && compareBytes(this.entries[i].key, op.key) === 0;
      if (op.type === 'put') {
        // new Uint8Array(x) copies; x.slice() would not for a Node Buffer (the codec's output)
        const e = { key: new Uint8Array(op.key), value: new Uint8Array(op.value) };
        if (found) this.entries[i] = e;
        else this.entries.splice(i, 0, e);
      } else if (found) {
        this.entries.splice(i, 1);
      }
    }
    this.stats.batches++;
    if (opts.sync) this.stats.syncBatches++;
  }

  iterate(opts: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    try {
      this.check();
    } catch (e) {
      return {
        async *[Symbol.asyncIterator]() {
          throw e;
        },
      };
    }
    // Snapshot the range now, like a LevelDB iterator.
    const start = opts.gte ? this.lowerBound(opts.gte) : 0;
    const end = opts.lt ? this.lowerBound(opts.lt) : this.entries.length;
    let slice = start < end ? this.entries.slice(start, end) : [];
    if (opts.reverse) slice.reverse();
    if (opts.limit !== undefined && opts.limit >= 0) slice = slice.slice(0, opts.limit);
    const out: [Uint8Array, Uint8Array][] = slice.map((e) => [e.key.slice(), e.value.slice()]);
    return {
      async *[Symbol.asyncIterator]() {
        yield* out;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
