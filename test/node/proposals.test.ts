import { describe, expect, it } from 'vitest';
import { TxVerifier, type DecodedBlock } from '../../src/chain/index.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec } from '../../src/codec/consensus.ts';
import { signedBytes } from '../../src/consensus/engine.ts';
import { sign } from '../../src/crypto/keys.ts';
import { CompactProposals } from '../../src/ledger/index.ts';
import { ProposalIntake } from '../../src/node/proposals.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import { WorldState } from '../../src/state/world.ts';
import { SIM_CHAIN_ID, SIM_PARAMS, T0, buildWith, sealerKey, simChain, workloadTx } from '../sim/ledger-node.ts';

const TXS = 16;

/** The leader's (sealer 1) compact PRE-PREPARE of a block of the workload txs (the ledger takes the first SIM_BLOCK_TXS = 8 of TXS), and a leader-side CompactProposals that serves them. */
function leaderProposal() {
  const txs = Array.from({ length: TXS }, (_, i) => workloadTx(i));
  const block = buildWith(4, sealerKey(1), txs, 1, 0, simChain(4).block0Hash, T0)!;
  const payload = ConsensusPayloadCodec.encode({ prePrepare: { height: 1, view: 0, blockHash: block.hash } });
  const full = ConsensusMessageCodec.encode({ payload, sender: 1, signature: sign(signedBytes(payload), sealerKey(1).secretKey), block: block.bytes });
  const serverPool = poolWith([]);
  const server = new CompactProposals({ chainId: SIM_CHAIN_ID, params: SIM_PARAMS }, serverPool);
  const wire = server.compact(full, 'prePrepare');
  return { block, wire, server };
}

function poolWith(indices: number[]): TxPool {
  const { state } = WorldState.fromGenesis(simChain(4).genesis);
  const pool = new TxPool({ chainId: SIM_CHAIN_ID }, { state, verifier: new TxVerifier(), now: () => T0 });
  for (const i of indices) pool.add(workloadTx(i));
  return pool;
}

type Answer = (ids: Uint8Array[], signal: AbortSignal) => Promise<Uint8Array[]>;

/** A replica lacking `lost` txs, whose peers answer as `peers` says; resolves with what reached the engine. */
function replica(lost: number[], peers: Record<string, Answer>, opts: { deadlineMs?: number; requestTimeoutMs?: number } = {}, backlog?: () => Iterable<Uint8Array>) {
  const pool = poolWith(Array.from({ length: TXS }, (_, i) => i).filter((i) => !lost.includes(i)));
  const compact = new CompactProposals({ chainId: SIM_CHAIN_ID, params: SIM_PARAMS }, pool);
  const delivered: { bytes: Uint8Array; block?: DecodedBlock }[] = [];
  const asked: string[] = [];
  const intake = new ProposalIntake(opts, {
    compact,
    request: (peer, ids, signal) => {
      asked.push(peer);
      return peers[peer](ids, signal);
    },
    peersFor: (sender, via) => [`sealer-${sender}`, via, ...Object.keys(peers)].filter((p, i, a) => a.indexOf(p) === i && p in peers),
    deliver: (bytes, block) => delivered.push({ bytes, block }),
    backlog,
  });
  return { compact, intake, delivered, asked, pool };
}

const never: Answer = (_ids, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('ProposalIntake: fetching the missing txs of a compact proposal', () => {
  it('all txs in the pool: delivered at once with the rebuilt block, no request', async () => {
    const { wire, block } = leaderProposal();
    const r = replica([], {});
    r.intake.onMessage(wire, 'via');
    expect(r.delivered).toHaveLength(1);
    expect(r.delivered[0].block?.hashHex).toBe(block.hashHex);
    expect(r.asked).toEqual([]);
  });

  it('a message that is not compact goes to the engine as it is', () => {
    const r = replica([], {});
    const vote = new Uint8Array([1, 2, 3]);
    r.intake.onMessage(vote, 'via');
    expect(r.delivered).toEqual([{ bytes: vote, block: undefined }]);
  });

  it('the leader first; a failing, a wrong, a short peer cost a request each; the block comes from the next', async () => {
    const { wire, block, server } = leaderProposal();
    const lost = [2, 5, 6];
    const r = replica(lost, {
      'sealer-1': async () => {
        throw new Error('dial failed');
      },
      wrong: async (ids) => ids.map((_, i) => workloadTx(100 + i).bytes),
      // holds one of the three only: useful once, then nothing
      short: async (ids) => server.serve(ids.filter((id) => Buffer.from(id).equals(Buffer.from(workloadTx(2).hash))), 1 << 20),
      good: async (ids) => server.serve(ids, 1 << 20),
    });
    r.intake.onMessage(wire, 'wrong');
    // a re-send of the same proposal while the fetch runs starts nothing new
    r.intake.onMessage(wire, 'wrong');
    await waitUntil(() => r.delivered.length > 0);
    expect(r.asked).toEqual(['sealer-1', 'wrong', 'short', 'short', 'good']);
    expect(r.delivered).toHaveLength(1);
    expect(r.delivered[0].block?.hashHex).toBe(block.hashHex);
    expect(r.intake.stats).toMatchObject({ fetches: 1, requests: 5, requestFailures: 1, abandoned: 0 });
    expect(r.compact.stats).toMatchObject({ txsMissing: 3, txsFetched: 3, txsRefused: 3 });
  });

  it('an oversized answer (repeats, txs not asked for) is sorted out and completes', async () => {
    const { wire, block, server } = leaderProposal();
    const r = replica([0, 1], { 'sealer-1': async (ids) => [...server.serve(ids, 1 << 20), ...server.serve(ids, 1 << 20), ...Array.from({ length: 50 }, (_, i) => workloadTx(200 + i).bytes)] });
    r.intake.onMessage(wire, 'sealer-1');
    await waitUntil(() => r.delivered.length > 0);
    expect(r.delivered[0].block?.hashHex).toBe(block.hashHex);
    expect(r.compact.stats.txsRefused).toBe(52);
  });

  it('nobody answers in time: abandoned at the deadline, nothing reaches the engine', async () => {
    const { wire } = leaderProposal();
    const r = replica([3], { 'sealer-1': never, other: never }, { requestTimeoutMs: 40, deadlineMs: 150 });
    r.intake.onMessage(wire, 'other');
    await waitUntil(() => r.intake.stats.abandoned === 1);
    expect(r.delivered).toEqual([]);
    expect(r.compact.waiting).toBe(0);
    expect(r.intake.stats.requestFailures).toBe(2);
  });

  it('txs that reach the pool while the fetch waits (own gossip admission lagging) complete it; the request is dropped', async () => {
    const { wire, block } = leaderProposal();
    let aborted = false;
    const r = replica([1, 4], {
      'sealer-1': (_ids, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    });
    r.intake.onMessage(wire, 'sealer-1');
    expect(r.delivered).toEqual([]);
    r.pool.add(workloadTx(1));
    r.pool.add(workloadTx(4));
    await waitUntil(() => r.delivered.length > 0);
    expect(r.delivered[0].block?.hashHex).toBe(block.hashHex);
    await waitUntil(() => aborted);
    expect(r.compact.stats).toMatchObject({ txsLate: 2, txsFetched: 0, completed: 1 });
    expect(r.intake.stats.abandoned).toBe(0);
  });

  it('txs received but not yet admitted (the gossip backlog) are taken from there: no request when that is enough', async () => {
    const { wire, block } = leaderProposal();
    const waiting = [workloadTx(50).bytes, workloadTx(3).bytes, new Uint8Array([9, 9]), workloadTx(6).bytes];
    const r = replica([3, 6], { 'sealer-1': never }, {}, () => waiting);
    r.intake.onMessage(wire, 'sealer-1');
    expect(r.delivered).toHaveLength(1);
    expect(r.delivered[0].block?.hashHex).toBe(block.hashHex);
    expect(r.asked).toEqual([]);
    expect(r.compact.stats).toMatchObject({ txsLate: 2, txsFetched: 0 });
    // only part of it there: the rest is fetched
    const { server } = leaderProposal();
    const r2 = replica([3, 6], { 'sealer-1': async (ids) => server.serve(ids, 1 << 20) }, {}, () => [workloadTx(3).bytes]);
    r2.intake.onMessage(wire, 'sealer-1');
    await waitUntil(() => r2.delivered.length > 0);
    expect(r2.asked).toEqual(['sealer-1']);
    expect(r2.compact.stats).toMatchObject({ txsLate: 1, txsFetched: 1 });
  });

  it('close() ends the fetches in flight without delivering', async () => {
    const { wire } = leaderProposal();
    const r = replica([3], { 'sealer-1': never });
    r.intake.onMessage(wire, 'sealer-1');
    r.intake.close();
    await new Promise((res) => setTimeout(res, 20));
    expect(r.delivered).toEqual([]);
  });
});

async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
