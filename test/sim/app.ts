import { sha256, ZERO_HASH } from '../../src/crypto/hash.ts';
import { addressBytes, keyPairFromLabel, verify, type KeyPair } from '../../src/crypto/keys.ts';
import { buildBlock, type DecodedBlock } from '../../src/chain/block.ts';
import { signTx, txSignMessage, NO_GENESIS, type SignedTx } from '../../src/chain/tx.ts';
import { toHex } from '../../src/util/bytes.ts';

/**
 * A minimal deterministic application for the simulator (independent of src/state):
 * blocks carry real signed `transfer` txs; a block is valid when every tx verifies and
 * none was included before; state root = sha256(parent root || tx hashes...).
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

export const SIM_CHAIN_ID = 'edgechain-sim';
export const GENESIS_ROOT = sha256(new TextEncoder().encode('sim-genesis-root'));

const CLIENTS = 8;
let clientKeys: KeyPair[] | null = null;
const TXS: SignedTx[] = [];

/** The k-th transaction of the (shared, deterministic) workload. */
export function workloadTx(k: number): SignedTx {
  if (!clientKeys) clientKeys = Array.from({ length: CLIENTS }, (_, i) => keyPairFromLabel('sim-client-' + i));
  while (TXS.length <= k) {
    const i = TXS.length;
    const key = clientKeys[i % CLIENTS];
    const to = addressBytes(clientKeys[(i + 1) % CLIENTS].publicKey);
    TXS.push(signTx(key, SIM_CHAIN_ID, Math.floor(i / CLIENTS), { kind: 'transfer', transfer: { to, amount: 1 + (i % 7) } }));
  }
  return TXS[k];
}

export function stateRootOf(parentRoot: Uint8Array, txs: readonly SignedTx[]): Uint8Array {
  return sha256(parentRoot, ...txs.map((t) => t.hash));
}

export class SimApp {
  root: Uint8Array = GENESIS_ROOT;
  readonly included = new Set<string>();
  /** Volatile pool, in arrival order. */
  pool = new Map<string, SignedTx>();
  maxBlockTxs = 8;
  private readonly verifyFn: VerifyFn;

  constructor(verifyFn: VerifyFn) {
    this.verifyFn = verifyFn;
  }

  addTx(tx: SignedTx): void {
    if (!this.included.has(tx.hashHex)) this.pool.set(tx.hashHex, tx);
  }

  get pending(): boolean {
    return this.pool.size > 0;
  }

  build(key: KeyPair, height: number, view: number, parentHash: Uint8Array, timestamp: number): DecodedBlock | null {
    const txs = [...this.pool.values()].slice(0, this.maxBlockTxs);
    if (txs.length === 0) return null;
    return buildBlock(
      {
        chainId: SIM_CHAIN_ID,
        height,
        parentHash,
        timestamp,
        proposer: addressBytes(key.publicKey),
        view,
        stateRoot: stateRootOf(this.root, txs),
        receiptRoot: ZERO_HASH,
      },
      txs,
    );
  }

  /** Validate every tx and re-execute: the verdict and the state root computed. */
  validate(block: DecodedBlock): { valid: boolean; stateRoot: Uint8Array | null; reason?: string } {
    for (const t of block.txs) {
      if (this.included.has(t.hashHex)) return { valid: false, stateRoot: null, reason: 'tx already included' };
      if (!this.verifyFn(t.tx.signature, txSignMessage(t.tx.body, NO_GENESIS), t.tx.publicKey)) return { valid: false, stateRoot: null, reason: 'bad tx signature' };
    }
    return { valid: true, stateRoot: stateRootOf(this.root, block.txs) };
  }

  apply(block: DecodedBlock): void {
    this.root = stateRootOf(this.root, block.txs);
    for (const t of block.txs) {
      this.included.add(t.hashHex);
      this.pool.delete(t.hashHex);
    }
  }
}
