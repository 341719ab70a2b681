import type { ChainParams, Genesis } from '../codec/types.ts';
import { fromHex } from '../util/bytes.ts';
import { Accounts } from './accounts.ts';
import { Channels } from './channels.ts';
import { Counters } from './counters.ts';
import { Devices } from './devices.ts';
import { EdgeNodes } from './edge-nodes.ts';
import { Evidence, type SealerKeysAt } from './evidence.ts';
import { Governance } from './governance.ts';
import { Leases } from './leases.ts';
import type { StateTable } from './table.ts';

export * from './accounts.ts';
export * from './channels.ts';
export * from './expiry-queue.ts';
export * from './evidence.ts';
export * from './vouchers.ts';
export * from './address.ts';
export * from './counters.ts';
export * from './devices.ts';
export * from './edge-nodes.ts';
export * from './errors.ts';
export * from './geo.ts';
export * from './governance.ts';
export * from './keys.ts';
export * from './leases.ts';
export * from './receipts.ts';
export * from './spatial.ts';
export * from './table.ts';

/** What the rules of a chain depend on besides its state: its id (vouchers) and its parameters. */
export interface ChainRules {
  readonly chainId: string;
  readonly params: ChainParams;
}

/** The rules of the chain of a genesis: its id and parameters (its members are state: governance). */
export function rulesOf(genesis: Genesis): ChainRules {
  return { chainId: genesis.chainId, params: genesis.params };
}

/** The domain modules of the native state, as one state machine instance holds them. */
export interface Domains {
  readonly rules: ChainRules;
  readonly accounts: Accounts;
  readonly devices: Devices;
  readonly nodes: EdgeNodes;
  readonly leases: Leases;
  readonly channels: Channels;
  readonly counters: Counters;
  readonly evidence: Evidence;
  readonly gov: Governance;
}

/** A fresh, empty set of domain modules for a chain. */
export function newDomains(rules: ChainRules): Domains {
  const accounts = new Accounts();
  const devices = new Devices();
  const nodes = new EdgeNodes();
  const counters = new Counters();
  const leases = new Leases({ nodes, counters, accounts });
  const channels = new Channels({ chainId: rules.chainId }, { accounts, counters });
  const gov = new Governance({ counters, accounts });
  // evidence checks the accused against the sealer set of the offence's height, as governance recorded it
  const sealerKeysAt: SealerKeysAt = (h) => (gov.hasMembers() ? gov.at(h).sealers.map((x) => fromHex(x.publicKey)!) : null);
  const evidence = new Evidence({ chainId: rules.chainId, sealerKeysAt }, { counters });
  return { rules, accounts, devices, nodes, leases, channels, counters, gov, evidence };
}

/** Every table of a set of domain modules (each key prefix once). */
export function tablesOf(d: Domains): StateTable[] {
  const tables = [d.accounts.table, d.devices.devices, d.devices.infos, d.nodes.table, d.leases.table, d.counters.table, d.channels.table, d.gov.memberships, d.gov.proposals, d.gov.liveness, d.evidence.table];
  const prefixes = new Set(tables.map((t) => t.spec.prefix));
  if (prefixes.size !== tables.length) throw new Error('two state tables share a key prefix');
  return tables;
}
