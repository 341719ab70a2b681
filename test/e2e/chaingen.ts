/**
 * Writes a synthetic but fully valid chain straight into a node's data dir, with the code
 * paths the node uses: real signed txs executed by WorldState, blocks from buildBlock, commit
 * certificates of a quorum of real COMMIT seals (voteBytes + buildCertificate, as the engine
 * produces them), one ChainStore.commitBlock per block into LevelDB. A node started on the dir
 * resumes from its head; any node syncing from it verifies everything as usual.
 *
 * Tx mix after a setup phase (every device registers, each company adds 20 edge nodes), like
 * the e2e bench: 5 % AddNode (companies), 15 % Transfer, 80 % EdgeMatch (devices).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addressBytes, sign, type KeyPair } from '../../src/crypto/index.ts';
import {
  buildBlock, buildCertificate, encodeCertificate, genesisBlock, genesisHash, genesisSealerSet, signTx, voteBytes,
  type SignedTx,
} from '../../src/chain/index.ts';
import type { Genesis, TxPayload } from '../../src/codec/types.ts';
import { WorldState } from '../../src/state/world.ts';
import { LevelDatabase } from '../../src/storage/level.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { fromHex } from '../../src/util/bytes.ts';
import { mulberry32 } from '../sim/prng.ts';

const MELBOURNE = { lat: -37_813_600, lon: 144_963_100 };

export interface ChainGenOptions {
  /** The node's data dir (LevelDB goes to <dataDir>/db, as the node opens it). Must not hold a chain yet. */
  dataDir: string;
  genesis: Genesis;
  /** Keys of the genesis sealers (by genesis order); the first `quorum` of each rotation sign. */
  sealerKeys: KeyPair[];
  /** Accounts with role user in genesis (send RegisterDevice, EdgeMatch, Transfer). */
  devices: KeyPair[];
  /** Accounts with role company in genesis (send AddNode). */
  companies: KeyPair[];
  blocks: number;
  /** Mean txs per block (each block holds 0 .. 2 × mean, uniformly). */
  meanTxs: number;
  seed?: number;
  /** Timestamp of the last block (ms); blocks are `intervalMs` apart. Default: now. */
  endTimestamp?: number;
  intervalMs?: number;
  /** Called every 1,000 blocks. */
  progress?: (height: number, txs: number) => void;
}

export interface ChainGenResult {
  blocks: number;
  txs: number;
  failed: number;
  bytes: number;
}

export async function generateChain(o: ChainGenOptions): Promise<ChainGenResult> {
  const { genesis } = o;
  const chainId = genesis.chainId;
  const gh = genesisHash(genesis);
  const sealers = genesisSealerSet(genesis);
  if (o.sealerKeys.length !== sealers.n) throw new Error(`${o.sealerKeys.length} sealer keys for ${sealers.n} sealers`);
  o.sealerKeys.forEach((k, i) => {
    if (sealers.indexOfKey(k.publicKey) !== i) throw new Error(`sealer key ${i} is not genesis sealer ${i}`);
  });
  const rnd = mulberry32(o.seed ?? 1);
  const interval = o.intervalMs ?? 250;
  const endTs = o.endTimestamp ?? Date.now();
  const firstTs = Math.max(genesis.timestamp + interval, endTs - o.blocks * interval);

  mkdirSync(o.dataDir, { recursive: true });
  const db = await LevelDatabase.open(join(o.dataDir, 'db'));
  const gHash = genesisHash(genesis);
  // no fsync per block while generating (a crash here only loses the bench's scratch chain)
  const store = await ChainStore.open(db, { genesisHash: gHash, syncCommits: false });
  try {
    if (store.head()) throw new Error(`${o.dataDir} already holds a chain`);
    const { state, result } = WorldState.fromGenesis(genesis);
    const b0 = genesisBlock(genesis, result.stateRoot);
    await store.commitGenesis({ genesisHash: gHash, block: b0, writes: result.writes, stateRoot: result.stateRoot });

    // ---- the tx stream: setup first, then the load mix
    const nonces = new Map<string, number>();
    const next = (k: KeyPair) => {
      const n = nonces.get(k.address) ?? 0;
      nonces.set(k.address, n + 1);
      return n;
    };
    const setup: (() => SignedTx)[] = [];
    o.devices.forEach((d, i) => setup.push(() => signTx(d, chainId, next(d), { kind: 'registerDevice', registerDevice: { info: `sync-bench-device-${i + 1}` } }, gh)));
    o.companies.forEach((c, j) => {
      for (let k = 0; k < 20; k++) {
        const payload: TxPayload = { kind: 'addNode', addNode: { id: `base-${j}-${k}`, lat: MELBOURNE.lat + ((k * 7919 + j * 104729) % 200_000) - 100_000, lon: MELBOURNE.lon + ((k * 6271 + j * 130363) % 200_000) - 100_000, capacity: 1_000_000, serviceTypes: ['video', 'ml'], price: 1 + ((j + k) % 5) } };
        setup.push(() => signTx(c, chainId, next(c), payload, gh));
      }
    });
    let k = 0;
    let dev = 0;
    const loadTx = (): SignedTx => {
      const r = k % 20;
      const i = k++;
      if (r === 0) {
        const j = (i / 20) % o.companies.length;
        const c = o.companies[j];
        return signTx(c, chainId, next(c), { kind: 'addNode', addNode: { id: `n-${i}`, lat: MELBOURNE.lat + ((i * 7919) % 300_000) - 150_000, lon: MELBOURNE.lon + ((i * 6271) % 300_000) - 150_000, capacity: 1000, serviceTypes: ['video'], price: 1 + (i % 5) } }, gh);
      }
      const di = dev++ % o.devices.length;
      const d = o.devices[di];
      const payload: TxPayload = r <= 3
        ? { kind: 'transfer', transfer: { to: fromHex(o.devices[(di + 1) % o.devices.length].address.slice(2))!, amount: 1 } }
        : { kind: 'edgeMatch', edgeMatch: { lat: MELBOURNE.lat + ((i * 104729) % 200_000) - 100_000, lon: MELBOURNE.lon + ((i * 130363) % 200_000) - 100_000, taskType: i % 2 ? 'video' : 'ml', demand: 1, maxPrice: 0, durationS: 60 } };
      return signTx(d, chainId, next(d), payload, gh);
    };

    let parentHash = b0.hash;
    let txs = 0;
    let failed = 0;
    let bytes = 0;
    for (let h = 1; h <= o.blocks; h++) {
      const n = Math.floor(rnd() * (2 * o.meanTxs + 1));
      const blockTxs: SignedTx[] = [];
      while (blockTxs.length < n) blockTxs.push(setup.length ? setup.shift()!() : loadTx());
      const timestamp = firstTs + (h - 1) * interval;
      const leader = sealers.leader(h, 0);
      const r = state.execute({ height: h, timestamp, proposer: leader.address }, blockTxs);
      if (!r.ok) throw new Error(`chaingen: block ${h} does not execute: ${r.error.message}`);
      const res = r.value;
      const block = buildBlock(
        { chainId, height: h, parentHash, timestamp, proposer: addressBytes(leader.publicKey), view: 0, stateRoot: res.stateRoot, receiptRoot: res.receiptRoot },
        blockTxs,
      );
      // COMMIT seals of a quorum (rotating which sealer is missing), as the engine signs them
      const vote = voteBytes('commit', chainId, h, 0, block.hash);
      const seals = [];
      for (let s = 0; seals.length < sealers.quorum; s++) {
        const idx = (h + s) % sealers.n;
        seals.push({ sealer: idx, signature: sign(vote, o.sealerKeys[idx].secretKey) });
      }
      const certificate = encodeCertificate(buildCertificate(h, 0, block.hash, seals));
      await store.commitBlock({ block, certificate, receipts: res.receiptBytes, writes: res.writes, stateRoot: res.stateRoot, failed: res.failed, pruneWalThroughHeight: h - 1 });
      state.commit();
      parentHash = block.hash;
      txs += blockTxs.length;
      failed += res.failed;
      bytes += block.bytes.length + certificate.length;
      if (h % 1000 === 0) o.progress?.(h, txs);
    }
    return { blocks: o.blocks, txs, failed, bytes };
  } finally {
    await store.close();
  }
}
