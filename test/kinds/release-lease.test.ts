import { describe, it, expect } from 'vitest';
import { P, S, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind releaseLease', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('release', '--lease', '3');
    expect(p).toEqual(P.release(3));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.release(0))).toMatch(/lease id must be >= 1/);
    expect(json(p)).toEqual({ leaseId: 3 });
  });

  it('the device or the node owner releases an active lease once; the slots are free again', () => {
    const c = chain();
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 3)], ['alice', P.match(0, 0, 'ml', 1)]);
    const r = c.block(['globex', P.release(1)], ['alice', P.release(1)], ['alice', P.release(1)], ['acme', P.release(2)], ['alice', P.release(9)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_LEASE_PARTY, S.OK, S.LEASE_NOT_ACTIVE, S.OK, S.UNKNOWN_LEASE]);
    expect(c.ws.lease(1)).toMatchObject({ status: 'released', endedAt: 3 });
    expect(c.ws.edgeNode('en-1')).toMatchObject({ used: 0, free: 4, activeLeases: 0, updatedAt: 3 });
  });
});
