import { describe, it, expect } from 'vitest';
import { P, S, bounds, chain, fromFlags, json } from './harness.ts';

describe('kind updateNode', () => {
  it('flags → payload → bounds → JSON (with the online flag)', () => {
    const p = fromFlags('update-node', '--id', 'en-1', '--lat', '1', '--lon', '2', '--capacity', '3', '--types', 'ml', '--price', '4', '--offline');
    expect(p).toEqual(P.update('en-1', 1_000_000, 2_000_000, 3, ['ml'], 4, false));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toMatchObject({ id: 'en-1', lat: 1, lon: 2, capacity: 3, online: false });
    expect(fromFlags('update-node', '--id', 'en-1', '--lat', '1', '--lon', '2', '--capacity', '3', '--types', 'ml', '--price', '4')).toMatchObject({ updateNode: { online: true } });
  });

  it('bounds: the node spec of addNode', () => {
    expect(bounds(P.update('en', 0, 180_000_001, 1, ['ml'], 1, true))).toMatch(/lon .* out of range/);
  });

  it('only the owner updates; capacity never below the slots in use; the index follows moves', () => {
    const c = chain();
    c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['alice', P.register('d')]);
    c.block(['alice', P.match(0, 0, 'ml', 3)]);
    const r = c.block(['globex', P.update('en-1', 0, 0, 8, ['ml'], 1, true)], ['acme', P.update('en-1', 0, 0, 2, ['ml'], 1, true)], ['acme', P.update('en-1', 10_000_000, 10_000_000, 6, ['ml', 'gpu'], 2, true)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_OWNER, S.CAPACITY_BELOW_USED, S.OK]);
    expect(c.ws.edgeNode('en-1')).toMatchObject({ lat: 10_000_000, capacity: 6, used: 3, price: 2, updatedAt: 3 });
    expect(c.ws.previewMatch({ lat: 10_000_000, lon: 10_000_000, taskType: 'gpu', demand: 3, maxPrice: 0 })).toMatchObject({ nodeId: 'en-1', distanceM: 0 });
  });
});
