import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemoryNode, type MemoryNode } from '../support/memory-node.ts';

/**
 * getLease of a lease that ended long ago: ended leases leave the state (docs/STATE.md "Retired
 * rows") and the node keeps only the last 64 blocks' worth in memory, so past that the answer
 * must come from the archive the ledger wrote into the chain database (prefix 0x09).
 */
let node: MemoryNode;
const call = <T>(method: string, ...params: unknown[]) => node.methods[method](params as never) as Promise<T>;

beforeAll(async () => {
  node = await startMemoryNode();
  // the history ends at ~47 blocks with its first leases ended by block ~10: take the head past 64 blocks after them
  while ((await call<number>('getBlockNumber')) < 80) await node.addBlock({ txs: 1, kinds: ['transfer'] });
}, 120_000);
afterAll(() => node?.stop());

describe('getLease from the archive of retired rows', () => {
  it('answers a lease that ended more than 64 blocks ago, with its final status and settlement', async () => {
    const head = await call<number>('getBlockNumber');
    const first = await call<{ id: number; status: string; endedAt: number; paid: number; refund: number; cost: number } | null>('getLease', 1);
    expect(first).not.toBeNull();
    expect(first!.status).not.toBe('active');
    expect(head - first!.endedAt).toBeGreaterThan(64);
    expect(first!.paid + first!.refund).toBe(first!.cost);
  });

  it('null for an id never made; a bad id is refused', async () => {
    expect(await call('getLease', 1_000_000)).toBeNull();
    await expect(async () => call('getLease', -1)).rejects.toThrow('non-negative integer');
  });
});
