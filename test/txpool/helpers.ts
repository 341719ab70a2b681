import { keyPairFromLabel, type KeyPair } from '../../src/crypto/keys.ts';
import { signTx, TxVerifier, type SignedTx } from '../../src/chain/tx.ts';
import type { NonceSource } from '../../src/state/interface.ts';
import { TxPool, type RemovalReason, type TxPoolInit } from '../../src/txpool/index.ts';

export const CHAIN = 'edgechain-test';

const keys = new Map<string, KeyPair>();
export function key(label: string): KeyPair {
  let k = keys.get(label);
  if (!k) keys.set(label, (k = keyPairFromLabel(label)));
  return k;
}

const txCache = new Map<string, SignedTx>();
/** A transfer of `amount` by `label` at `nonce` (cached: signing is the slow part). Different amounts = different txs. */
export function tx(label: string, nonce: number, amount = 1, chainId = CHAIN): SignedTx {
  const id = `${label}/${nonce}/${amount}/${chainId}`;
  let t = txCache.get(id);
  if (!t) {
    t = signTx(key(label), chainId, nonce, { kind: 'transfer', transfer: { to: new Uint8Array(20), amount } });
    txCache.set(id, t);
  }
  return t;
}

/** A registerDevice tx with `infoBytes` of payload, for byte-limit tests. */
export function bigTx(label: string, nonce: number, infoBytes: number): SignedTx {
  return signTx(key(label), CHAIN, nonce, { kind: 'registerDevice', registerDevice: { info: 'x'.repeat(infoBytes) } });
}

export const addr = (label: string) => key(label).address;

/** The committed state as the pool sees it: a Map of next nonces. */
export class FakeState implements NonceSource {
  readonly nonces = new Map<string, number>();
  nonceOf(address: string): number {
    return this.nonces.get(address) ?? 0;
  }
  set(address: string, n: number): void {
    this.nonces.set(address, n);
  }
  /** Applies a block: every tx consumes its sender's nonce (it must be the next one). */
  apply(txs: readonly SignedTx[]): void {
    for (const t of txs) {
      const want = this.nonceOf(t.sender);
      if (t.body.nonce !== want) throw new Error(`block tx ${t.hashHex} nonce ${t.body.nonce}, state expects ${want}`);
      this.nonces.set(t.sender, want + 1);
    }
  }
}

export interface Harness {
  pool: TxPool;
  state: FakeState;
  verifier: TxVerifier;
  removed: Array<{ tx: SignedTx; reason: RemovalReason }>;
  promoted: SignedTx[];
  /** Applies `txs` to the state, then tells the pool. */
  commit(txs: readonly SignedTx[]): void;
}

export function harness(opts: Partial<TxPoolInit> = {}): Harness {
  const state = new FakeState();
  const verifier = new TxVerifier();
  const pool = new TxPool({ chainId: CHAIN, ...opts }, { state, verifier });
  const h: Harness = {
    pool,
    state,
    verifier,
    removed: [],
    promoted: [],
    commit(txs) {
      state.apply(txs);
      pool.onCommit(txs);
    },
  };
  pool.subscribe({
    removed: (txs, reason) => h.removed.push(...txs.map((t) => ({ tx: t, reason }))),
    promoted: (txs) => h.promoted.push(...txs),
  });
  return h;
}

/** Each sender's nonces in `batch`, in batch order. */
export function noncesBySender(batch: readonly SignedTx[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const t of batch) {
    const l = m.get(t.sender) ?? [];
    l.push(t.body.nonce);
    m.set(t.sender, l);
  }
  return m;
}

/** True if every sender's txs in `batch` run contiguously from its committed nonce. */
export function contiguous(batch: readonly SignedTx[], state: NonceSource): boolean {
  for (const [sender, nonces] of noncesBySender(batch)) {
    const base = state.nonceOf(sender);
    if (!nonces.every((n, i) => n === base + i)) return false;
  }
  return true;
}
