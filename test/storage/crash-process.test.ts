import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/bytes.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { LevelDatabase } from '../../src/storage/level.ts';
import { buildChain, expectedState } from './helpers.ts';

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const BLOCKS = 120;

/** Blocks the writer may commit past the kill threshold before it pauses to wait for the kill. */
const SLACK = 20;

/**
 * Runs the writer until it has reported `killAfter` commits, then SIGKILLs it mid-stream.
 * Resolves with the last height it reported. The writer pauses after `killAfter + SLACK`
 * commits, so it is still alive (and short of the end of the chain) when the kill lands.
 */
function runAndKill(dir: string, killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(BLOCKS), String(killAfter + SLACK)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^committed (\d+)$/.exec(line);
        if (m) last = Number(m[1]);
        if (last >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited (${code}) before it was killed: ${stderr}`));
    });
  });
}

describe('ChainStore on LevelDB survives SIGKILL of the writing process', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('after a kill at an arbitrary point the database holds a whole head: its blocks, txs, receipts, state, counters and WAL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgechain-crash-'));
    const chain = buildChain(BLOCKS);
    for (const killAfter of [5, 30]) {
      const reported = await runAndKill(dir, killAfter);
      const db = await LevelDatabase.open(dir);
      const store = await ChainStore.open(db, { genesisHash: chain.genesis.genesisHash });
      const head = store.head()!;
      // Every reported commit was synced; the batch in flight at the kill is either all there or not at all.
      expect(head.height).toBeGreaterThanOrEqual(reported);
      expect(head.height).toBeLessThanOrEqual(killAfter + SLACK);
      expect(head.height).toBeLessThan(BLOCKS);
      const top = chain.blocks[head.height - 1];
      expect(toHex(head.hash)).toBe(toHex(top.block.hash));
      expect(toHex(head.stateRoot)).toBe(toHex(top.stateRoot));
      const committed = chain.blocks.slice(0, head.height);
      expect(store.counters()).toEqual({
        totalTxs: committed.reduce((n, c) => n + c.block.txs.length, 0),
        failedTxs: committed.reduce((n, c) => n + c.failed, 0),
      });
      for (const c of committed) {
        expect((await store.getBlockByHeight(c.block.header.height))?.hash).toEqual(new Uint8Array(c.block.hash));
        for (const t of c.block.txs) expect(await store.getReceipt(t.hash)).toBeDefined();
      }
      const next = chain.blocks[head.height];
      expect(await store.getBlockByHeight(head.height + 1)).toBeUndefined();
      for (const t of next.block.txs) expect(await store.getTxLocation(t.hash)).toBeUndefined();
      const state = new Map<string, string>();
      for await (const [k, v] of store.iterateState()) state.set(toHex(k), toHex(v));
      expect(state).toEqual(expectedState(chain, head.height));
      // WAL: every record whole and in order (a kill between a commit and its WAL append may skip one height).
      const wal = await store.walRecords();
      for (let i = 1; i < wal.length; i++) {
        expect(wal[i].seq).toBeGreaterThan(wal[i - 1].seq);
        expect(wal[i].height).toBeGreaterThan(wal[i - 1].height);
      }
      for (const r of wal) expect(new TextDecoder().decode(r.bytes)).toBe('vote ' + r.height);
      expect(wal.at(-1)!.height).toBeGreaterThanOrEqual(reported);
      expect(wal.at(-1)!.height).toBeLessThanOrEqual(head.height);
      await store.close();
      // The second round resumes from this head in a new process.
    }
  });
});
