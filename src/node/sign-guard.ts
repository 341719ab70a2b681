import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { amnesicHeightOf, encodeGuardState, guardDecide, guardItemOf, parseGuardState, type GuardState } from '../consensus/guard.ts';
import { walRecordHeight } from '../consensus/wal.ts';
import { DurableFile } from '../storage/durable-file.ts';
import { EdgeError } from '../util/errors.ts';

/**
 * The double-sign guard of a sealer, kept in its own file outside the chain database
 * (`signState` in the node config; default: next to the data dir, `<dataDir>.sign-state.json`
 * and its second slot `.alt`, so wiping or restoring the data dir keeps it; storage/durable-file.ts). Every signed consensus message the engine
 * emits goes through allow() before it is sent: a new signature is written and fsynced first;
 * a conflicting one is refused and never leaves the node. docs/CONSENSUS.md.
 */
export class SignGuard {
  private readonly file: DurableFile;
  private readonly chain: { chainId: string; genesisHash: string };
  private state: GuardState | null;
  private amnesic: number | null = null;
  /** Messages refused, by reason. */
  readonly refused = new Map<string, number>();

  private constructor(file: DurableFile, chain: { chainId: string; genesisHash: string }, state: GuardState | null) {
    this.file = file;
    this.chain = chain;
    this.state = state;
  }

  /** Opens (or starts) the guard file; a corrupt file or one of another chain is an error, never overwritten. */
  static open(path: string, chain: { chainId: string; genesisHash: string }): SignGuard {
    mkdirSync(dirname(path), { recursive: true });
    const file = new DurableFile(path);
    let text: string | null;
    try {
      text = file.read();
    } catch (e) {
      throw new EdgeError('SIGN_STATE_INVALID', `sign state file ${path}: ${(e as Error).message}; refusing to sign with it`);
    }
    let state: GuardState | null = null;
    if (text !== null) {
      const s = parseGuardState(text, chain);
      if (typeof s === 'string') throw new EdgeError('SIGN_STATE_INVALID', `sign state file ${path}: ${s}; refusing to sign with it (move it away only if you know this key never signed on this chain)`);
      state = s;
    }
    return new SignGuard(file, chain, state);
  }

  /** The WAL records handed to the engine at start: without a record at the guard's height, nothing new is signed there. */
  noteWal(headHeight: number, records: readonly Uint8Array[]): number | null {
    this.amnesic = amnesicHeightOf(this.state, headHeight, records.map((r) => walRecordHeight(r)));
    return this.amnesic;
  }

  /** Closes the guard file (the node's stop). */
  close(): void {
    this.file.close();
  }

  get lastSigned(): GuardState | null {
    return this.state;
  }

  /** Whether `bytes` (an outgoing consensus message) may be sent by sealer `me`; durable before it returns true. */
  allow(bytes: Uint8Array, me: number): { ok: true } | { ok: false; reason: string } {
    const item = guardItemOf(bytes, me);
    if (!item) return { ok: true };
    const d = guardDecide(this.state, item, this.amnesic);
    if (!d.ok) {
      this.refused.set(d.reason, (this.refused.get(d.reason) ?? 0) + 1);
      return d;
    }
    if (d.changed) {
      this.file.write(encodeGuardState(this.chain, d.next));
      this.state = d.next;
      if (this.amnesic !== null && d.next.height > this.amnesic) this.amnesic = null;
    }
    return { ok: true };
  }
}
