import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A small file replaced atomically and durably: write a temporary sibling, fsync it, rename
 * it over the file, fsync the folder. Synchronous on purpose: a caller that must not act
 * before the content is on disk (the double-sign guard) simply calls write() first.
 */
export class DurableFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The content, or null if the file does not exist. */
  read(): string | null {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  write(text: string): void {
    const tmp = this.path + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
