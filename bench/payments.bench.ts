/**
 * Payments benchmarks (docs/PAYMENTS.md): off-chain voucher verification per second on one
 * core (verifyVoucher's path: decode, channel lookup, Ed25519 verify; target ≥ 10,000/s), and
 * the cost of lease expiry: the same 1,000-EdgeMatch block executed with no lease due and
 * with 1,000 leases expiring at its start (target: expiry adds ≤ 10 %).
 * Run alone: `npx node bench/payments.bench.ts [--quick]`.
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { keyPairFromLabel, verify } from '../src/crypto/keys.ts';
import { signTx, type SignedTx } from '../src/chain/tx.ts';
import { DEFAULT_PARAMS } from '../src/chain/params.ts';
import { encodeVoucher, signVoucher, voucherSignBytes } from '../src/domain/vouchers.ts';
import { WorldState } from '../src/state/index.ts';
import { fromHex } from '../src/util/bytes.ts';
import { loadedState, makeNodes } from './state.bench.ts';
import { percentile } from './lib.ts';
import { mulberry32 as prng } from '../test/sim/prng.ts';

const T0 = 1_700_000_000_000;
const PROPOSER = '0x' + '00'.repeat(20);
const round2 = (x: number) => Math.round(x * 100) / 100;
// a full GC before each timed block, so garbage of the previous rounds is not collected inside the next one
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** CPU time of this thread in ms: on a machine shared with other processes it varies far less than wall time. */
const cpuMs = (): number => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};

function voucherFigures(quick: boolean, out: Record<string, number>): void {
  const payer = keyPairFromLabel('bench-payer');
  const payee = keyPairFromLabel('bench-payee');
  const g = {
    chainId: 'bench',
    timestamp: T0,
    sealers: [{ name: 'p', publicKey: payee.publicKey, role: 'proxy' }],
    accounts: [{ address: fromHex(payer.address)!, role: 'user', balance: 1e12, name: 'payer' }],
    params: DEFAULT_PARAMS,
  };
  const ws = WorldState.fromGenesis(g).state;
  const open = signTx(payer, 'bench', 0, { kind: 'channelOpen', channelOpen: { payee: fromHex(payee.address)!, deposit: 1e9, expiresInS: 3600 } });
  const r = ws.execute({ height: 1, timestamp: T0 + 1000, proposer: PROPOSER }, [open]);
  if (!r.ok || r.value.receipts[0].status !== 0) throw new Error('bench: channel open failed');
  ws.commit();
  const n = quick ? 5_000 : 30_000;
  const vouchers = Array.from({ length: n }, (_, i) => encodeVoucher(signVoucher(payer.secretKey, 'bench', 1, i + 1)));
  for (let i = 0; i < 500; i++) ws.verifyVoucher(vouchers[i]); // warm-up
  const t0 = process.hrtime.bigint();
  const c0 = cpuMs();
  let valid = 0;
  for (const v of vouchers) if (ws.verifyVoucher(v).valid) valid++;
  const cpuS = (cpuMs() - c0) / 1000;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (valid !== n) throw new Error(`bench: ${n - valid} vouchers did not verify`);
  // per second of this thread's CPU time (one core), and per wall-clock second (lower when the machine is shared)
  out['payments.voucher_verify_per_cpu_s'] = Math.round(n / cpuS);
  // the ceiling: bare Ed25519 verifications (OpenSSL) of the same signatures, same thread
  const msgs = Array.from({ length: n }, (_, i) => voucherSignBytes('bench', 1, i + 1));
  const sigs = vouchers.map((v) => v.subarray(v.length - 64));
  const c1 = cpuMs();
  for (let i = 0; i < n; i++) if (!verify(sigs[i], msgs[i], payer.publicKey)) throw new Error('bench: bare verify failed');
  out['payments.ed25519_verify_per_cpu_s'] = Math.round(n / ((cpuMs() - c1) / 1000));
  out['payments.voucher_verify_per_wall_s'] = Math.round(n / s);
}

/** `onNodes`: the expiring leases sit on this many nodes (0 = spread over all of them). */
function expiryFigures(quick: boolean, out: Record<string, number>, onNodes = 0): void {
  const nNodes = quick ? 10_000 : 100_000;
  const nodes = makeNodes(nNodes, 'clustered', 7).map((x) => ({ ...x, capacity: 1000, price: 1 }));
  const labels = Array.from({ length: 1000 }, (_, i) => 'bench-device-' + i);
  const keys = labels.map((l) => keyPairFromLabel(l));
  const ws = loadedState(nodes, labels);
  const r = prng(11);
  const pick = (among: number) => nodes[Math.floor(r() * among)];
  const match = (k: (typeof keys)[number], nonce: number, durationS: number, among = nodes.length): SignedTx => {
    const n = pick(among);
    return signTx(k, 'bench', nonce, { kind: 'edgeMatch', edgeMatch: { lat: n.lat, lon: n.lon, taskType: n.serviceTypes[0], demand: 1, maxPrice: 0, durationS } });
  };
  // block 1: 1,000 leases that all end at T0 + 60 s
  const setup = keys.map((k) => match(k, 0, 60, onNodes || nodes.length));
  const s1 = ws.execute({ height: 1, timestamp: T0, proposer: PROPOSER }, setup);
  if (!s1.ok) throw s1.error;
  if (s1.value.failed) throw new Error(`bench: ${s1.value.failed} setup matches failed`);
  ws.commit();
  // the measured block: 1,000 new matches, either before the leases end (none due) or at their end (1,000 due)
  const block = keys.map((k) => match(k, 1, 3600));
  const rounds = quick ? 7 : 21;
  const time = (timestamp: number, expect: number): number[] => {
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      gc();
      const t = cpuMs();
      const x = ws.execute({ height: 2, timestamp, proposer: PROPOSER }, block);
      const e = cpuMs() - t;
      if (!x.ok) throw x.error;
      if (ws.expiredInLastBlock.length !== expect) throw new Error(`bench: ${ws.expiredInLastBlock.length} leases expired, expected ${expect}`);
      if (x.value.failed) throw new Error(`bench: ${x.value.failed} matches failed`);
      ws.revert();
      if (i > 0) ms.push(e); // the first is warm-up
    }
    return ms;
  };
  // interleave the two cases so that machine load affects both alike
  const none: number[] = [];
  const due: number[] = [];
  for (let k = 0; k < 3; k++) {
    none.push(...time(T0 + 30_000, 0));
    due.push(...time(T0 + 60_000, 1000));
  }
  const a = percentile(none, 50);
  const b = percentile(due, 50);
  // medians of the thread's CPU time per block execution
  if (onNodes) {
    out[`payments.expiry_on_${onNodes}_nodes_overhead_pct`] = round2(((b - a) / a) * 100);
    return;
  }
  out['payments.block_1000_matches_cpu_ms'] = round2(a);
  out['payments.block_1000_matches_1000_expiring_cpu_ms'] = round2(b);
  out['payments.expiry_overhead_pct'] = round2(((b - a) / a) * 100);
  out['payments.match_cpu_us_per_tx'] = round2((a * 1000) / block.length);
  out['payments.expiry_cpu_us_per_lease'] = round2(((b - a) * 1000) / 1000);
}

export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  voucherFigures(opts.quick, out);
  expiryFigures(opts.quick, out);
  // the same 1,000 expiries grouped on 100 nodes (a city-sized deployment: 125 sites in the demo)
  expiryFigures(opts.quick, out, 100);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(48)} ${v}`);
}
