import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, chain, fromFlags, json } from './harness.ts';

const FLAGS = ['--id', 'en-1', '--lat', '-37.8136', '--lon', '144.9631', '--capacity', '8', '--types', 'video,ml', '--price', '5'];

describe('kind addNode', () => {
  it('flags → payload → bounds → JSON', () => {
    const p = fromFlags('add-node', ...FLAGS);
    expect(p).toEqual(P.add('en-1', -37_813_600, 144_963_100, 8, ['video', 'ml'], 5));
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ id: 'en-1', lat: -37.8136, lon: 144.9631, latE6: -37_813_600, lonE6: 144_963_100, capacity: 8, serviceTypes: ['video', 'ml'], price: 5 });
  });

  it('bounds: id, location, capacity, distinct service types', () => {
    expect(bounds(P.add('has space', 0, 0, 1, ['ml'], 1))).toMatch(/node id/);
    expect(bounds(P.add('en', 90_000_001, 0, 1, ['ml'], 1))).toMatch(/lat .* out of range/);
    expect(bounds(P.add('en', 0, 0, 0, ['ml'], 1))).toMatch(/capacity must be/);
    expect(bounds(P.add('en', 0, 0, 1, [], 1))).toMatch(/service types required/);
    expect(bounds(P.add('en', 0, 0, 1, ['ml', 'ml'], 1))).toMatch(/distinct/);
  });

  it('only a company adds, ids are unique, the node is online and matchable', () => {
    const c = chain();
    const r = c.block(['acme', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['globex', P.add('en-1', 0, 0, 4, ['ml'], 3)], ['alice', P.add('en-2', 0, 0, 4, ['ml'], 3)]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.NODE_EXISTS, S.NOT_COMPANY]);
    expect(c.ws.edgeNode('en-1')).toMatchObject({ owner: addr('acme'), capacity: 4, used: 0, free: 4, online: true, addedAt: 1 });
    expect(c.ws.previewMatch({ lat: 0, lon: 0, taskType: 'ml', demand: 1, maxPrice: 0 })?.nodeId).toBe('en-1');
  });
});
