import { keyPairFromLabel, sign, verify, noble, sha256 } from '../src/crypto/index.ts';
import { signTx, decodeAndVerifyTx, TxVerifier, DEFAULT_PARAMS, type SignedTx } from '../src/chain/index.ts';
import { utf8 } from '../src/util/bytes.ts';
import { measureRate } from './lib.ts';

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
  return out;
}

function round(x: number, d: number): number {
  const p = 10 ** d;
  return Math.round(x * p) / p;
}

if (import.meta.main) {
  console.log(await run({ quick: process.argv.includes('--quick') }));
}
