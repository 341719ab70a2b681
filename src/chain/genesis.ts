import { sha256, ZERO_HASH } from '../crypto/hash.ts';
import { addressOf, parseAddress, PUBLIC_KEY_LENGTH } from '../crypto/keys.ts';
import { GenesisCodec } from '../codec/chain.ts';
import type { ChainParams, Genesis } from '../codec/types.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { chainError } from './errors.ts';
import { DEFAULT_PARAMS } from './params.ts';
import { SealerSet, type SealerRole } from './sealers.ts';
import { buildBlock, type DecodedBlock } from './block.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { genesisProblems } from './genesis-schema.ts';

export type AccountRole = 'proxy' | 'company' | 'user';

/**
 * Genesis as operators write it (config/genesis.json):
 * {
 *   "chainId": "edgechain-testnet",
 *   "timestamp": 1764115200000,
 *   "sealers":  [{ "name": "proxy", "publicKey": "<64 hex>", "role": "proxy" }, …],
 *   "accounts": [{ "name": "company-a", "address": "0x…", "role": "company", "balance": 1000000 }, …],
 *   "params":   { "viewTimeoutMs": 2000, … }          // optional, defaults in params.ts
 * }
 */
export interface GenesisJson {
  chainId: string;
  timestamp: number;
  sealers: { name: string; publicKey: string; role: SealerRole; operator?: string }[];
  /** The initial observer set (docs/GOVERNANCE.md). */
  observers?: { name: string; publicKey: string }[];
  accounts?: { name?: string; address: string; role: AccountRole; balance?: number }[];
  params?: Partial<ChainParams>;
}

const CHAIN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const bad = (msg: string) => chainError('GENESIS_INVALID', msg);

/** Validates genesis JSON and turns it into the Genesis message. Throws a GENESIS_INVALID error with the reason. */
export function parseGenesis(json: unknown): Genesis {
  if (typeof json !== 'object' || json === null) throw bad('genesis must be a JSON object');
  const problems = genesisProblems(json);
  if (problems.length) throw bad(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`);
  const g = json as Partial<GenesisJson>;
  if (typeof g.chainId !== 'string' || !CHAIN_ID_RE.test(g.chainId)) throw bad('chainId must be 1..64 of [a-z0-9._-], starting with a letter or digit');
  if (!Number.isSafeInteger(g.timestamp) || (g.timestamp as number) < 0) throw bad('timestamp must be a non-negative integer (ms)');
  if (!Array.isArray(g.sealers) || g.sealers.length === 0) throw bad('sealers must be a non-empty list');
  const sealers = g.sealers.map((s, i) => {
    const pk = typeof s?.publicKey === 'string' ? fromHex(s.publicKey) : null;
    if (!pk || pk.length !== PUBLIC_KEY_LENGTH) throw bad(`sealers[${i}].publicKey must be 64 hex characters`);
    if (s.role !== 'proxy' && s.role !== 'company') throw bad(`sealers[${i}].role must be "proxy" or "company"`);
    if (typeof s.name !== 'string' || !s.name) throw bad(`sealers[${i}].name is required`);
    let operator: Uint8Array = new Uint8Array(0);
    if (s.operator !== undefined) {
      const op = typeof s.operator === 'string' ? parseAddress(s.operator) : null;
      if (!op) throw bad(`sealers[${i}].operator must be 0x + 40 hex characters`);
      operator = fromHex(op)!;
    }
    return { name: s.name, publicKey: pk, role: s.role, operator };
  });
  if (new Set(sealers.map((s) => toHex(s.publicKey))).size !== sealers.length) throw bad('a sealer key appears twice');
  const accounts = (g.accounts ?? []).map((a, i) => {
    const addr = typeof a?.address === 'string' ? parseAddress(a.address) : null;
    if (!addr) throw bad(`accounts[${i}].address must be 0x + 40 hex characters`);
    if (a.role !== 'proxy' && a.role !== 'company' && a.role !== 'user') throw bad(`accounts[${i}].role must be "proxy", "company" or "user"`);
    const balance = a.balance ?? 0;
    if (!Number.isSafeInteger(balance) || balance < 0) throw bad(`accounts[${i}].balance must be a non-negative integer`);
    return { address: fromHex(addr)!, role: a.role, balance, name: a.name ?? '' };
  });
  if (new Set(accounts.map((a) => toHex(a.address))).size !== accounts.length) throw bad('an account address appears twice');
  const observers = (g.observers ?? []).map((o, i) => {
    const pk = typeof o?.publicKey === 'string' ? fromHex(o.publicKey) : null;
    if (!pk || pk.length !== PUBLIC_KEY_LENGTH) throw bad(`observers[${i}].publicKey must be 64 hex characters`);
    if (typeof o.name !== 'string' || !o.name) throw bad(`observers[${i}].name is required`);
    return { name: o.name, publicKey: pk };
  });
  if (new Set(observers.map((o) => toHex(o.publicKey))).size !== observers.length) throw bad('an observer key appears twice');
  // total supply must fit below 2^53 so that no payout of escrowed tokens can overflow (docs/PAYMENTS.md)
  if (accounts.reduce((s, a) => s + a.balance, 0) > Number.MAX_SAFE_INTEGER) throw bad('the sum of the account balances must be at most 2^53 - 1');
  const params: ChainParams = { ...DEFAULT_PARAMS };
  for (const [k, v] of Object.entries(g.params ?? {})) {
    if (!(k in DEFAULT_PARAMS)) throw bad(`unknown chain parameter "${k}"`);
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) throw bad(`params.${k} must be a 32-bit unsigned integer`);
    (params as unknown as Record<string, number>)[k] = v as number;
  }
  if (params.maxBlockTxs < 1 || params.maxTxBytes < 200 || params.maxBlockBytes < params.maxTxBytes) throw bad('params: block limits too small');
  if (params.viewTimeoutMs < 1 || params.maxViewTimeoutMs < params.viewTimeoutMs) throw bad('params: maxViewTimeoutMs must be >= viewTimeoutMs >= 1');
  return { chainId: g.chainId, timestamp: g.timestamp as number, sealers, accounts, params, observers };
}

export function genesisToJson(g: Genesis): GenesisJson {
  return {
    chainId: g.chainId,
    timestamp: g.timestamp,
    sealers: g.sealers.map((s) => ({ name: s.name, publicKey: toHex(s.publicKey), role: s.role as SealerRole, ...(s.operator?.length ? { operator: toHex(s.operator, true) } : {}) })),
    ...(g.observers?.length ? { observers: g.observers.map((o) => ({ name: o.name, publicKey: toHex(o.publicKey) })) } : {}),
    accounts: g.accounts.map((a) => ({ name: a.name, address: toHex(a.address, true), role: a.role as AccountRole, balance: a.balance })),
    params: { ...g.params },
  };
}

/** SHA-256 of the encoded Genesis: it becomes the parent hash of block 0, so a chain commits to its genesis. */
export function genesisHash(g: Genesis): Uint8Array {
  return sha256(GenesisCodec.encode(g));
}

export function genesisSealerSet(g: Genesis): SealerSet {
  return SealerSet.fromKeys(g.sealers.map((s) => ({ name: s.name, publicKey: s.publicKey, role: s.role as SealerRole })));
}

/** Block 0: no txs, parent hash = genesis hash, the state root of the initial state (computed by state/). */
export function genesisBlock(g: Genesis, stateRoot: Uint8Array): DecodedBlock {
  return buildBlock(
    {
      chainId: g.chainId,
      height: 0,
      parentHash: genesisHash(g),
      timestamp: g.timestamp,
      proposer: new Uint8Array(20),
      view: 0,
      stateRoot,
      receiptRoot: merkleRoot([]),
    },
    [],
  );
}

export { addressOf, ZERO_HASH };
