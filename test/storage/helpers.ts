import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../src/crypto/hash.ts';
import { addressBytes, keyPairFromLabel, sign } from '../../src/crypto/keys.ts';
import { ReceiptCodec } from '../../src/codec/chain.ts';
import { buildBlock, type DecodedBlock } from '../../src/chain/block.ts';
import { buildCertificate, encodeCertificate, voteBytes } from '../../src/chain/certificate.ts';
import { genesisBlock, genesisHash, parseGenesis } from '../../src/chain/genesis.ts';
import { signTx, type SignedTx } from '../../src/chain/tx.ts';
import type { Genesis } from '../../src/codec/types.ts';
import type { StateWrite } from '../../src/state/interface.ts';
import { toHex, u64be, utf8 } from '../../src/util/bytes.ts';
import { storageError } from '../../src/storage/errors.ts';
import type { BatchOp, BatchOptions, Database, IterateOptions } from '../../src/storage/interface.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { LevelDatabase } from '../../src/storage/level.ts';
import type { BlockCommit, GenesisCommit } from '../../src/storage/chain-store.ts';

/**
 * A backend under test. `reopen()` closes nothing itself: it returns a Database on the same
 * contents as a fresh process would see them (same object for memory, a new LevelDB handle on
 * the same directory for level). `crashNextBatch()` drops the next batch whole and kills the handle.
 */
export interface Backend {
  db: Database;
  reopen(): Promise<Database>;
  crashNextBatch(): void;
  cleanup(): Promise<void>;
}

/**
 * Wraps any Database: after crashNextBatch() the next batch is not written (rejects), and the
 * handle is dead (every later call rejects) — a process that died before its write hit the disk.
 */
export class CrashingDatabase implements Database {
  private readonly inner: Database;
  private armed = false;
  dead = false;
  constructor(inner: Database) {
    this.inner = inner;
  }
  crashNextBatch(): void {
    this.armed = true;
  }
  private check(): void {
    if (this.dead) throw storageError('STORAGE_SIMULATED_CRASH', 'handle died in a simulated crash');
  }
  async get(key: Uint8Array) {
    this.check();
    return this.inner.get(key);
  }
  async batch(ops: BatchOp[], opts?: BatchOptions) {
    this.check();
    if (this.armed) {
      this.armed = false;
      this.dead = true;
      throw storageError('STORAGE_SIMULATED_CRASH', 'batch dropped');
    }
    return this.inner.batch(ops, opts);
  }
  iterate(opts: IterateOptions) {
    this.check();
    return this.inner.iterate(opts);
  }
  async close() {
    // A dead process closes nothing; the test closes the inner handle itself.
    if (!this.dead) await this.inner.close();
  }
  closeInner() {
    return this.inner.close();
  }
}

export type BackendName = 'memory' | 'level';
export const BACKENDS: BackendName[] = ['memory', 'level'];

export async function makeBackend(name: BackendName): Promise<Backend> {
  if (name === 'memory') {
    const db = new MemoryDatabase();
    return {
      db,
      async reopen() {
        db.restart();
        return db;
      },
      crashNextBatch: () => db.failNextBatch(),
      async cleanup() {
        await db.close();
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'edgechain-storage-'));
  const handles: Database[] = [];
  let current: CrashingDatabase;
  const open = async () => {
    const level = await LevelDatabase.open(join(dir, 'db'));
    handles.push(level);
    current = new CrashingDatabase(level);
    return current;
  };
  const first = await open();
  const backend: Backend = {
    db: first,
    async reopen() {
      // The previous process is gone: release its LevelDB lock, then open afresh.
      for (const h of handles) await h.close();
      handles.length = 0;
      backend.db = await open();
      return backend.db;
    },
    crashNextBatch: () => current.crashNextBatch(),
    async cleanup() {
      for (const h of handles) await h.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return backend;
}

// ---- a small real chain ----

export const CHAIN_ID = 'storage-test';
export const sealer = keyPairFromLabel('storage-sealer-0');
export const users = [0, 1, 2].map((i) => keyPairFromLabel('storage-user-' + i));

export function testGenesis(chainId = CHAIN_ID): Genesis {
  return parseGenesis({
    chainId,
    timestamp: 1_764_115_200_000,
    sealers: [{ name: 'sealer-0', publicKey: toHex(sealer.publicKey), role: 'proxy' }],
    accounts: users.map((u, i) => ({ name: 'user-' + i, address: u.address, role: 'user' as const, balance: 1000 })),
  });
}

export const stateRootAt = (h: number) => sha256(utf8('state-root-' + h));

export function genesisCommit(g: Genesis = testGenesis()): GenesisCommit {
  const root = stateRootAt(0);
  return {
    genesisHash: genesisHash(g),
    block: genesisBlock(g, root),
    stateRoot: root,
    writes: users.map((u, i) => ({ key: utf8('acct/' + u.address), value: u64be(1000 + i) })),
  };
}

/** The commit input of block `height` on top of `parent`: `txCount` real signed txs, fake receipts and writes. */
export function blockCommit(parent: DecodedBlock, height: number, txCount: number, nonces: number[]): BlockCommit {
  const txs: SignedTx[] = [];
  for (let i = 0; i < txCount; i++) {
    const u = i % users.length;
    txs.push(signTx(users[u], CHAIN_ID, nonces[u]++, { kind: 'edgeMatch', edgeMatch: { lat: 100_000 * (height % 900), lon: i, taskType: 'video', demand: 1, maxPrice: 10, durationS: 60 } }));
  }
  const stateRoot = stateRootAt(height);
  const block = buildBlock(
    { chainId: CHAIN_ID, height, parentHash: parent.hash, timestamp: 1_764_115_200_000 + height * 1000, proposer: addressBytes(sealer.publicKey), view: 0, stateRoot, receiptRoot: new Uint8Array(32) },
    txs,
  );
  const seal = { sealer: 0, signature: sign(voteBytes('commit', CHAIN_ID, height, 0, block.hash), sealer.secretKey) };
  const certificate = encodeCertificate(buildCertificate(height, 0, block.hash, [seal]));
  const receipts = txs.map((t, i) =>
    ReceiptCodec.encode({ txHash: t.hash, height, index: i, status: i % 3 === 2 ? 1 : 0, reason: i % 3 === 2 ? 'no node' : '', sender: addressBytes(t.tx.publicKey) }),
  );
  const failed = txs.filter((_, i) => i % 3 === 2).length;
  const writes: StateWrite[] = [
    { key: utf8('height'), value: u64be(height) },
    { key: utf8(`block/${String(height).padStart(4, '0')}`), value: block.hash },
  ];
  // Delete the record the block before last wrote, so deletes are exercised.
  if (height >= 2) writes.push({ key: utf8(`block/${String(height - 2).padStart(4, '0')}`), value: null });
  return { block, certificate, receipts, writes, stateRoot, failed };
}

/** A chain of `n` blocks after genesis, with 0..4 txs each. */
export function buildChain(n: number): { genesis: GenesisCommit; blocks: BlockCommit[] } {
  const genesis = genesisCommit();
  const nonces = users.map(() => 0);
  const blocks: BlockCommit[] = [];
  let parent = genesis.block;
  for (let h = 1; h <= n; h++) {
    const c = blockCommit(parent, h, h % 5, nonces);
    blocks.push(c);
    parent = c.block;
  }
  return { genesis, blocks };
}

/** The state the chain leaves after blocks 1..upTo, as sorted hex key → hex value. */
export function expectedState(chain: { genesis: GenesisCommit; blocks: BlockCommit[] }, upTo: number): Map<string, string> {
  const m = new Map<string, string>();
  const apply = (ws: StateWrite[]) => {
    for (const w of ws) {
      if (w.value === null) m.delete(toHex(w.key));
      else m.set(toHex(w.key), toHex(w.value));
    }
  };
  apply(chain.genesis.writes);
  for (const b of chain.blocks.slice(0, upTo)) apply(b.writes);
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
