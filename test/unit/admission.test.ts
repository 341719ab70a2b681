import { describe, it, expect } from 'vitest';
import { GossipAdmission, type TxOutcome } from '../../src/node/admission.ts';
import { batchVerdict } from '../../src/node/tx-batcher.ts';

const tx = (s: string) => new TextEncoder().encode(s);
const name = (b: Uint8Array) => new TextDecoder().decode(b);

function admission(opts: { sliceTxs?: number; maxQueuedTxs?: number }, outcome: (s: string) => TxOutcome = () => 'new') {
  const admitted: string[] = [];
  const a = new GossipAdmission(opts, (b) => {
    admitted.push(name(b));
    return outcome(name(b));
  }, batchVerdict);
  return { a, admitted };
}

describe('gossip tx admission', () => {
  it('admits batches in arrival order and answers each with its verdict', async () => {
    const { a, admitted } = admission({}, (s) => (s.startsWith('known') ? 'known' : s.startsWith('bad') ? 'bad' : 'new'));
    const v = await Promise.all([a.enqueue([tx('n1'), tx('known1')]), a.enqueue([tx('known2')]), a.enqueue([tx('n2'), tx('bad1'), tx('n3')])]);
    expect(v).toEqual(['accept', 'ignore', 'reject']);
    expect(admitted).toEqual(['n1', 'known1', 'known2', 'n2', 'bad1', 'n3']);
    expect(a.backlog).toBe(0);
  });

  it('admits in slices and lets other work (consensus) run between them', async () => {
    const events: string[] = [];
    const a = new GossipAdmission({ sliceTxs: 2 }, (b) => {
      events.push(name(b));
      return 'new';
    }, batchVerdict);
    const done = a.enqueue(['t1', 't2', 't3', 't4', 't5'].map(tx));
    expect(events).toEqual([]); // nothing is admitted synchronously
    expect(a.backlog).toBe(5);
    // a consensus message arriving meanwhile: handled after the first slice, before the rest
    setImmediate(() => events.push('consensus'));
    expect(await done).toBe('accept');
    expect(events).toEqual(['t1', 't2', 'consensus', 't3', 't4', 't5']);
  });

  it('lists the txs still waiting, oldest first, bounded (what a compact proposal looks at)', async () => {
    const { a } = admission({ sliceTxs: 2 });
    const done = Promise.all([a.enqueue(['t1', 't2', 't3'].map(tx)), a.enqueue(['t4'].map(tx))]);
    expect([...a.waiting()].map(name)).toEqual(['t1', 't2', 't3', 't4']);
    expect([...a.waiting(2)].map(name)).toEqual(['t1', 't2']);
    await new Promise((r) => setImmediate(r));
    expect([...a.waiting()].map(name)).toEqual(['t3', 't4']); // the first slice was admitted
    await done;
    expect([...a.waiting()]).toEqual([]);
  });

  it('is bounded: a batch that would exceed the backlog limit is ignored at once and counted', async () => {
    const { a, admitted } = admission({ maxQueuedTxs: 3 });
    const first = a.enqueue([tx('a'), tx('b')]);
    expect(a.enqueue([tx('c'), tx('d')])).toBe('ignore');
    expect(a.shed).toBe(1);
    expect(await first).toBe('accept');
    expect(admitted).toEqual(['a', 'b']);
    // room again once the backlog is admitted
    expect(await a.enqueue([tx('c'), tx('d')])).toBe('accept');
  });

  it('a throwing admission counts as a bad tx; close() answers waiting batches with ignore', async () => {
    const a = new GossipAdmission({}, () => {
      throw new Error('boom');
    }, batchVerdict);
    expect(await a.enqueue([tx('x')])).toBe('reject');
    const waiting = a.enqueue([tx('y')]);
    a.close();
    expect(await waiting).toBe('ignore');
    expect(a.enqueue([tx('z')])).toBe('ignore');
    expect(a.backlog).toBe(0);
  });

  it('an empty batch is rejected like before (nothing to admit)', () => {
    const { a } = admission({});
    expect(a.enqueue([])).toBe('reject');
  });
});
