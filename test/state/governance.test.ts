import { describe, it, expect } from 'vitest';
import { GOVERNANCE, approvalsNeeded, quorumOf, sealerGuard } from '../../src/domain/governance.ts';
import { ReceiptStatus as S } from '../../src/state/index.ts';
import { G, company, govChain, pk, sealer } from '../kinds/governance-harness.ts';
import { addr } from './helpers.ts';

const statuses = (r: { receipts: { status: number }[] }) => r.receipts.map((x) => x.status);
const reasons = (r: { receipts: { reason: string }[] }) => r.receipts.map((x) => x.reason);

describe('threshold: strictly more than 2/3 of the current companies', () => {
  it('approvalsNeeded for 1..10 companies', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(approvalsNeeded)).toEqual([1, 2, 3, 3, 4, 5, 5, 6, 7, 7]);
    for (let n = 1; n <= 10; n++) {
      const k = approvalsNeeded(n);
      expect(3 * k > 2 * n, `n=${n}: ${k} is more than 2/3`).toBe(true);
      expect(3 * (k - 1) > 2 * n, `n=${n}: ${k - 1} is not`).toBe(false);
    }
  });

  for (let n = 1; n <= 10; n++) {
    it(`${n} compan${n === 1 ? 'y' : 'ies'}: open after ${approvalsNeeded(n) - 1} approvals, passed at exactly ${approvalsNeeded(n)}`, () => {
      const c = govChain(n);
      const need = approvalsNeeded(n);
      const r = c.block([company(0), G.addObserver('obs')]);
      expect(statuses(r)).toEqual([S.OK]);
      for (let i = 1; i < need; i++) {
        expect(c.ws.proposal(1)!.status).toBe('open');
        expect(statuses(c.block([company(i), G.vote(1)]))).toEqual([S.OK]);
      }
      const p = c.ws.proposal(1)!;
      expect(p.status).toBe('passed');
      expect(p.approvals).toHaveLength(need);
      expect(r.receipts[0].proposal?.needed).toBe(need);
      // a passed proposal takes no more votes
      if (need < n) expect(statuses(c.block([company(need), G.vote(1)]))).toEqual([S.PROPOSAL_CLOSED]);
    });
  }

  it('rejections close a proposal once it can no longer pass', () => {
    const c = govChain(4); // needs 3 of 4
    c.block([company(0), G.addObserver('obs')]);
    expect(statuses(c.block([company(1), G.vote(1, true)]))).toEqual([S.OK]);
    expect(c.ws.proposal(1)!.status).toBe('open');
    const r = c.block([company(2), G.vote(1, true)]);
    expect(r.receipts[0].proposal?.status).toBe(3);
    expect(c.ws.proposal(1)!.status).toBe('rejected');
    expect(c.observers()).toEqual([]);
  });
});

describe('the quorum guard', () => {
  it('unit: minimum size, started below 4, quorum reachable by the recent proposers', () => {
    const live = (set: string[]) => (a: string) => set.includes(a);
    expect(sealerGuard({ genesisSealers: 4, next: ['a', 'b', 'c'], live: live(['a', 'b', 'c']), recentBlocks: 16 })).toMatch(/leave 3 sealers, below the minimum of 4/);
    expect(sealerGuard({ genesisSealers: 1, next: ['a'], live: live(['a']), recentBlocks: 4 })).toBeNull();
    expect(sealerGuard({ genesisSealers: 1, next: [], live: live([]), recentBlocks: 4 })).toMatch(/leave 0 sealers, below the minimum of 1/);
    expect(sealerGuard({ genesisSealers: 3, next: ['a', 'b'], live: live(['a', 'b']), recentBlocks: 12 })).toMatch(/minimum of 3/);
    // 4 → 5: quorum 4 needs the 4 old sealers live (the new one has not signed yet)
    expect(sealerGuard({ genesisSealers: 4, next: ['a', 'b', 'c', 'd', 'e'], live: live(['a', 'b', 'c', 'd']), recentBlocks: 16 })).toBeNull();
    expect(sealerGuard({ genesisSealers: 4, next: ['a', 'b', 'c', 'd', 'e'], live: live(['a', 'b', 'c']), recentBlocks: 16 })).toMatch(/quorum of 4, but only 3/);
    // 7 → 6: quorum 5 of the 6 that remain
    expect(sealerGuard({ genesisSealers: 4, next: ['a', 'b', 'c', 'd', 'e', 'f'], live: live(['a', 'b', 'c', 'd', 'e']), recentBlocks: 28 })).toBeNull();
    expect(sealerGuard({ genesisSealers: 4, next: ['a', 'b', 'c', 'd', 'e', 'f'], live: live(['a', 'b', 'c', 'd']), recentBlocks: 28 })).toMatch(/quorum of 5, but only 4/);
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(quorumOf)).toEqual([1, 2, 3, 3, 4, 5, 5, 7]);
  });

  it('a removal that would leave 3 of 4 sealers is a failed receipt; nothing but the nonce changes', () => {
    const c = govChain(3);
    c.idle(16);
    const before = c.ws.membershipHistory().length;
    const r = c.block([company(0), G.removeSealer(sealer(3))]);
    expect(statuses(r)).toEqual([S.MEMBERSHIP_GUARD]);
    expect(reasons(r)[0]).toMatch(/quorum guard: the change would leave 3 sealers, below the minimum of 4/);
    // the failed tx wrote only the sender's nonce (and the block's liveness evidence)
    expect(r.writes.filter((w) => w.key[0] !== 0x0a).map((w) => w.key[0])).toEqual([0x01]);
    expect(c.ws.membershipHistory()).toHaveLength(before);
    expect(c.ws.proposals().total).toBe(0);
  });

  it('adding a 5th sealer waits until the 4 sealers all proposed recently; a sealer that is down blocks it', () => {
    const c = govChain(3);
    c.idle(20);
    c.block([company(0), G.addSealer('s4')]);
    c.block([company(1), G.vote(1)]);
    // s2 goes down for longer than the recent window
    c.down.add(sealer(2));
    c.idle(GOVERNANCE.recentBlocksPerSealer * 4);
    const r = c.block([company(2), G.vote(1)]);
    expect(statuses(r)).toEqual([S.MEMBERSHIP_GUARD]);
    expect(reasons(r)[0]).toMatch(new RegExp(`quorum of 4, but only 3 of its sealers proposed one of the last ${GOVERNANCE.recentBlocksPerSealer * 4} blocks`));
    expect(c.ws.proposal(1)!.status).toBe('open');
    // a new proposal is refused at once for the same reason
    expect(statuses(c.block([company(1), G.addSealer('s5')]))).toEqual([S.MEMBERSHIP_GUARD]);
    // s2 comes back and proposes: the same vote now passes
    c.down.clear();
    c.idle(4);
    const ok = c.block([company(2), G.vote(1)]);
    expect(statuses(ok)).toEqual([S.OK]);
    expect(ok.receipts[0].proposal).toMatchObject({ status: 2, effectiveAt: c.height + 2 });
  });
});

describe('membership changes and their effect height', () => {
  it('a change passed in block H is in effect from H + 2; earlier heights keep their set', () => {
    const c = govChain(3);
    c.idle(16);
    c.block([company(0), G.addSealer('s4', 'fifth')]);
    c.block([company(1), G.vote(1)]);
    const r = c.block([company(2), G.vote(1)]);
    const H = c.height;
    expect(r.receipts[0].proposal).toMatchObject({ proposalId: 1, status: 2, approvals: 3, needed: 3, effectiveAt: H + 2 });
    expect(c.sealers(H + 1)).toEqual(['s0', 's1', 's2', 's3']);
    expect(c.sealers(H + 2)).toEqual(['s0', 's1', 's2', 's3', 'fifth']);
    expect(c.sealers(1)).toEqual(['s0', 's1', 's2', 's3']);
    const fifth = c.ws.membershipAt(H + 2)!.sealers[4];
    expect(fifth).toMatchObject({ publicKey: pk('s4'), operator: addr(company(0)), role: 'company' });
    expect(c.ws.proposal(1)).toMatchObject({ status: 'passed', decidedAt: H, effectiveAt: H + 2 });
  });

  it('two changes passed in one block take effect at consecutive heights (one change per height)', () => {
    const c = govChain(1); // one company: a proposal passes at once
    c.idle(16);
    const r = c.block([company(0), G.addObserver('o1')], [company(0), G.addObserver('o2')]);
    const H = c.height;
    expect(r.receipts.map((x) => x.proposal?.effectiveAt)).toEqual([H + 2, H + 3]);
    expect(c.observers(H + 2)).toEqual(['o1']);
    expect(c.observers(H + 3)).toEqual(['o1', 'o2']);
  });

  it('grows 4 → 5 → 7 and shrinks 7 → 4 with every live sealer proposing', () => {
    const c = govChain(1);
    const grow = (label: string) => {
      c.idle(4 * 7);
      const r = c.block([company(0), G.addSealer(label)]);
      expect(statuses(r), reasons(r)[0]).toEqual([S.OK]);
      c.idle(2);
    };
    const shrink = (label: string) => {
      c.idle(4 * 7);
      const r = c.block([company(0), G.removeSealer(label)]);
      expect(statuses(r), reasons(r)[0]).toEqual([S.OK]);
      c.idle(2);
    };
    grow('s4');
    expect(c.sealers()).toHaveLength(5);
    grow('s5');
    grow('s6');
    expect(c.sealers()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    shrink('s1');
    shrink('s4');
    shrink('s6');
    expect(c.sealers()).toEqual(['s0', 's2', 's3', 's5']);
    const r = c.block([company(0), G.removeSealer('s5')]);
    expect(statuses(r)).toEqual([S.MEMBERSHIP_GUARD]);
    expect(c.ws.membershipHistory().map((m) => m.sealers.length)).toEqual([4, 5, 6, 7, 6, 5, 4]);
  });

  it('companies: an added company votes from the effect height, a removed one stops counting, account roles follow', () => {
    const c = govChain(3);
    c.block([company(0), G.addCompany('newco')]);
    c.block([company(1), G.vote(1)]);
    const r = c.block([company(2), G.vote(1)]);
    const H = c.height;
    expect(r.receipts[0].proposal?.effectiveAt).toBe(H + 2);
    expect(c.ws.account(addr('newco')).role).toBe('company');
    // not yet a voting member at H + 1
    expect(statuses(c.block(['newco', G.addObserver('o1')]))).toEqual([S.NOT_MEMBER]);
    expect(statuses(c.block(['newco', G.addObserver('o1')]))).toEqual([S.OK]);
    expect(c.companies()).toEqual(['c0', 'c1', 'c2', 'newco']);
    expect(c.ws.proposal(2)).toMatchObject({ status: 'open', approvals: [addr('newco')] });
    // 4 companies: 3 approvals needed
    c.block([company(0), G.vote(2)]);
    expect(statuses(c.block([company(1), G.vote(2)]))).toEqual([S.OK]);
    expect(c.ws.proposal(2)!.status).toBe('passed');
  });
});

describe('bad input: a clear failed receipt, nothing else changed', () => {
  it('non-companies, unknown proposals, double votes, duplicates, unknown members, existing members', () => {
    const c = govChain(3);
    c.idle(16);
    const r1 = c.block(['alice', G.addObserver('o1')], ['proxy', G.vote(1)], [company(0), G.vote(7)]);
    expect(statuses(r1)).toEqual([S.NOT_MEMBER, S.NOT_MEMBER, S.UNKNOWN_PROPOSAL]);
    expect(reasons(r1)[0]).toMatch(/is not a company of the consortium/);
    const r2 = c.block([company(0), G.addObserver('o1')], [company(0), G.vote(1)], [company(1), G.addObserver('o1')]);
    expect(statuses(r2)).toEqual([S.OK, S.ALREADY_VOTED, S.DUPLICATE_PROPOSAL]);
    expect(reasons(r2)[2]).toMatch(/proposal 1 .* still open/);
    const r3 = c.block([company(1), G.removeSealer('nobody')], [company(1), G.removeObserver('nobody')], [company(1), G.removeCompany('alice')], [company(1), G.addSealer(sealer(1), 'dup')], [company(1), G.addSealer('s9', 's1')]);
    expect(statuses(r3)).toEqual([S.UNKNOWN_MEMBER, S.UNKNOWN_MEMBER, S.UNKNOWN_MEMBER, S.MEMBER_EXISTS, S.MEMBER_EXISTS]);
    expect(reasons(r3)[3]).toMatch(/is already a sealer/);
    expect(reasons(r3)[4]).toMatch(/already named "s1"/);
    // every failure wrote the sender's nonce only
    for (const r of [r1, r3]) expect(new Set(r.writes.filter((w) => w.key[0] !== 0x0a).map((w) => w.key[0]))).toEqual(new Set([0x01]));
    expect(c.ws.proposals().total).toBe(1);
  });

  it('a vote after the last voting height is refused; the proposal reads expired', () => {
    const c = govChain(3);
    c.block([company(0), G.addObserver('o1')]);
    const p = c.ws.proposal(1)!;
    expect(p.expiresAt).toBe(1 + GOVERNANCE.proposalTtlBlocks);
    c.jump(p.expiresAt);
    expect(statuses(c.block([company(1), G.vote(1)]))).toEqual([S.OK]);
    const r = c.block([company(2), G.vote(1)]);
    expect(statuses(r)).toEqual([S.PROPOSAL_EXPIRED]);
    expect(reasons(r)[0]).toMatch(/expired after height 1001/);
    expect(c.ws.proposal(1)!.status).toBe('expired');
    expect(c.ws.proposals({ status: 'expired' }).total).toBe(1);
    expect(c.observers()).toEqual([]);
  });

  it('the last company cannot be removed', () => {
    const c = govChain(1);
    const r = c.block([company(0), G.removeCompany(company(0))]);
    expect(statuses(r)).toEqual([S.MEMBERSHIP_GUARD]);
    expect(reasons(r)[0]).toMatch(/last company/);
  });
});
