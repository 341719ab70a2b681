import type { Genesis, ProposalResult } from '../codec/types.ts';
import {
  StateLivenessCodec,
  StateMembershipCodec,
  StateProposalCodec,
  type StateLiveness,
  type StateMembership,
  type StateProposal,
} from '../codec/state.ts';
import { addressOf } from '../crypto/keys.ts';
import { fromHex, readU64be, toHex } from '../util/bytes.ts';
import { addrBytes, addrHex } from './address.ts';
import type { Accounts } from './accounts.ts';
import type { Counters } from './counters.ts';
import { Counter, KeyPrefix, livenessKey, membershipKey, proposalKey } from './keys.ts';
import { ReceiptStatus, fail, type TxOutcome } from './receipts.ts';
import { Table } from './table.ts';

/**
 * Consortium governance (issue 12, docs/GOVERNANCE.md): the members (companies, proxy, sealers,
 * observers) as a history of membership entries, each in effect from its height on; proposals
 * and votes of the companies; the quorum guard and the liveness evidence it reads.
 */

/** What a proposal changes (Propose.action). */
export const GovAction = {
  ADD_COMPANY: 1,
  REMOVE_COMPANY: 2,
  ADD_SEALER: 3,
  REMOVE_SEALER: 4,
  ADD_OBSERVER: 5,
  REMOVE_OBSERVER: 6,
} as const;
export type GovAction = (typeof GovAction)[keyof typeof GovAction];

/** The CLI and JSON name of each action. */
export const GOV_ACTION_NAMES: Readonly<Record<number, string>> = {
  1: 'add-company',
  2: 'remove-company',
  3: 'add-sealer',
  4: 'remove-sealer',
  5: 'add-observer',
  6: 'remove-observer',
};

/** The action of a CLI/JSON name, or null. */
export function govActionOf(name: string): GovAction | null {
  for (const [k, v] of Object.entries(GOV_ACTION_NAMES)) if (v === name) return Number(k) as GovAction;
  return null;
}

export const isCompanyAction = (a: number): boolean => a === GovAction.ADD_COMPANY || a === GovAction.REMOVE_COMPANY;
export const isSealerAction = (a: number): boolean => a === GovAction.ADD_SEALER || a === GovAction.REMOVE_SEALER;
export const isAddAction = (a: number): boolean => a === GovAction.ADD_COMPANY || a === GovAction.ADD_SEALER || a === GovAction.ADD_OBSERVER;

export const ProposalStatus = { OPEN: 1, PASSED: 2, REJECTED: 3 } as const;
export type ProposalStatus = (typeof ProposalStatus)[keyof typeof ProposalStatus];
const STATUS_NAMES: Record<number, string> = { 1: 'open', 2: 'passed', 3: 'rejected' };

/** The fixed rules of governance (docs/GOVERNANCE.md). */
export const GOVERNANCE = {
  /** A proposal made at height h takes votes up to and including height h + proposalTtlBlocks; later it is expired. */
  proposalTtlBlocks: 1000,
  /** A change that passes in block H is in effect from height H + effectDelay (or the first height after the latest scheduled change). */
  effectDelay: 2,
  /** The smallest sealer set a change may leave, unless the consortium started with fewer. */
  minSealers: 4,
  /** "Recent" for the guard: the last recentBlocksPerSealer × n heights (n = the sealers of the current set). */
  recentBlocksPerSealer: 4,
  /** Member names: 1..64 printable ASCII characters without spaces. */
  nameMaxBytes: 64,
} as const;

/** Approvals a proposal needs: strictly more than 2/3 of the current companies (⌊2n/3⌋ + 1). */
export function approvalsNeeded(companies: number): number {
  return Math.floor((2 * companies) / 3) + 1;
}

/** f and the quorum of n sealers (as chain/sealers.ts SealerSet). */
export function quorumOf(n: number): number {
  return n - Math.floor((n - 1) / 3);
}

/**
 * The quorum guard of a sealer-set change: a reason to refuse it, or null. `next` are the
 * addresses of the set the change would make, `live(address)` whether a sealer proposed one of
 * the recent blocks. Refused: fewer than min(minSealers, genesis sealers) sealers (and never
 * none), or fewer live sealers in the new set than its quorum.
 */
export function sealerGuard(o: { genesisSealers: number; next: readonly string[]; live: (address: string) => boolean; recentBlocks: number }): string | null {
  const min = Math.max(1, Math.min(GOVERNANCE.minSealers, o.genesisSealers));
  const n = o.next.length;
  if (n < min) return `the change would leave ${n} sealer${n === 1 ? '' : 's'}, below the minimum of ${min}`;
  const q = quorumOf(n);
  const live = o.next.filter((a) => o.live(a)).length;
  if (live < q) {
    return `the new set of ${n} sealers needs a quorum of ${q}, but only ${live} of its sealers proposed one of the last ${o.recentBlocks} blocks (the others may be offline: the chain would stall)`;
  }
  return null;
}

export type GovSealerRole = 'proxy' | 'company';

export interface CompanyRec {
  readonly address: string;
  readonly name: string;
}
export interface SealerRec {
  /** Hex, no 0x. */
  readonly publicKey: string;
  readonly name: string;
  /** The operating company's address, or '' if none is recorded. */
  readonly operator: string;
  readonly role: GovSealerRole;
  /** The address of the sealer key (block proposers are recorded by it). */
  readonly address: string;
}
export interface ObserverRec {
  readonly publicKey: string;
  readonly name: string;
}
/** The members from `fromHeight` on (until the next entry). */
export interface MembershipRec {
  readonly fromHeight: number;
  readonly proxy: string;
  readonly companies: readonly CompanyRec[];
  readonly sealers: readonly SealerRec[];
  readonly observers: readonly ObserverRec[];
  /** The proposal that made this entry (0: genesis). */
  readonly proposal: number;
}

export interface ProposalRec {
  readonly id: number;
  readonly action: GovAction;
  /** Company actions: the company's address; '' otherwise. */
  readonly address: string;
  /** Sealer and observer actions: the node key (hex); '' otherwise. */
  readonly publicKey: string;
  readonly name: string;
  readonly proposer: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly approvals: readonly string[];
  readonly rejections: readonly string[];
  readonly status: ProposalStatus;
  readonly decidedAt: number;
  readonly effectiveAt: number;
}

/** A proposal as RPC and the CLI show it. */
export interface ProposalView {
  id: number;
  action: string;
  address: string | null;
  publicKey: string | null;
  name: string;
  proposer: string;
  createdAt: number;
  expiresAt: number;
  approvals: string[];
  rejections: string[];
  /** 'open' | 'passed' | 'rejected' | 'expired' (an open proposal past expiresAt at the queried height). */
  status: string;
  decidedAt: number;
  effectiveAt: number;
}

const ROLE_CODE: Record<GovSealerRole, number> = { proxy: 1, company: 2 };
const bytesOrEmpty = (hexOrEmpty: string): Uint8Array => (hexOrEmpty ? fromHex(hexOrEmpty)! : new Uint8Array(0));
const hexOrEmpty = (b: Uint8Array, prefix = false): string => (b.length ? toHex(b, prefix) : '');

function membershipToProto(m: MembershipRec): StateMembership {
  return {
    fromHeight: m.fromHeight,
    proxy: bytesOrEmpty(m.proxy),
    companies: m.companies.map((c) => ({ address: addrBytes(c.address), name: c.name })),
    sealers: m.sealers.map((s) => ({ publicKey: fromHex(s.publicKey)!, name: s.name, operator: bytesOrEmpty(s.operator), role: ROLE_CODE[s.role] })),
    observers: m.observers.map((o) => ({ publicKey: fromHex(o.publicKey)!, name: o.name })),
    proposal: m.proposal,
  };
}

function membershipFromProto(p: StateMembership): MembershipRec {
  return {
    fromHeight: p.fromHeight,
    proxy: hexOrEmpty(p.proxy, true),
    companies: p.companies.map((c) => ({ address: addrHex(c.address), name: c.name })),
    sealers: p.sealers.map((s) => ({
      publicKey: toHex(s.publicKey),
      name: s.name,
      operator: hexOrEmpty(s.operator, true),
      role: s.role === 1 ? 'proxy' : 'company',
      address: addressOf(s.publicKey),
    })),
    observers: p.observers.map((o) => ({ publicKey: toHex(o.publicKey), name: o.name })),
    proposal: p.proposal,
  };
}

function proposalToProto(r: ProposalRec): StateProposal {
  return {
    id: r.id,
    action: r.action,
    address: bytesOrEmpty(r.address),
    publicKey: bytesOrEmpty(r.publicKey),
    name: r.name,
    proposer: addrBytes(r.proposer),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    approvals: r.approvals.map(addrBytes),
    rejections: r.rejections.map(addrBytes),
    status: r.status,
    decidedAt: r.decidedAt,
    effectiveAt: r.effectiveAt,
  };
}

function proposalFromProto(p: StateProposal): ProposalRec {
  return {
    id: p.id,
    action: p.action as GovAction,
    address: hexOrEmpty(p.address, true),
    publicKey: hexOrEmpty(p.publicKey),
    name: p.name,
    proposer: addrHex(p.proposer),
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
    approvals: p.approvals.map(addrHex),
    rejections: p.rejections.map(addrHex),
    status: p.status as ProposalStatus,
    decidedAt: p.decidedAt,
    effectiveAt: p.effectiveAt,
  };
}

/** A state without membership entries (a chain started before governance) has no voting members. */
const NO_GOVERNANCE: TxOutcome = fail(ReceiptStatus.NOT_MEMBER, 'this chain has no members on chain (its state predates governance)');

const isOutcome = (x: object): x is TxOutcome => !('id' in x) && !('fromHeight' in x);

/** The payload of a Propose tx as the domain takes it (addresses as 0x hex, keys as hex). */
export interface ProposeArgs {
  action: GovAction;
  address: string;
  publicKey: string;
  name: string;
}

/** The block a governance tx runs in. */
export interface GovEnv {
  readonly height: number;
}

/** Membership (prefix 0x08), proposals (0x09) and the sealers' liveness evidence (0x0a). */
export class Governance {
  /** from height → members from that height on. */
  readonly memberships = new Table<number, MembershipRec, StateMembership>({
    name: 'membership',
    prefix: KeyPrefix.MEMBERSHIP,
    key: (h) => membershipKey(h),
    rowKey: (key) => (key.length === 9 ? readU64be(key, 1) : null),
    codec: StateMembershipCodec,
    toProto: (m) => membershipToProto(m),
    fromProto: (p) => membershipFromProto(p),
    checkStored: (m, k) => (m.fromHeight === k ? null : 'membership from height differs from its key'),
    onChange: (k, old, next) => this.indexHeight(k, old, next),
  });

  readonly proposals = new Table<number, ProposalRec, StateProposal>({
    name: 'proposal',
    prefix: KeyPrefix.PROPOSAL,
    key: (id) => proposalKey(id),
    rowKey: (key) => (key.length === 9 ? readU64be(key, 1) : null),
    codec: StateProposalCodec,
    toProto: (r) => proposalToProto(r),
    fromProto: (p) => proposalFromProto(p),
    checkStored: (m, k) => (m.id === k ? null : 'proposal id differs from its key'),
  });

  /** sealer-key address → the last height it proposed a block. */
  readonly liveness = new Table<string, number, StateLiveness>({
    name: 'liveness',
    prefix: KeyPrefix.LIVENESS,
    key: (a) => livenessKey(addrBytes(a)),
    rowKey: (key) => (key.length === 21 ? addrHex(key.subarray(1)) : null),
    codec: StateLivenessCodec,
    toProto: (height) => ({ height }),
    fromProto: (m) => m.height,
  });

  private readonly counters: Counters;
  private readonly accounts: Accounts;
  /** The from heights of the membership entries, ascending (as last executed). */
  private heights: number[] = [];
  /** Sealer count of the genesis entry (the guard's "started below 4"). */
  private genesisSealerCount = 0;

  constructor(modules: { counters: Counters; accounts: Accounts }) {
    this.counters = modules.counters;
    this.accounts = modules.accounts;
  }

  private indexHeight(k: number, old: MembershipRec | undefined, next: MembershipRec | undefined): void {
    if (old && !next) this.heights = this.heights.filter((h) => h !== k);
    else if (!old && next) {
      let i = this.heights.length;
      while (i > 0 && this.heights[i - 1] > k) i--;
      this.heights.splice(i, 0, k);
    }
    if (k === 0) this.genesisSealerCount = next ? next.sealers.length : 0;
  }

  /**
   * The genesis members (inside the genesis execution): the companies and the proxy are the
   * genesis accounts of those roles; each sealer's operator is its `operator`, or the proxy or
   * company account of the same name; the observers are the genesis observers.
   */
  genesis(g: Genesis): void {
    const named = new Map<string, string>();
    for (const a of g.accounts) if ((a.role === 'company' || a.role === 'proxy') && a.name && !named.has(a.name)) named.set(a.name, addrHex(a.address));
    const proxy = g.accounts.find((a) => a.role === 'proxy');
    this.memberships.set(0, {
      fromHeight: 0,
      proxy: proxy ? addrHex(proxy.address) : '',
      companies: g.accounts.filter((a) => a.role === 'company').map((a) => ({ address: addrHex(a.address), name: a.name })),
      sealers: g.sealers.map((s) => ({
        publicKey: toHex(s.publicKey),
        name: s.name,
        operator: s.operator && s.operator.length === 20 ? addrHex(s.operator) : (named.get(s.name) ?? ''),
        role: s.role === 'proxy' ? 'proxy' : 'company',
        address: addressOf(s.publicKey),
      })),
      observers: (g.observers ?? []).map((o) => ({ publicKey: toHex(o.publicKey), name: o.name })),
      proposal: 0,
    });
  }

  // ------------------------------------------------------------ reads as last executed

  /** The members in effect at `height` (as last executed; entries scheduled for later heights included in the history). */
  at(height: number): MembershipRec {
    const hs = this.heights;
    let lo = 0;
    let hi = hs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (hs[mid] <= height) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) throw new Error(`Governance: no membership at height ${height} (state without a genesis entry)`);
    return this.memberships.get(hs[found])!;
  }

  /** Whether a membership is recorded (a state without a genesis entry has none). */
  hasMembers(): boolean {
    return this.heights.length > 0;
  }

  /** The newest entry, possibly scheduled for a later height: the base of the next change. */
  latest(): MembershipRec {
    if (this.heights.length === 0) throw new Error('Governance: no membership (state without a genesis entry)');
    return this.memberships.get(this.heights[this.heights.length - 1])!;
  }

  /** Records the proposer of the block at `height` if it is a sealer of that height (the guard's evidence). */
  noteProposer(height: number, proposer: string): void {
    if (this.heights.length === 0) return;
    if (!this.at(height).sealers.some((s) => s.address === proposer)) return;
    this.liveness.set(proposer, height);
  }

  private isCompany(m: MembershipRec, address: string): boolean {
    return m.companies.some((c) => c.address === address);
  }

  private recentBlocks(m: MembershipRec): number {
    return GOVERNANCE.recentBlocksPerSealer * m.sealers.length;
  }

  /** Whether a sealer proposed one of the blocks (height − recent, height]. */
  private liveAt(height: number, recent: number): (address: string) => boolean {
    return (a) => {
      const last = this.liveness.get(a);
      return last !== undefined && last > height - recent;
    };
  }

  // ------------------------------------------------------------ execution

  /** A company proposes a change; its proposal counts as its approval (and passes at once if that is enough). */
  propose(env: GovEnv, sender: string, p: ProposeArgs): TxOutcome {
    if (this.heights.length === 0) return NO_GOVERNANCE;
    const cur = this.at(env.height);
    if (!this.isCompany(cur, sender)) return fail(ReceiptStatus.NOT_MEMBER, `${sender} is not a company of the consortium at height ${env.height}: only companies propose`);
    // the target and the guard are checked now (fail fast) and again when the proposal passes
    const pre = this.nextMembership(env, { ...p, proposer: sender, id: 0 });
    if (isOutcome(pre)) return pre;
    for (const o of this.proposals.values()) {
      if (o.status === ProposalStatus.OPEN && env.height <= o.expiresAt && o.action === p.action && o.address === p.address && o.publicKey === p.publicKey) {
        return fail(ReceiptStatus.DUPLICATE_PROPOSAL, `proposal ${o.id} (${GOV_ACTION_NAMES[o.action]}) for the same member is still open`);
      }
    }
    const id = this.counters.get(Counter.LAST_PROPOSAL_ID) + 1;
    const rec: ProposalRec = {
      id,
      action: p.action,
      address: p.address,
      publicKey: p.publicKey,
      name: isAddAction(p.action) ? p.name : '',
      proposer: sender,
      createdAt: env.height,
      expiresAt: env.height + GOVERNANCE.proposalTtlBlocks,
      approvals: [sender],
      rejections: [],
      status: ProposalStatus.OPEN,
      decidedAt: 0,
      effectiveAt: 0,
    };
    const final = this.decide(env, rec);
    if (isOutcome(final)) return final;
    this.counters.set(Counter.LAST_PROPOSAL_ID, id);
    this.proposals.set(id, final);
    return this.outcome(final, cur);
  }

  /** A company votes on an open proposal. */
  vote(env: GovEnv, sender: string, id: number, reject: boolean): TxOutcome {
    if (this.heights.length === 0) return NO_GOVERNANCE;
    const cur = this.at(env.height);
    if (!this.isCompany(cur, sender)) return fail(ReceiptStatus.NOT_MEMBER, `${sender} is not a company of the consortium at height ${env.height}: only companies vote`);
    const rec = this.proposals.get(id);
    if (!rec) return fail(ReceiptStatus.UNKNOWN_PROPOSAL, `no proposal ${id}`);
    if (rec.status !== ProposalStatus.OPEN) {
      return fail(ReceiptStatus.PROPOSAL_CLOSED, `proposal ${id} already ${STATUS_NAMES[rec.status]} at height ${rec.decidedAt}: it takes no more votes`);
    }
    if (env.height > rec.expiresAt) return fail(ReceiptStatus.PROPOSAL_EXPIRED, `proposal ${id} expired after height ${rec.expiresAt}: it takes no more votes`);
    if (rec.approvals.includes(sender) || rec.rejections.includes(sender)) return fail(ReceiptStatus.ALREADY_VOTED, `${sender} already voted on proposal ${id}`);
    const next: ProposalRec = reject ? { ...rec, rejections: [...rec.rejections, sender] } : { ...rec, approvals: [...rec.approvals, sender] };
    const final = this.decide(env, next);
    if (isOutcome(final)) return final;
    this.proposals.set(id, final);
    return this.outcome(final, cur);
  }

  private outcome(r: ProposalRec, cur: MembershipRec): TxOutcome {
    const companies = new Set(cur.companies.map((c) => c.address));
    const proposal: ProposalResult = {
      proposalId: r.id,
      status: r.status,
      approvals: r.approvals.filter((a) => companies.has(a)).length,
      needed: approvalsNeeded(cur.companies.length),
      effectiveAt: r.effectiveAt,
    };
    return { status: ReceiptStatus.OK, reason: '', proposal };
  }

  /**
   * Counts the votes of the current companies: passes (the change is scheduled), rejects (it
   * can no longer pass), or stays open. A change the rules refuse at the moment it would pass
   * is a failure of the tx that would pass it (nothing is recorded).
   */
  private decide(env: GovEnv, r: ProposalRec): ProposalRec | TxOutcome {
    const cur = this.at(env.height);
    const companies = new Set(cur.companies.map((c) => c.address));
    const needed = approvalsNeeded(companies.size);
    const yes = r.approvals.filter((a) => companies.has(a)).length;
    const no = r.rejections.filter((a) => companies.has(a)).length;
    if (yes >= needed) {
      const applied = this.applyChange(env, r);
      if (isOutcome(applied)) return applied;
      return { ...r, status: ProposalStatus.PASSED, decidedAt: env.height, effectiveAt: applied.fromHeight };
    }
    if (companies.size - no < needed) return { ...r, status: ProposalStatus.REJECTED, decidedAt: env.height };
    return r;
  }

  /** Whether the target of a change fits the members it would change (a refusal, or null). */
  private checkTarget(base: MembershipRec, p: { action: number; address: string; publicKey: string; name: string }): TxOutcome | null {
    switch (p.action) {
      case GovAction.ADD_COMPANY:
        if (base.companies.some((c) => c.address === p.address)) return fail(ReceiptStatus.MEMBER_EXISTS, `${p.address} is already a company`);
        if (base.proxy === p.address) return fail(ReceiptStatus.MEMBER_EXISTS, `${p.address} is the proxy`);
        if (base.companies.some((c) => c.name === p.name)) return fail(ReceiptStatus.MEMBER_EXISTS, `a company is already named "${p.name}"`);
        return null;
      case GovAction.REMOVE_COMPANY:
        if (!base.companies.some((c) => c.address === p.address)) return fail(ReceiptStatus.UNKNOWN_MEMBER, `${p.address} is not a company`);
        if (base.companies.length === 1) return fail(ReceiptStatus.MEMBERSHIP_GUARD, 'the last company cannot be removed: nobody could vote any more');
        return null;
      case GovAction.ADD_SEALER:
        if (base.sealers.some((s) => s.publicKey === p.publicKey)) return fail(ReceiptStatus.MEMBER_EXISTS, `${p.publicKey} is already a sealer`);
        if (base.sealers.some((s) => s.name === p.name)) return fail(ReceiptStatus.MEMBER_EXISTS, `a sealer is already named "${p.name}"`);
        return null;
      case GovAction.REMOVE_SEALER:
        if (!base.sealers.some((s) => s.publicKey === p.publicKey)) return fail(ReceiptStatus.UNKNOWN_MEMBER, `${p.publicKey} is not a sealer`);
        return null;
      case GovAction.ADD_OBSERVER:
        if (base.observers.some((o) => o.publicKey === p.publicKey)) return fail(ReceiptStatus.MEMBER_EXISTS, `${p.publicKey} is already an observer`);
        if (base.observers.some((o) => o.name === p.name)) return fail(ReceiptStatus.MEMBER_EXISTS, `an observer is already named "${p.name}"`);
        return null;
      case GovAction.REMOVE_OBSERVER:
        if (!base.observers.some((o) => o.publicKey === p.publicKey)) return fail(ReceiptStatus.UNKNOWN_MEMBER, `${p.publicKey} is not an observer`);
        return null;
      default:
        return fail(ReceiptStatus.INVALID_TX, `unknown proposal action ${p.action}`);
    }
  }

  /**
   * The membership a change would make, scheduled from height max(H + effectDelay, the latest
   * entry's height + 1) so that at most one change is in effect per height; a sealer change
   * must pass the quorum guard. Writes nothing.
   */
  private nextMembership(env: GovEnv, r: { action: number; address: string; publicKey: string; name: string; proposer: string; id: number }): MembershipRec | TxOutcome {
    const base = this.latest();
    const bad = this.checkTarget(base, r);
    if (bad) return bad;
    const fromHeight = Math.max(env.height + GOVERNANCE.effectDelay, base.fromHeight + 1);
    let next: MembershipRec = { ...base, fromHeight, proposal: r.id };
    switch (r.action) {
      case GovAction.ADD_COMPANY:
        next = { ...next, companies: [...base.companies, { address: r.address, name: r.name }] };
        break;
      case GovAction.REMOVE_COMPANY:
        next = { ...next, companies: base.companies.filter((c) => c.address !== r.address) };
        break;
      case GovAction.ADD_SEALER:
        next = { ...next, sealers: [...base.sealers, { publicKey: r.publicKey, name: r.name, operator: r.proposer, role: 'company', address: addressOf(fromHex(r.publicKey)!) }] };
        break;
      case GovAction.REMOVE_SEALER:
        next = { ...next, sealers: base.sealers.filter((s) => s.publicKey !== r.publicKey) };
        break;
      case GovAction.ADD_OBSERVER:
        next = { ...next, observers: [...base.observers, { publicKey: r.publicKey, name: r.name }] };
        break;
      case GovAction.REMOVE_OBSERVER:
        next = { ...next, observers: base.observers.filter((o) => o.publicKey !== r.publicKey) };
        break;
    }
    if (isSealerAction(r.action)) {
      const cur = this.at(env.height);
      const recent = this.recentBlocks(cur);
      const why = sealerGuard({ genesisSealers: this.genesisSealerCount, next: next.sealers.map((x) => x.address), live: this.liveAt(env.height, recent), recentBlocks: recent });
      if (why) return fail(ReceiptStatus.MEMBERSHIP_GUARD, `refused by the quorum guard: ${why}`);
    }
    return next;
  }

  /** Schedules a passed change (nextMembership) and moves the account role of an added or removed company. */
  private applyChange(env: GovEnv, r: ProposalRec): MembershipRec | TxOutcome {
    const next = this.nextMembership(env, r);
    if (isOutcome(next)) return next;
    // account roles follow the company set as soon as the change passes (AddNode rights)
    if (r.action === GovAction.ADD_COMPANY) {
      const a = this.accounts.get(r.address);
      this.accounts.table.set(r.address, { ...a, role: 'company' });
    } else if (r.action === GovAction.REMOVE_COMPANY) {
      const a = this.accounts.get(r.address);
      this.accounts.table.set(r.address, { ...a, role: 'user' });
    }
    this.memberships.set(next.fromHeight, next);
    return next;
  }

  // ------------------------------------------------------------ committed state (queries)

  /** The committed members in effect at `height`. */
  committedAt(height: number): MembershipRec | null {
    for (let i = this.heights.length - 1; i >= 0; i--) {
      const h = this.heights[i];
      if (h > height) continue;
      const m = this.memberships.committed(h);
      if (m) return m;
    }
    return null;
  }

  /** Every committed membership entry, oldest first (the sealer-set history). */
  history(): MembershipRec[] {
    const out: MembershipRec[] = [];
    for (const h of this.heights) {
      const m = this.memberships.committed(h);
      if (m) out.push(m);
    }
    return out;
  }

  /** A committed proposal as seen at `height` (expired if still open past its last voting height). */
  proposal(id: number, height: number): ProposalView | null {
    const r = this.proposals.committed(id);
    return r ? proposalView(r, height) : null;
  }

  /** Committed proposals, newest first; `status` filters on the view's status. */
  proposalList(height: number, opts: { status?: string; offset?: number; limit?: number } = {}): { total: number; proposals: ProposalView[] } {
    const last = this.counters.committed(Counter.LAST_PROPOSAL_ID);
    const all: ProposalView[] = [];
    for (let id = last; id >= 1; id--) {
      const v = this.proposal(id, height);
      if (v && (!opts.status || v.status === opts.status)) all.push(v);
    }
    const offset = opts.offset ?? 0;
    return { total: all.length, proposals: all.slice(offset, offset + (opts.limit ?? 100)) };
  }

  /** The last committed height each sealer key proposed a block (null: never). */
  lastProposed(address: string): number | null {
    return this.liveness.committed(address) ?? null;
  }
}

export function proposalView(r: ProposalRec, height: number): ProposalView {
  const status = r.status === ProposalStatus.OPEN && height > r.expiresAt ? 'expired' : STATUS_NAMES[r.status];
  return {
    id: r.id,
    action: GOV_ACTION_NAMES[r.action],
    address: r.address || null,
    publicKey: r.publicKey || null,
    name: r.name,
    proposer: r.proposer,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    approvals: [...r.approvals],
    rejections: [...r.rejections],
    status,
    decidedAt: r.decidedAt,
    effectiveAt: r.effectiveAt,
  };
}
