import { describe, it, expect } from 'vitest';
import { P, S, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind removeNode', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('remove-node', '--id', 'en-1');
    expect(p).toEqual(P.remove('en-1'));
    expect(bounds(p)).toBeNull();
    expect(bounds(P.remove(''))).toMatch(/node id/);
    expect(json(p)).toEqual({ id: 'en-1' });
  });

  it('only the owner removes; its active leases are terminated; it leaves the index', () => {
    const c = chain();
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 1)], ['alice', P.match(0, 0, 'ml', 1)]);
    const r = c.block(['globex', P.remove('en-1')], ['acme', P.remove('en-1')], ['acme', P.remove('en-1')]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_OWNER, S.OK, S.UNKNOWN_NODE]);
    expect(c.ws.edgeNode('en-1')).toBeNull();
    expect([c.ws.lease(1)?.status, c.ws.lease(2)?.status, c.ws.lease(2)?.endedAt]).toEqual(['terminated', 'terminated', 3]);
    expect(c.ws.activeLeasesOf('en-1')).toEqual([]);
    expect(c.ws.previewMatch({ lat: 0, lon: 0, taskType: 'ml', demand: 1, maxPrice: 0 })).toBeNull();
  });
});
