import { describe, it, expect, vi, afterEach } from 'vitest';
import { TxBatcher, batchVerdict } from '../../src/node/tx-batcher.ts';
import { TxBatchCodec } from '../../src/codec/p2p.ts';

afterEach(() => {
  vi.useRealTimers();
});

const decoded = (b: Uint8Array) => {
  const r = TxBatchCodec.decode(b);
  if (!r.ok) throw r.error;
  return r.value.txs.map((t) => t[0]);
};

describe('tx gossip batching', () => {
  it('sends the txs of one delay window as one batch, in order', () => {
    vi.useFakeTimers();
    const sent: Uint8Array[] = [];
    const b = new TxBatcher({ delayMs: 10 }, (x) => sent.push(x));
    for (let i = 1; i <= 5; i++) b.push(new Uint8Array([i, 0, 0]));
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(10);
    expect(sent).toHaveLength(1);
    expect(decoded(sent[0])).toEqual([1, 2, 3, 4, 5]);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
  });

  it('flushes early when full by count or by bytes, and on close', () => {
    vi.useFakeTimers();
    const sent: Uint8Array[] = [];
    const b = new TxBatcher({ delayMs: 1000, maxTxs: 3, maxBytes: 10_000 }, (x) => sent.push(x));
    for (let i = 1; i <= 7; i++) b.push(new Uint8Array([i]));
    expect(sent.map(decoded)).toEqual([[1, 2, 3], [4, 5, 6]]);
    b.close();
    expect(sent.map(decoded)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    const big = new TxBatcher({ delayMs: 1000, maxTxs: 100, maxBytes: 250 }, (x) => sent.push(x));
    for (let i = 0; i < 3; i++) big.push(new Uint8Array(100).fill(i + 10));
    expect(sent.slice(3).map(decoded)).toEqual([[10, 11]]);
    big.close();
    expect(sent.slice(3).map(decoded)).toEqual([[10, 11], [12]]);
  });

  it('the verdict on a received batch: reject bad ones, forward only news', () => {
    expect(batchVerdict(['new', 'known'])).toBe('accept');
    expect(batchVerdict(['known', 'known'])).toBe('ignore');
    expect(batchVerdict(['new', 'bad'])).toBe('reject');
    expect(batchVerdict([])).toBe('reject');
  });

  it('an empty batch or an empty tx is malformed', () => {
    expect(TxBatchCodec.decode(TxBatchCodec.encode({ txs: [] })).ok).toBe(false);
    expect(TxBatchCodec.decode(TxBatchCodec.encode({ txs: [new Uint8Array(0)] })).ok).toBe(false);
  });
});
