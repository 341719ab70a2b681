import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { verify, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from './keys.ts';

/** One Ed25519 check: does `signature` sign `message` under `publicKey`? */
export interface VerifyItem {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

/** Anything that verifies many signatures at once (a VerifyPool, or a fake in tests). */
export interface BatchVerifier {
  verifyMany(items: readonly VerifyItem[]): Promise<boolean[]>;
}

export interface VerifyPoolOptions {
  /**
   * Worker threads; 0 verifies on the calling thread (same results, no parallelism).
   * Default: one less than the available cores, at least 1, at most 4.
   */
  workers?: number;
  /** Most items per message to a worker (default 256): a large batch is spread over the workers. */
  chunk?: number;
  /**
   * Workers stop after this long without work (ms; default 30,000; 0 = they run until close)
   * and start again on the next call. A node syncs in bursts (at start, after falling behind):
   * a worker costs ~25–40 MB of RSS, of which stopping it returns ~10 (docs/PERFORMANCE.md
   * "Memory: round 10").
   */
  idleMs?: number;
  /**
   * A call with fewer items is verified on the calling thread and starts no worker (default 0:
   * every call goes to the workers). Starting a worker costs ~40 MB of RSS, of which stopping it
   * returns only part; a node that falls a block or two behind and syncs a few hundred
   * signatures checks them faster here than a worker starts (the node passes 256).
   */
  minBatch?: number;
}

const DEFAULT_VERIFY_IDLE_MS = 30_000;

export function defaultVerifyWorkers(): number {
  return Math.min(4, Math.max(1, availableParallelism() - 1));
}

interface Task {
  items: readonly VerifyItem[];
  resolve: (v: Uint8Array) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Task>;
  load: number;
}

// run from the sources (.ts, type stripping) or from the built package (dist/, .js)
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js', import.meta.url);

/**
 * Ed25519 verification off the main thread: a small pool of worker_threads, each running the
 * same OpenSSL `verify` as `keys.ts`. Workers start on first use (of at least `minBatch`
 * items), stop after `idleMs` without work and start again when needed, and never keep the
 * process alive. A worker that dies has its pending items verified on the calling thread instead, so a
 * verdict is never lost or guessed. Never rejects.
 */
export class VerifyPool implements BatchVerifier {
  readonly workers: number;
  private readonly chunk: number;
  private readonly idleMs: number;
  private readonly minBatch: number;
  private slots: Slot[] | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private nextId = 1;
  private closed = false;
  /** Times the workers were started (tests and metrics). */
  starts = 0;
  /** Items verified on the calling thread because a worker died or was retired owing them (tests and metrics). */
  fallbackVerified = 0;

  constructor(opts: VerifyPoolOptions = {}) {
    const w = opts.workers ?? defaultVerifyWorkers();
    if (!Number.isInteger(w) || w < 0 || w > 64) throw new RangeError('workers must be an integer 0..64');
    this.workers = w;
    this.chunk = Math.max(1, opts.chunk ?? 256);
    this.idleMs = opts.idleMs ?? DEFAULT_VERIFY_IDLE_MS;
    this.minBatch = opts.minBatch ?? 0;
    if (!Number.isFinite(this.idleMs) || this.idleMs < 0) throw new RangeError('idleMs must be ≥ 0');
    if (!Number.isInteger(this.minBatch) || this.minBatch < 0) throw new RangeError('minBatch must be an integer ≥ 0');
  }

  /** Worker threads running now (0 before the first call and after an idle stop). */
  get running(): number {
    return this.slots?.length ?? 0;
  }

  /** One verdict per item, in order. */
  async verifyMany(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    if (this.workers === 0 || this.closed || items.length < this.minBatch) return items.map((it) => verify(it.signature, it.message, it.publicKey));
    this.start();
    const parts: Promise<Uint8Array>[] = [];
    for (let i = 0; i < items.length; i += this.chunk) parts.push(this.send(items.slice(i, i + this.chunk)));
    const verdicts = await Promise.all(parts);
    this.armIdle();
    const out: boolean[] = [];
    for (const v of verdicts) for (const b of v) out.push(b === 1);
    return out;
  }

  /** Terminates the workers; later calls verify on the calling thread. */
  async close(): Promise<void> {
    this.closed = true;
    this.disarmIdle();
    const slots = this.slots ?? [];
    this.slots = [];
    await Promise.all(slots.map((s) => this.retire(s)));
  }

  private start(): void {
    this.disarmIdle();
    if (this.slots) return;
    this.starts++;
    this.slots = [];
    for (let i = 0; i < this.workers; i++) this.slots.push(this.spawn());
  }

  /** After a call: once no worker owes anything, the idle timer runs (unref'd: it keeps no process alive). */
  private armIdle(): void {
    if (this.idleMs === 0 || this.closed || !this.slots || this.slots.some((s) => s.pending.size > 0)) return;
    this.disarmIdle();
    this.idleTimer = setTimeout(() => this.stopIdle(), this.idleMs);
    this.idleTimer.unref?.();
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** The idle timer fired with nothing owed: the workers are terminated; the next call starts new ones. */
  private stopIdle(): void {
    this.idleTimer = null;
    const slots = this.slots;
    if (!slots || slots.some((s) => s.pending.size > 0)) return;
    this.slots = null;
    for (const s of slots) void s.worker.terminate().catch(() => {});
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), load: 0 };
    worker.on('message', (m: { id: number; verdicts: Uint8Array }) => {
      const t = slot.pending.get(m.id);
      if (!t) return;
      slot.pending.delete(m.id);
      slot.load -= t.items.length;
      t.resolve(m.verdicts);
    });
    const fail = () => void this.retire(slot);
    worker.on('error', fail);
    worker.on('exit', fail);
    return slot;
  }

  /** Removes a worker from the pool; whatever it still owed is verified here. */
  private async retire(slot: Slot): Promise<void> {
    if (this.slots) this.slots = this.slots.filter((s) => s !== slot);
    const owed = [...slot.pending.values()];
    slot.pending.clear();
    slot.load = 0;
    for (const t of owed) {
      this.fallbackVerified += t.items.length;
      t.resolve(verifyHere(t.items));
    }
    await slot.worker.terminate().catch(() => {});
  }

  private send(items: readonly VerifyItem[]): Promise<Uint8Array> {
    const live = this.slots ?? [];
    if (live.length === 0) return Promise.resolve(verifyHere(items));
    let slot = live[0];
    for (const s of live) if (s.load < slot.load) slot = s;
    const buf = packItems(items);
    if (!buf) return Promise.resolve(verifyHere(items));
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve) => {
      slot.pending.set(id, { items, resolve });
      slot.load += items.length;
      slot.worker.postMessage({ id, buf: buf.buffer }, [buf.buffer]);
    });
  }
}

function verifyHere(items: readonly VerifyItem[]): Uint8Array {
  const v = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) v[i] = verify(items[i].signature, items[i].message, items[i].publicKey) ? 1 : 0;
  return v;
}

/**
 * Packs items for a worker: u32 count, then per item u32 message length, signature (64),
 * public key (32), message. Null if an item has a key or signature of the wrong length (those
 * are verified, i.e. refused, on the calling thread).
 */
export function packItems(items: readonly VerifyItem[]): Uint8Array<ArrayBuffer> | null {
  let size = 4;
  for (const it of items) {
    if (it.signature.length !== SIGNATURE_LENGTH || it.publicKey.length !== PUBLIC_KEY_LENGTH) return null;
    size += 4 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH + it.message.length;
  }
  const out = new Uint8Array(new ArrayBuffer(size));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length);
  let o = 4;
  for (const it of items) {
    dv.setUint32(o, it.message.length);
    o += 4;
    out.set(it.signature, o);
    o += SIGNATURE_LENGTH;
    out.set(it.publicKey, o);
    o += PUBLIC_KEY_LENGTH;
    out.set(it.message, o);
    o += it.message.length;
  }
  return out;
}

export function unpackItems(buf: Uint8Array): VerifyItem[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0);
  const out: VerifyItem[] = new Array(n);
  let o = 4;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(o);
    o += 4;
    const signature = buf.subarray(o, o + SIGNATURE_LENGTH);
    o += SIGNATURE_LENGTH;
    const publicKey = buf.subarray(o, o + PUBLIC_KEY_LENGTH);
    o += PUBLIC_KEY_LENGTH;
    const message = buf.subarray(o, o + len);
    o += len;
    out[i] = { signature, message, publicKey };
  }
  return out;
}
