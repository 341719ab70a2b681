import { keyPairFromLabel, sign, verify, noble, sha256 } from '../src/crypto/index.ts';
import { signTx, decodeAndVerifyTx, TxVerifier, DEFAULT_PARAMS, type SignedTx } from '../src/chain/index.ts';
import { utf8 } from '../src/util/bytes.ts';
import { TxPool } from '../src/txpool/pool.ts';
import { ed25519VerifyCpuUs, measureRate, processCpuUs } from './lib.ts';

/** Signature, hashing and tx-admission throughput on one core. */
export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const ms = opts.quick ? 300 : 1000;
  const kp = keyPairFromLabel('bench');
  const msgs = Array.from({ length: 256 }, (_, i) => utf8('message number ' + i + ' '.repeat(100)));
  const sigs = msgs.map((m) => sign(m, kp.secretKey));
  const out: Record<string, number> = {};

  out['crypto.ed25519_verify_node_per_s'] = measureRate(ms, (i) => verify(sigs[i & 255], msgs[i & 255], kp.publicKey));
  out['crypto.ed25519_verify_noble_per_s'] = measureRate(ms, (i) => noble.verify(sigs[i & 255], msgs[i & 255], kp.publicKey));
  out['crypto.ed25519_verify_speedup_x'] = round(out['crypto.ed25519_verify_node_per_s'] / out['crypto.ed25519_verify_noble_per_s'], 1);
  out['crypto.ed25519_sign_node_per_s'] = measureRate(ms, (i) => sign(msgs[i & 255], kp.secretKey));
  out['crypto.sha256_256B_per_s'] = measureRate(ms, (i) => sha256(msgs[i & 255]));

  const chainId = 'bench';
  const senders = Array.from({ length: 64 }, (_, i) => keyPairFromLabel('sender-' + i));
  const txs: SignedTx[] = Array.from({ length: 4096 }, (_, i) =>
    signTx(senders[i % 64], chainId, Math.floor(i / 64), { kind: 'edgeMatch', edgeMatch: { lat: -37_800_000 + i, lon: 144_900_000 + i, taskType: 'video', demand: 1, maxPrice: 0, durationS: 60 } }),
  );
  const decodeOpts = { chainId, maxTxBytes: DEFAULT_PARAMS.maxTxBytes };
  // a fresh verifier per pass over the set: every decode+verify is a real verification
  let verifier = new TxVerifier();
  out['tx.decode_verify_per_s'] = measureRate(ms, (i) => {
    if ((i & 4095) === 0) verifier = new TxVerifier();
    const r = decodeAndVerifyTx(txs[i & 4095].bytes, decodeOpts, verifier);
    if (!r.ok) throw r.error;
  });
  const warm = new TxVerifier();
  for (const t of txs) warm.verify(t);
  out['tx.decode_cached_verify_per_s'] = measureRate(ms, (i) => {
    const r = decodeAndVerifyTx(txs[i & 4095].bytes, decodeOpts, warm);
    if (!r.ok) throw r.error;
  });
  Object.assign(out, admissionFigures(opts.quick, await ed25519VerifyCpuUs()));
  return out;
}

/**
 * Pool admission CPU per tx (issue 16): 5,000 signed EdgeMatch txs of 1,000 senders (5 nonces
 * each) admitted as raw bytes into a fresh TxPool with a listener (the ledger subscribes one),
 * through the node's path (TxPool.add: hash, decode with the canonical checks, nonce
 * bookkeeping, signature). Three figures: with the signature check (a fresh verifier), without
 * it (a verifier that already holds every tx: all the rest of admission), and the same 5,000
 * bytes again (duplicates, as gossip brings them). Median of several passes, process CPU time (GC helpers included),
 * and in units of one Ed25519 verification measured in the same run.
 */
function admissionFigures(quick: boolean, ed25519Us: number): Record<string, number> {
  const chainId = 'bench';
  const senders = Array.from({ length: 1000 }, (_, i) => keyPairFromLabel('admission-' + i));
  const txs: SignedTx[] = [];
  for (let n = 0; n < 5; n++) for (const k of senders) txs.push(signTx(k, chainId, n, { kind: 'edgeMatch', edgeMatch: { lat: -37_800_000 + n, lon: 144_900_000, taskType: 'video', demand: 1, maxPrice: 0, durationS: 60 } }));
  const bytes = txs.map((t) => t.bytes);
  const state = { nonceOf: () => 0 };
  const warm = new TxVerifier();
  for (const t of txs) warm.verify(t);
  const listener = { added() {}, removed() {}, promoted() {} };
  const perTx = (f: () => void): number => {
    const t0 = processCpuUs();
    f();
    return (processCpuUs() - t0) / bytes.length;
  };
  const fresh: number[] = [];
  const dup: number[] = [];
  const noSig: number[] = [];
  const passes = quick ? 4 : 8;
  for (let p = 0; p <= passes; p++) {
    const pool = new TxPool({ chainId }, { state, verifier: new TxVerifier() });
    pool.subscribe(listener);
    const f = perTx(() => bytes.forEach((b) => void (pool.add(b).ok || fail('refused'))));
    const d = perTx(() => bytes.forEach((b) => void (pool.add(b).ok && fail('duplicate admitted'))));
    const pool2 = new TxPool({ chainId }, { state, verifier: { verify: (t) => warm.verify(t), forget() {} } });
    pool2.subscribe(listener);
    const w = perTx(() => bytes.forEach((b) => void (pool2.add(b).ok || fail('refused'))));
    if (p === 0) continue; // warm-up
    fresh.push(f);
    dup.push(d);
    noSig.push(w);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const out: Record<string, number> = { 'txpool.ed25519_verify_cpu_us': round(ed25519Us, 2) };
  for (const [name, v] of [['admit', med(fresh)], ['admit_without_signature', med(noSig)], ['duplicate', med(dup)]] as const) {
    out[`txpool.${name}_cpu_us_per_tx`] = round(v, 2);
    out[`txpool.${name}_ed25519_units_per_tx`] = round(v / ed25519Us, 3);
  }
  return out;
}

function fail(why: string): never {
  throw new Error('admission bench: ' + why);
}

function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}

if (import.meta.main) {
  console.log(await run({ quick: process.argv.includes('--quick') }));
}
