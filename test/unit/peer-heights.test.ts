import { describe, expect, it } from 'vitest';
import { PeerHeights } from '../../src/sync/index.ts';

const G = new Uint8Array(32).fill(1);
const st = (height: number, genesisHash = G) => ({ height, headHash: new Uint8Array(32), genesisHash });

describe('PeerHeights: when a node starts syncing from its peers', () => {
  it('2+ blocks behind: at once; 1 behind: only once it lasted laggingMs; peers of another genesis are ignored', () => {
    const p = new PeerHeights({ genesisHash: G, laggingMs: 1500 });
    expect(p.note('a', st(12), 10, 0)).toBe(11);
    expect(p.note('x', st(99, new Uint8Array(32).fill(2)), 12, 0)).toBeNull();
    expect(p.statuses.has('x')).toBe(false);
    const q = new PeerHeights({ genesisHash: G, laggingMs: 1500 });
    expect(q.note('a', st(11), 10, 0)).toBeNull();
    expect(q.note('a', st(11), 10, 1000)).toBeNull();
    expect(q.note('a', st(11), 10, 1501)).toBe(11);
    // caught up: the lag timer resets
    expect(q.note('a', st(11), 11, 2000)).toBeNull();
    expect(q.note('a', st(12), 11, 2100)).toBeNull();
  });
});
