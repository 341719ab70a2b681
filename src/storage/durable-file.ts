import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
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
 */
export class DurableFile {
  readonly path: string;
  private seq = 0;
  /** Which slot holds the newest record (0: path, 1: path.alt), or -1 before any. */
  private newest = -1;

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
      const body = text.slice(b + 1);
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
    const target = this.newest === 0 ? 1 : 0;
    const fresh = !existsSync(this.slot(target));
    const seq = this.seq + 1;
    const fd = openSync(this.slot(target), 'w', 0o600);
    try {
      writeSync(fd, `${seq}\n${toHex(sha256(utf8(body)))}\n${body}`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
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
}
