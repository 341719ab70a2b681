/**
 * A consortium for the governance tests (test/kinds/propose.test.ts, vote.test.ts,
 * test/state/governance.test.ts): n companies c0…c(n−1), a proxy, a user alice, and s sealers
 * s0…s(s−1) (s0 run by the proxy, si by company c(i−1) when there is one). Blocks are
 * executed on the real WorldState with the proposer of view 0 of the set of that height,
 * unless a test names the proposer (a sealer that is down never proposes).
 */
import { DEFAULT_PARAMS } from '../../src/chain/index.ts';
import type { Genesis, TxPayload } from '../../src/codec/types.ts';
import { GovAction } from '../../src/domain/governance.ts';
import { WorldState, type ExecutionResult } from '../../src/state/index.ts';
import { CHAIN, TxMaker, addr, addrBytes, key } from '../state/helpers.ts';

export const company = (i: number) => `c${i}`;
export const sealer = (i: number) => `s${i}`;

export function govGenesis(companies: number, sealers = 4): Genesis {
  return {
    chainId: CHAIN,
    timestamp: 1_700_000_000_000,
    sealers: Array.from({ length: sealers }, (_, i) => ({
      name: sealer(i),
      publicKey: key(sealer(i)).publicKey,
      role: i === 0 ? 'proxy' : 'company',
      operator: i === 0 ? addrBytes('proxy') : i - 1 < companies ? addrBytes(company(i - 1)) : new Uint8Array(0),
    })),
    accounts: [
      { address: addrBytes('proxy'), role: 'proxy', balance: 1000, name: 'proxy' },
      ...Array.from({ length: companies }, (_, i) => ({ address: addrBytes(company(i)), role: 'company', balance: 1000, name: company(i) })),
      { address: addrBytes('alice'), role: 'user', balance: 1_000_000, name: 'alice' },
    ],
    params: { ...DEFAULT_PARAMS },
    observers: [],
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export const G = {
  addSealer: (label: string, name = label): TxPayload => ({ kind: 'propose', propose: { action: GovAction.ADD_SEALER, address: new Uint8Array(0), publicKey: key(label).publicKey, name } }),
  removeSealer: (label: string): TxPayload => ({ kind: 'propose', propose: { action: GovAction.REMOVE_SEALER, address: new Uint8Array(0), publicKey: key(label).publicKey, name: '' } }),
  addObserver: (label: string, name = label): TxPayload => ({ kind: 'propose', propose: { action: GovAction.ADD_OBSERVER, address: new Uint8Array(0), publicKey: key(label).publicKey, name } }),
  removeObserver: (label: string): TxPayload => ({ kind: 'propose', propose: { action: GovAction.REMOVE_OBSERVER, address: new Uint8Array(0), publicKey: key(label).publicKey, name: '' } }),
  addCompany: (label: string, name = label): TxPayload => ({ kind: 'propose', propose: { action: GovAction.ADD_COMPANY, address: addrBytes(label), publicKey: new Uint8Array(0), name } }),
  removeCompany: (label: string): TxPayload => ({ kind: 'propose', propose: { action: GovAction.REMOVE_COMPANY, address: addrBytes(label), publicKey: new Uint8Array(0), name: '' } }),
  vote: (proposal: number, reject = false): TxPayload => ({ kind: 'vote', vote: { proposal, reject } }),
};

export const pk = (label: string) => hex(key(label).publicKey);

export function govChain(companies: number, sealers = 4) {
  const g = govGenesis(companies, sealers);
  const ws = WorldState.fromGenesis(g).state;
  const t = new TxMaker();
  let height = 0;
  /** Sealers that are down: they never propose (the leader of a view is skipped to the next live one). */
  const down = new Set<string>();
  const proposerOf = (h: number): string => {
    const set = ws.membershipAt(h)!.sealers;
    for (let v = 0; v < set.length; v++) {
      const s = set[(h + v) % set.length];
      if (![...down].some((l) => pk(l) === s.publicKey)) return s.address;
    }
    throw new Error('every sealer is down');
  };
  const exec = (h: number, txs: [string, TxPayload][]): ExecutionResult => {
    const r = ws.execute({ height: h, timestamp: g.timestamp + h * 1000, proposer: proposerOf(h) }, txs.map(([who, p]) => t.tx(who, p)));
    if (!r.ok) throw r.error;
    ws.commit();
    return r.value;
  };
  return {
    g,
    ws,
    down,
    get height() {
      return height;
    },
    /** One block of (sender label, payload) txs at the next height. */
    block: (...txs: [string, TxPayload][]) => exec(++height, txs),
    /** Blocks with one transfer each (alice → bob) until every live sealer has proposed recently. */
    idle(blocks: number) {
      for (let i = 0; i < blocks; i++) exec(++height, [['alice', { kind: 'transfer', transfer: { to: addrBytes('bob'), amount: 1 } }]]);
    },
    /** Jumps to a later height (the state does not require consecutive heights; expiry tests). */
    jump(to: number) {
      height = to - 1;
    },
    sealers: (h = height + 1) => ws.membershipAt(h)!.sealers.map((s) => s.name),
    companies: (h = height + 1) => ws.membershipAt(h)!.companies.map((c) => c.name),
    observers: (h = height + 1) => ws.membershipAt(h)!.observers.map((o) => o.name),
  };
}

export { addr };
