import { describe, expect, it } from 'vitest';
import { EdgeChurn } from '../../bench/edge-churn.ts';

describe('the soak workload keeps the number of edge nodes level', () => {
  it('adds until a company holds `keep`, then removes its oldest for every slot, alternating', () => {
    const c = new EdgeChurn(2, 2);
    expect(c.next(0, 'a1')).toEqual({ kind: 'addNode', id: 'a1' });
    expect(c.next(1, 'b1')).toEqual({ kind: 'addNode', id: 'b1' });
    expect(c.next(0, 'a2')).toEqual({ kind: 'addNode', id: 'a2' });
    // full: the oldest of company 0 goes, its own nodes only
    expect(c.next(0, 'a3')).toEqual({ kind: 'removeNode', id: 'a1' });
    expect(c.held(0)).toBe(1);
    expect(c.next(0, 'a4')).toEqual({ kind: 'addNode', id: 'a4' });
    expect(c.next(0, 'a5')).toEqual({ kind: 'removeNode', id: 'a2' });
    expect(c.held(1)).toBe(1);
  });

  it('a long run never holds more than `keep` per company and removes only what it added, once', () => {
    const c = new EdgeChurn(3, 5);
    const added = new Set<string>();
    const removed = new Set<string>();
    for (let k = 0; k < 3000; k++) {
      const a = c.next(k % 3, `n-${k}`);
      if (a.kind === 'addNode') added.add(a.id);
      else {
        expect(added.has(a.id) && !removed.has(a.id)).toBe(true);
        removed.add(a.id);
      }
      expect(c.held(k % 3)).toBeLessThanOrEqual(5);
      // once full, a company holds `keep` or one less: an addition and a removal take turns
      if (k >= 15) expect(c.held(k % 3)).toBeGreaterThanOrEqual(4);
    }
    expect(added.size - removed.size).toBe(c.held(0) + c.held(1) + c.held(2));
  });

  it('without a bound it only adds (the throughput sweeps)', () => {
    const c = new EdgeChurn(1, null);
    for (let k = 0; k < 100; k++) expect(c.next(0, `n-${k}`).kind).toBe('addNode');
    expect(c.held(0)).toBe(100);
  });
});
