import { describe, it, expect } from 'vitest';
import { S, bounds, fromFlags, json } from './harness.ts';
import { G, company, govChain } from './governance-harness.ts';

describe('kind vote', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('vote', '--proposal', '4');
    expect(p).toEqual({ kind: 'vote', vote: { proposal: 4, reject: false } });
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ proposal: 4, reject: false });
    expect(fromFlags('vote', '--proposal', '4', '--reject')).toEqual({ kind: 'vote', vote: { proposal: 4, reject: true } });
    expect(() => fromFlags('vote', '--proposal', '0')).toThrow();
  });

  it('bounds: a proposal id >= 1', () => {
    expect(bounds({ kind: 'vote', vote: { proposal: 0, reject: false } })).toMatch(/proposal id must be >= 1/);
  });

  it('an approval that reaches the threshold passes the proposal; the receipt says when it takes effect', () => {
    const c = govChain(3);
    c.block([company(0), G.addObserver('o1')]);
    c.block([company(1), G.vote(1)]);
    const r = c.block([company(2), G.vote(1)]);
    expect(r.receipts[0]).toMatchObject({ status: S.OK, proposal: { proposalId: 1, status: 2, approvals: 3, needed: 3, effectiveAt: c.height + 2 } });
    expect(c.observers(c.height + 2)).toEqual(['o1']);
  });
});
