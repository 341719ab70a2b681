import { keyPairFromLabel, type KeyPair } from '../../src/crypto/keys.ts';
import { signTx, DEFAULT_PARAMS, type SignedTx } from '../../src/chain/index.ts';
import type { ChainParams, Genesis, TxPayload } from '../../src/codec/types.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { leaseKey } from '../../src/domain/keys.ts';
import { WorldState, type ExecutionResult, type StateWrite } from '../../src/state/index.ts';

export const CHAIN = 'edgechain-state-test';

const keys = new Map<string, KeyPair>();
export function key(label: string): KeyPair {
  let k = keys.get(label);
  if (!k) keys.set(label, (k = keyPairFromLabel('state/' + label)));
  return k;
}
export const addr = (label: string) => key(label).address;
export const addrBytes = (label: string) => fromHex(addr(label))!;

/**
 * The chain parameter that keeps the rules of before paid leases (free, open-ended leases) for
 * every height a test reaches: the tests and the replay fixture written for those rules run
 * under it (docs/PAYMENTS.md, "Compatibility").
 */
export const LEGACY_RULES: Partial<ChainParams> = { paymentsFromHeight: 0xffffffff };

/** Genesis with the given accounts (label → role, balance) and parameter overrides. */
export function genesis(accounts: Record<string, { role: 'proxy' | 'company' | 'user'; balance?: number }>, params: Partial<ChainParams> = {}): Genesis {
  return {
    chainId: CHAIN,
    timestamp: 1_700_000_000_000,
    sealers: [{ name: 'proxy', publicKey: key('proxy').publicKey, role: 'proxy' }],
    accounts: Object.entries(accounts).map(([label, a]) => ({ address: addrBytes(label), role: a.role, balance: a.balance ?? 0, name: label })),
    params: { ...DEFAULT_PARAMS, ...params },
  };
}

const STD_ACCOUNTS = {
  proxy: { role: 'proxy', balance: 1000 },
  acme: { role: 'company', balance: 1000 },
  globex: { role: 'company', balance: 500 },
  alice: { role: 'user', balance: 100 },
} as const;

/** The standard accounts under the rules of before paid leases (the replay fixture's genesis). */
export const STD_GENESIS = () => genesis(STD_ACCOUNTS, LEGACY_RULES);

/** The standard accounts under paid leases and channels from height 1, with `params` overrides. */
export const PAID_GENESIS = (params: Partial<ChainParams> = {}) => genesis(STD_ACCOUNTS, params);

/** The chain rules of a genesis (what WorldState.load needs). */
export { rulesOf } from '../../src/domain/index.ts';

/** Builds signed txs with automatic per-sender nonces. */
export class TxMaker {
  private readonly nonces = new Map<string, number>();
  tx(label: string, payload: TxPayload, nonce?: number): SignedTx {
    const n = nonce ?? this.nonces.get(label) ?? 0;
    if (nonce === undefined) this.nonces.set(label, n + 1);
    return signTx(key(label), CHAIN, n, payload);
  }
  /** Forget a nonce bump (after a rejected block). */
  setNonce(label: string, n: number): void {
    this.nonces.set(label, n);
  }
}

export const P = {
  register: (info: string): TxPayload => ({ kind: 'registerDevice', registerDevice: { info } }),
  add: (id: string, lat: number, lon: number, capacity: number, types: string[], price: number): TxPayload => ({
    kind: 'addNode',
    addNode: { id, lat, lon, capacity, serviceTypes: types, price },
  }),
  update: (id: string, lat: number, lon: number, capacity: number, types: string[], price: number, online: boolean): TxPayload => ({
    kind: 'updateNode',
    updateNode: { id, lat, lon, capacity, serviceTypes: types, price, online },
  }),
  remove: (id: string): TxPayload => ({ kind: 'removeNode', removeNode: { id } }),
  match: (lat: number, lon: number, taskType: string, demand: number, maxPrice = 0, durationS = 0): TxPayload => ({
    kind: 'edgeMatch',
    edgeMatch: { lat, lon, taskType, demand, maxPrice, durationS },
  }),
  renew: (leaseId: number, extendS: number): TxPayload => ({ kind: 'renewLease', renewLease: { leaseId, extendS } }),
  open: (payeeLabel: string, deposit: number, expiresInS: number): TxPayload => ({ kind: 'channelOpen', channelOpen: { payee: addrBytes(payeeLabel), deposit, expiresInS } }),
  topUp: (channelId: number, amount: number): TxPayload => ({ kind: 'channelTopUp', channelTopUp: { channelId, amount } }),
  claim: (channelId: number, amount: number, signature: Uint8Array): TxPayload => ({ kind: 'channelClaim', channelClaim: { channelId, amount, signature } }),
  close: (channelId: number, amount = 0, signature: Uint8Array = new Uint8Array(0)): TxPayload => ({ kind: 'channelClose', channelClose: { channelId, amount, signature } }),
  refund: (channelId: number): TxPayload => ({ kind: 'channelRefund', channelRefund: { channelId } }),
  release: (leaseId: number): TxPayload => ({ kind: 'releaseLease', releaseLease: { leaseId } }),
  transfer: (toLabel: string, amount: number): TxPayload => ({ kind: 'transfer', transfer: { to: addrBytes(toLabel), amount } }),
};

/** Executes and commits one block; throws if the block is rejected. */
export function run(ws: WorldState, height: number, txs: SignedTx[], timestamp = 1_700_000_000_000 + height * 1000): ExecutionResult {
  const r = ws.execute({ height, timestamp, proposer: addr('proxy') }, txs);
  if (!r.ok) throw r.error;
  ws.commit();
  return r.value;
}

/** Applies a write set to a hex key → value map: what ChainStore keeps on disk (a null value deletes). */
export function applyToStore(store: Map<string, Uint8Array>, writes: readonly StateWrite[]): void {
  for (const w of writes) {
    const k = toHex(w.key);
    if (w.value) store.set(k, w.value);
    else store.delete(k);
  }
}

/** The (key, value) records of such a map, as `buildTree` and `WorldState.load` take them. */
export function storeEntries(store: Map<string, Uint8Array>): [Uint8Array, Uint8Array][] {
  return [...store].map(([k, v]) => [fromHex(k)!, v]);
}

/** A seeded PRNG (mulberry32): tests replay exactly. */
export { mulberry32 as prng } from '../sim/prng.ts';

/**
 * All the answers the queries give, for exact comparisons of two states. `retired`: the
 * archive of rows that left the state (hex state key → final value, as ChainStore keeps it),
 * for a state loaded from stored entries, which knows no recently ended lease by itself.
 */
export function snapshot(ws: WorldState, labels: string[], leaseIds: number[], retired?: ReadonlyMap<string, Uint8Array>) {
  const lease = (id: number) => {
    const v = ws.lease(id);
    if (v || !retired) return v;
    const stored = retired.get(Buffer.from(leaseKey(id)).toString('hex'));
    return stored ? ws.leaseOfStored(id, stored) : null;
  };
  return {
    height: ws.height,
    root: Buffer.from(ws.stateRoot).toString('hex'),
    nodeCount: ws.nodeCount,
    leaseCount: ws.leaseCount,
    accounts: labels.map((l) => ws.account(addr(l))),
    devices: labels.map((l) => ws.device(addr(l))),
    nodes: ws.edgeNodes({ limit: 1_000_000 }),
    leases: leaseIds.map(lease),
  };
}
