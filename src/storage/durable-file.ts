import { closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256 } from '../crypto/hash.ts';
import { toHex, utf8 } from '../util/bytes.ts';

/**
 * A small record kept durably in two slots, `<path>` and `<path>.alt`, written in turn: each
 * write goes to the slot not holding the newest record, as `seq \n sha256(body) \n body`,
 * followed by one fdatasync. A write torn by a crash damages only the slot being written; the
 * other still holds the previous record, and the record being written was not acted on yet
 * (the caller acts only after write() returns). Synchronous on purpose: the double-sign guard
 * calls write() before a signed message may leave. One data sync per write (plus one folder
 * sync the first time a slot is created), against two syncs and a rename for a
 * write-temporary-and-rename scheme.
 *
 * Each slot stays open and is overwritten in place, padded with NUL bytes to a size that does
 * not change from write to write (a multiple of 512 bytes, never smaller than the slot was):
 * no open, truncate and close per write, and the data sync has no file size to commit
 * (docs/PERFORMANCE.md, round 6: 340 → 100 µs of CPU and 0.7–0.8 → 0.25 ms per write). The
 * reader drops the trailing NULs, so a body must not end with one; files written before the
 * padding read the same.
 */
export class DurableFile {
  readonly path: string;
  private seq = 0;
  /** Which slot holds the newest record (0: path, 1: path.alt), or -1 before any. */
  private newest = -1;
  /** Each slot's open descriptor once written to, and its size (what every write to it fills). */
  private readonly fds: (number | null)[] = [null, null];
  private readonly sizes = [0, 0];

  constructor(path: string) {
    this.path = path;
  }

  private slot(i: number): string {
    return i === 0 ? this.path : this.path + '.alt';
  }

  /** The newest intact record, or null if there is none (no file yet). Throws if both slots exist but neither is intact. */
  read(): string | null {
    let best: { seq: number; body: string; slot: number } | null = null;
    let present = 0;
    for (const i of [0, 1]) {
      let text: string;
      try {
        text = readFileSync(this.slot(i), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      present++;
      const a = text.indexOf('\n');
      const b = a < 0 ? -1 : text.indexOf('\n', a + 1);
      if (b < 0) continue;
      const seq = Number(text.slice(0, a));
      const body = withoutPadding(text.slice(b + 1));
      if (!Number.isSafeInteger(seq) || text.slice(a + 1, b) !== toHex(sha256(utf8(body)))) continue;
      if (!best || seq > best.seq) best = { seq, body, slot: i };
    }
    if (!best) {
      if (present > 0) throw new Error(`${this.path}: no intact record in either slot`);
      return null;
    }
    this.seq = best.seq;
    this.newest = best.slot;
    return best.body;
  }

  write(body: string): void {
    if (body.endsWith('\0')) throw new Error('DurableFile: a body must not end with a NUL byte (the padding)');
    const target = this.newest === 0 ? 1 : 0;
    const seq = this.seq + 1;
    const record = Buffer.from(`${seq}\n${toHex(sha256(utf8(body)))}\n${body}`, 'utf8');
    let fd = this.fds[target];
    let fresh = false;
    if (fd === null) {
      fresh = !existsSync(this.slot(target));
      fd = openSync(this.slot(target), fresh ? 'w' : 'r+', 0o600);
      this.fds[target] = fd;
      this.sizes[target] = fstatSync(fd).size;
    }
    const size = Math.max(this.sizes[target], Math.ceil(record.length / SLOT_ALIGN) * SLOT_ALIGN);
    const out = Buffer.alloc(size);
    record.copy(out);
    try {
      writeSync(fd, out, 0, size, 0);
      fdatasyncSync(fd);
    } catch (e) {
      // a failed write leaves the slot torn (the reader falls back to the other one); reopen next time
      this.closeSlot(target);
      throw e;
    }
    this.sizes[target] = size;
    if (fresh) {
      const dir = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    this.seq = seq;
    this.newest = target;
  }

  /** Closes the slots' descriptors (a later write opens them again). */
  close(): void {
    this.closeSlot(0);
    this.closeSlot(1);
  }

  private closeSlot(i: number): void {
    const fd = this.fds[i];
    this.fds[i] = null;
    if (fd !== null) closeSync(fd);
  }
}

/** Slot sizes are multiples of this (one sector): a record that grows a little does not change the size. */
const SLOT_ALIGN = 512;

/** A slot's body without the NUL padding after it. */
function withoutPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}
