import { addressBytes as addrBytes, keyPairFromLabel, verify, type KeyPair } from '../../src/crypto/keys.ts';
import { genesisBlock, signTx, txSignMessage, NO_GENESIS, type TxVerifier, type DecodedBlock, type SignedTx } from '../../src/chain/index.ts';
import type { ChainParams, Genesis } from '../../src/codec/types.ts';
import { DEFAULT_PARAMS } from '../../src/chain/params.ts';
import { WorldState } from '../../src/state/world.ts';
import type { ChainStore } from '../../src/storage/chain-store.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { PbftEngine } from '../../src/consensus/engine.ts';
import type { Mutant } from '../../src/consensus/types.ts';
import { Ledger, type LedgerModules } from '../../src/ledger/index.ts';
import { toHex } from '../../src/util/bytes.ts';

/**
 * The simulator's nodes run the real parts: a Ledger over a real WorldState, TxPool and the
 * PbftEngine, real signed transactions of a funded workload. Only the network, the clock and
 * the disk are simulated: each node's "disk" is its committed WorldState (it survives a
 * crash; the pending execution does not) and a block store that records, synchronously, the
 * head of the blocks written and checks that each follows on. (A ChainStore is asynchronous
 * and the simulator is not: its writes would only complete after a whole suite of seeds,
 * holding every block in memory until then. The ledger's writes to a real ChainStore over a
 * MemoryDatabase are tested in test/ledger/.)
 */

export type VerifyFn = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => boolean;

const memo = new Map<string, { msg: Uint8Array; ok: boolean }>();
let memoHits = 0;
let memoMisses = 0;

/** Memoized Ed25519 verification (per process): a broadcast is verified once per run, not per receiver. */
export const memoVerify: VerifyFn = (sig, msg, pub) => {
  const k = toHex(sig) + toHex(pub);
  const m = memo.get(k);
  if (m && m.msg.length === msg.length && Buffer.compare(m.msg, msg) === 0) {
    memoHits++;
    return m.ok;
  }
  memoMisses++;
  const ok = verify(sig, msg, pub);
  if (memo.size > 400_000) memo.clear();
  memo.set(k, { msg, ok });
  return ok;
};

export function memoStats(): { hits: number; misses: number } {
  return { hits: memoHits, misses: memoMisses };
}

/**
 * Tx signatures, verified for real once per process and remembered by tx hash (which covers
 * body, key and signature), good and bad verdicts alike: every node's pool and ledger ask
 * it, as the nodes of a testnet each ask their own TxVerifier. It never forgets within a
 * run (it is bounded across runs).
 */
const txVerdicts = new Map<string, boolean>();
export const memoTxVerifier: Pick<TxVerifier, 'verify' | 'forget'> = {
  verify: (stx) => {
    let v = txVerdicts.get(stx.hashHex);
    if (v === undefined) {
      v = verify(stx.tx.signature, txSignMessage(stx.tx.body, NO_GENESIS), stx.tx.publicKey);
      if (txVerdicts.size > 400_000) txVerdicts.clear();
      txVerdicts.set(stx.hashHex, v);
    }
    return v;
  },
  forget: () => {},
};

export const SIM_CHAIN_ID = 'edgechain-sim';
export const T0 = 1_700_000_000_000;

export const SIM_PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  viewTimeoutMs: 600,
  maxViewTimeoutMs: 5000,
  timestampToleranceMs: 1000,
  minBlockIntervalMs: 0,
};

/** Most txs per proposal in the simulator (blocks stay small: the runs are about consensus). */
export const SIM_BLOCK_TXS = 8;

const CLIENTS = 8;
const keyCache = new Map<string, KeyPair>();
export function labelKey(label: string): KeyPair {
  let k = keyCache.get(label);
  if (!k) keyCache.set(label, (k = keyPairFromLabel(label)));
  return k;
}
const clientKey = (i: number) => labelKey('sim-client-' + i);
export const sealerKey = (i: number) => labelKey('sim-sealer-' + i);

const TXS: SignedTx[] = [];

/**
 * The k-th transaction of the (shared, deterministic) workload: funded clients transferring
 * to each other round-robin, client k mod 8 at nonce floor(k / 8). Signed once per process.
 */
export function workloadTx(k: number): SignedTx {
  while (TXS.length <= k) {
    const i = TXS.length;
    const to = clientKey((i + 1) % CLIENTS).publicKey;
    TXS.push(signTx(clientKey(i % CLIENTS), SIM_CHAIN_ID, Math.floor(i / CLIENTS), { kind: 'transfer', transfer: { to: addrBytes(to), amount: 1 + (i % 7) } }));
  }
  return TXS[k];
}

/** A workload tx that executes on `state`: client c's tx at the nonce the state expects of it. */
export function nextWorkloadTx(state: { nonceOf(address: string): number }, c: number): SignedTx {
  const client = ((c % CLIENTS) + CLIENTS) % CLIENTS;
  return workloadTx(state.nonceOf(clientKey(client).address) * CLIENTS + client);
}

const JUNK: SignedTx[] = [];

/**
 * The k-th never-executable transaction: a fresh key's tx with a nonce gap, alternately nonce 1
 * (its nonce 0 never comes) and nonce 64 (the farthest gap a pool admits). Valid signatures;
 * every pool queues them, no block can take them.
 */
export function junkTx(k: number): SignedTx {
  while (JUNK.length <= k) {
    const i = JUNK.length;
    const nonce = i % 2 === 0 ? 1 : 64;
    JUNK.push(signTx(labelKey('sim-gap-' + i), SIM_CHAIN_ID, nonce, { kind: 'transfer', transfer: { to: addrBytes(clientKey(0).publicKey), amount: 1 } }));
  }
  return JUNK[k];
}

interface SimChain {
  genesis: Genesis;
  /** Hash of block 0: the parent of block 1. */
  block0Hash: Uint8Array;
}

const chains = new Map<string, SimChain>();

/** The one company of a governance simulation (docs/GOVERNANCE.md): its proposals pass at once (1 of 1 approvals). */
export const simCompanyKey = () => labelKey('sim-company');

/**
 * The genesis of an n-sealer simulation: the sealers sim-sealer-0…n-1 (0 is the proxy), the 8
 * workload clients funded; with `gov`, also the company sim-company that votes sealers in and out.
 */
export function simChain(n: number, gov = false): SimChain {
  const ck = `${n}:${gov}`;
  let c = chains.get(ck);
  if (!c) {
    const genesis: Genesis = {
      chainId: SIM_CHAIN_ID,
      timestamp: T0 - 1000,
      sealers: Array.from({ length: n }, (_, i) => ({ name: 'sealer-' + i, publicKey: sealerKey(i).publicKey, role: i === 0 ? 'proxy' : 'company' })),
      accounts: [
        ...Array.from({ length: CLIENTS }, (_, i) => ({ address: addrBytes(clientKey(i).publicKey), role: 'user', balance: 1_000_000_000, name: 'client-' + i })),
        ...(gov ? [{ address: addrBytes(simCompanyKey().publicKey), role: 'company', balance: 0, name: 'sim-company' }] : []),
      ],
      params: SIM_PARAMS,
    };
    const { result } = WorldState.fromGenesis(genesis);
    c = { genesis, block0Hash: genesisBlock(genesis, result.stateRoot).hash };
    chains.set(ck, c);
  }
  return c;
}

/** A node's simulated disk: its committed state, and the head of the blocks written (checked to follow on). */
export interface SimDisk {
  state: WorldState;
  store: Pick<ChainStore, 'commitBlock'>;
  head: { height: number; hash: Uint8Array };
  /** Writes that did not follow the stored head (none expected: the simulator reports them). */
  writeErrors: string[];
  /**
   * Writes a finalized block synchronously (the simulator's stand-in for Ledger.write, which
   * returns a promise: a synchronous run of a hundred seeds would hold one pending promise
   * reaction per block written, about 1 MB per seed, until the whole suite ends).
   */
  write(block: DecodedBlock, stateRoot: Uint8Array): boolean;
}

export function newDisk(n: number, gov = false): SimDisk {
  const { genesis, block0Hash } = simChain(n, gov);
  const { state } = WorldState.fromGenesis(genesis);
  const disk: SimDisk = {
    state,
    head: { height: 0, hash: block0Hash },
    writeErrors: [],
    write(block, stateRoot) {
      const h = block.header;
      if (h.height !== disk.head.height + 1 || toHex(h.parentHash) !== toHex(disk.head.hash) || toHex(h.stateRoot) !== toHex(stateRoot)) {
        disk.writeErrors.push(`block ${h.height} written on head ${disk.head.height}`);
        return false;
      }
      disk.head = { height: h.height, hash: block.hash };
      return true;
    },
    store: {
      commitBlock: (c) => (disk.write(c.block, c.stateRoot) ? Promise.resolve() : Promise.reject(new Error(disk.writeErrors[disk.writeErrors.length - 1]))),
    },
  };
  return disk;
}

export interface SimLedgerInit {
  n: number;
  /** The governance chain of n sealers (simChain's `gov`). */
  gov?: boolean;
  disk: SimDisk;
  key: KeyPair | null;
  params: ChainParams;
  mutant?: Mutant;
  /** EngineOptions.blockPeriodMs (default 0) and the ledger's proposalMaxTxs (default SIM_BLOCK_TXS). */
  blockPeriodMs?: number;
  proposalMaxTxs?: number;
  now: () => number;
  onWork: () => void;
  /** Consensus signature check (default: memoVerify). */
  verify?: VerifyFn;
  /** Tx signature check (default: memoTxVerifier). */
  txVerifier?: Pick<TxVerifier, 'verify' | 'forget'>;
}

/** A started node's parts: a fresh pool and engine over its disk, and the ledger that joins them. */
export function newLedger(o: SimLedgerInit): { ledger: Ledger; pool: TxPool; engine: PbftEngine } {
  const { genesis } = simChain(o.n, o.gov);
  const verifier = o.txVerifier ?? memoTxVerifier;
  const pool = new TxPool({ chainId: SIM_CHAIN_ID, maxTxBytes: genesis.params.maxTxBytes }, { state: o.disk.state, verifier, now: o.now });
  const engine = new PbftEngine({ chainId: SIM_CHAIN_ID, params: o.params, mutant: o.mutant, blockPeriodMs: o.blockPeriodMs ?? 0 }, { key: o.key, sealersAt: (h) => ledger.sealersAt(h), verify: o.verify ?? memoVerify });
  const modules: LedgerModules = { state: o.disk.state, store: o.disk.store, pool, engine, verifier, key: o.key, now: o.now, onWork: o.onWork };
  // the disk writes at once: nothing is ever behind, so write() never waits
  const ledger = new Ledger({ genesis, proposalMaxTxs: o.proposalMaxTxs ?? SIM_BLOCK_TXS, syncWriteBehind: Infinity }, modules);
  return { ledger, pool, engine };
}

/** A block built by the real ledger of a fresh n-sealer chain from `txs` (for hand-driven engine tests). */
export function buildWith(n: number, key: KeyPair, txs: readonly SignedTx[], height: number, view: number, parentHash: Uint8Array, timestamp: number): DecodedBlock | null {
  const { ledger, pool } = newLedger({ n, disk: newDisk(n), key, params: SIM_PARAMS, now: () => timestamp, onWork: () => {} });
  for (const t of txs) pool.add(t);
  const b = ledger.build(height, view, parentHash, timestamp);
  ledger.close();
  return b;
}
