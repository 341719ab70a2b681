/**
 * Consensus benchmark: the PBFT engine in the simulator on a calm network with real
 * Ed25519 signatures (no memoized verification), for n = 4, 7, 10, 16 sealers.
 * Figures: virtual commit latency (first proposal → first finalization, mean and p99),
 * messages and bytes per block (every transmission to every peer), engine steps/s (wall).
 * Run alone: `npx node bench/consensus.bench.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { scenarioConfig } from '../test/sim/scenarios.ts';
import { Simulation, simSealers } from '../test/sim/sim.ts';
import { SIM_CHAIN_ID, SIM_PARAMS, simChain } from '../test/sim/ledger-node.ts';
import { buildBlock, decodeBlock, signTx, TxVerifier, type SignedTx } from '../src/chain/index.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec } from '../src/codec/consensus.ts';
import type { TxPayload } from '../src/codec/types.ts';
import { gossipCheck, signedBytes } from '../src/consensus/index.ts';
import { keyPairFromLabel, sign } from '../src/crypto/keys.ts';
import { CompactProposals } from '../src/ledger/index.ts';
import { WorldState } from '../src/state/world.ts';
import { TxPool } from '../src/txpool/pool.ts';

export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const heights = opts.quick ? 5 : 30;
  const seeds = opts.quick ? 1 : 3;
  for (const n of [4, 7, 10, 16]) {
    const lat: number[] = [];
    let msgs = 0;
    let bytes = 0;
    let blocks = 0;
    let steps = 0;
    let wall = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const cfg = scenarioConfig('normal', n, seed);
      cfg.observers = 0;
      cfg.target = heights;
      cfg.realVerify = true;
      const t0 = performance.now();
      const r = new Simulation(cfg).run();
      wall += performance.now() - t0;
      if (r.violations.length) throw new Error(`consensus bench n=${n} seed=${seed}: ${r.violations[0]}`);
      lat.push(...r.latencies);
      msgs += r.messages;
      bytes += r.bytes;
      blocks += r.blocks;
      steps += r.steps;
    }
    lat.sort((a, b) => a - b);
    out[`consensus.n${n}.commit_latency_ms_mean`] = round(lat.reduce((a, b) => a + b, 0) / lat.length);
    out[`consensus.n${n}.commit_latency_ms_p99`] = round(lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]);
    out[`consensus.n${n}.messages_per_block`] = round(msgs / blocks);
    out[`consensus.n${n}.bytes_per_block`] = Math.round(bytes / blocks);
    out[`consensus.n${n}.engine_steps_per_s`] = Math.round(steps / (wall / 1000));
    if (n === 4) {
      // the same runs with whole blocks in every proposal (compact proposals off)
      let fullBytes = 0;
      let fullBlocks = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const cfg = scenarioConfig('normal', n, seed);
        cfg.observers = 0;
        cfg.target = heights;
        cfg.fullProposals = true;
        const r = new Simulation(cfg).run();
        fullBytes += r.bytes;
        fullBlocks += r.blocks;
      }
      out[`consensus.n${n}.bytes_per_block_full_proposals`] = Math.round(fullBytes / fullBlocks);
    }
  }
  Object.assign(out, proposalCost(opts.quick));
  return out;
}

/**
 * A proposal of 500 txs of the e2e bench's mix (80 % EdgeMatch, 15 % Transfer, 5 % AddNode, one
 * sender each): its bytes whole and compact, and a replica's CPU to take it up to the engine's
 * block check — whole: the gossip boundary's decode, the engine's envelope decode and
 * decodeBlock (every tx decoded again); compact: the boundary's decode, the rebuild from a pool
 * holding every tx (ids looked up, tx root, block bytes assembled) and the engine's envelope
 * decode. Signature checks are left out of both (the same in both: the envelope's once, the
 * txs' from the verifier's cache).
 */
export function proposalCost(quick: boolean): Record<string, number> {
  const TXS = 500;
  const reps = quick ? 40 : 200;
  const txs: SignedTx[] = [];
  for (let i = 0; i < TXS; i++) {
    const key = keyPairFromLabel('bench-proposal-' + i);
    const r = i % 20;
    const payload: TxPayload =
      r === 0
        ? { kind: 'addNode', addNode: { id: `n-${i}`, lat: -37_813_600 + i, lon: 144_963_100 - i, capacity: 1000, serviceTypes: ['video'], price: 1 + (i % 5) } }
        : r <= 3
          ? { kind: 'transfer', transfer: { to: key.publicKey.subarray(0, 20), amount: 1 } }
          : { kind: 'edgeMatch', edgeMatch: { lat: -37_813_600 + i * 7, lon: 144_963_100 - i * 3, taskType: i % 2 ? 'video' : 'ml', demand: 1, maxPrice: 0, durationS: 60 } };
    txs.push(signTx(key, SIM_CHAIN_ID, 0, payload));
  }
  const params = { ...SIM_PARAMS, maxBlockTxs: 1000 };
  const leader = keyPairFromLabel('sim-sealer-1');
  const block = buildBlock({ chainId: SIM_CHAIN_ID, height: 1, parentHash: new Uint8Array(32), timestamp: 1, proposer: new Uint8Array(20), view: 0, stateRoot: new Uint8Array(32), receiptRoot: new Uint8Array(32) }, txs);
  const payload = ConsensusPayloadCodec.encode({ prePrepare: { height: 1, view: 0, blockHash: block.hash } });
  const full = ConsensusMessageCodec.encode({ payload, sender: 1, signature: sign(signedBytes(payload), leader.secretKey), block: block.bytes });
  const { state } = WorldState.fromGenesis(simChain(4).genesis);
  const pool = new TxPool({ chainId: SIM_CHAIN_ID, maxCount: 10_000 }, { state, verifier: new TxVerifier() });
  for (const t of txs) if (!pool.add(t).ok) throw new Error('proposal bench: a tx was refused by the pool');
  const compactor = new CompactProposals({ chainId: SIM_CHAIN_ID, params }, pool);
  const compact = compactor.compact(full, 'prePrepare');
  const sealers = simSealers(4);
  const boundary = { chainId: SIM_CHAIN_ID, sealersAt: () => sealers, verify: () => true };
  // CPU time per receive, measured in rounds that alternate the two (the machine is shared):
  // the median round of each
  const rounds = quick ? 5 : 9;
  const perRound = quick ? 10 : 25;
  const time = (f: () => void) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / perRound;
  };
  const receiveFull = () => {
    if (!gossipCheck(full, boundary).ok) throw new Error('boundary');
    const e = ConsensusMessageCodec.decode(full);
    if (!e.ok || !decodeBlock(e.value.block, { chainId: SIM_CHAIN_ID, params }).ok) throw new Error('decode');
  };
  const receiveCompact = () => {
    const g = gossipCheck(compact, boundary);
    if (!g.ok) throw new Error('boundary');
    // a fresh rebuilder each time: the same message twice would be a re-send
    const x = new CompactProposals({ chainId: SIM_CHAIN_ID, params }, pool).expand(compact, g.envelope);
    if (x.type !== 'ready' || !ConsensusMessageCodec.decode(compact).ok) throw new Error('rebuild');
  };
  for (let i = 0; i < 5; i++) {
    receiveFull();
    receiveCompact();
  }
  const fulls: number[] = [];
  const compacts: number[] = [];
  for (let r = 0; r < rounds; r++) {
    fulls.push(time(receiveFull));
    compacts.push(time(receiveCompact));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const fullUs = median(fulls);
  const compactUs = median(compacts);
  return {
    'consensus.proposal_500tx.full_bytes': full.length,
    'consensus.proposal_500tx.compact_bytes': compact.length,
    'consensus.proposal_500tx.full_receive_cpu_us': Math.round(fullUs),
    'consensus.proposal_500tx.compact_receive_cpu_us': Math.round(compactUs),
  };
}


const round = (x: number) => Math.round(x * 10) / 10;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const res = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(40)} ${v}`);
}
