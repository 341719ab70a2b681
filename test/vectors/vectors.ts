/**
 * Fixed test vectors: every value here is computed from fixed inputs (labelled keys,
 * fixed timestamps, a seeded workload) by the real code paths, and compared against the
 * committed `expected.json`. A change that alters a hash, an encoding or a distance on
 * every node alike — which the determinism tests cannot see — shows up as a named diff.
 *
 * Regenerate on purpose (after an intended format change): `node test/vectors/generate.ts --write`.
 */
import { keyPairFromLabel, sign, sha256, type KeyPair } from '../../src/crypto/index.ts';
import {
  buildBlock, buildCertificate, encodeCertificate, genesisBlock, genesisHash, parseGenesis, signTx, voteBytes, DEFAULT_PARAMS,
  type DecodedBlock, type SignedTx,
} from '../../src/chain/index.ts';
import { GenesisCodec } from '../../src/codec/chain.ts';
import type { Genesis, TxPayload } from '../../src/codec/types.ts';
import { WorldState } from '../../src/state/world.ts';
import type { ExecutionResult } from '../../src/state/index.ts';
import { distanceM, distanceMetres } from '../../src/domain/geo.ts';
import { toHex, fromHex } from '../../src/util/bytes.ts';
import { mulberry32 } from '../sim/prng.ts';

export const CHAIN_ID = 'edgechain-vectors';
const T0 = 1_764_115_200_000;

const key = (label: string): KeyPair => keyPairFromLabel('vectors/' + label);
const SEALERS = ['proxy', 'company-a', 'company-b', 'company-c'];
const DEVICES = ['device-1', 'device-2', 'device-3', 'device-4', 'device-5', 'device-6'];
const COMPANIES = ['company-a', 'company-b', 'company-c'];

/** The fixed genesis, through the same parser the node uses on config/genesis.json. */
export function vectorGenesis(): Genesis {
  return parseGenesis({
    chainId: CHAIN_ID,
    timestamp: T0,
    sealers: SEALERS.map((s) => ({ name: s, publicKey: toHex(key('sealer/' + s).publicKey), role: s === 'proxy' ? 'proxy' : 'company' })),
    accounts: [
      { name: 'proxy', address: key('proxy').address, role: 'proxy', balance: 1_000_000 },
      ...COMPANIES.map((c) => ({ name: c, address: key(c).address, role: 'company' as const, balance: 1_000_000 })),
      ...DEVICES.map((d) => ({ name: d, address: key(d).address, role: 'user' as const, balance: 10_000 })),
    ],
    params: { ...DEFAULT_PARAMS },
  });
}

const addr = (label: string) => fromHex(key(label).address)!;

/** What every vector tx signs over besides its body: the vector genesis's hash (replay binding, docs/CHAIN.md). */
let vectorGenesisHash: Uint8Array | null = null;
const gh = (): Uint8Array => (vectorGenesisHash ??= genesisHash(vectorGenesis()));

/** One tx of each kind, with fixed senders and nonces. */
export function txOfEachKind(): Record<string, SignedTx> {
  const s = (label: string, nonce: number, p: TxPayload) => signTx(key(label), CHAIN_ID, nonce, p, gh());
  return {
    registerDevice: s('device-1', 0, { kind: 'registerDevice', registerDevice: { info: 'camera serial 0001' } }),
    addNode: s('company-a', 0, { kind: 'addNode', addNode: { id: 'flinders-st', lat: -37_818_300, lon: 144_967_100, capacity: 8, serviceTypes: ['video', 'ml'], price: 5 } }),
    updateNode: s('company-a', 1, { kind: 'updateNode', updateNode: { id: 'flinders-st', lat: -37_818_300, lon: 144_967_100, capacity: 12, serviceTypes: ['ml'], price: 6, online: true } }),
    removeNode: s('company-a', 2, { kind: 'removeNode', removeNode: { id: 'flinders-st' } }),
    edgeMatch: s('device-1', 1, { kind: 'edgeMatch', edgeMatch: { lat: -37_813_600, lon: 144_963_100, taskType: 'ml', demand: 2, maxPrice: 9, durationS: 600 } }),
    releaseLease: s('device-1', 2, { kind: 'releaseLease', releaseLease: { leaseId: 1 } }),
    transfer: s('proxy', 0, { kind: 'transfer', transfer: { to: addr('device-2'), amount: 1234 } }),
  };
}

/** The fixed 30-block workload: every kind, successes and failures, around Melbourne and near the date line. */
export function workload(blocks = 30, perBlock = 8): SignedTx[][] {
  const r = mulberry32(17);
  const ri = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const nonces = new Map<string, number>();
  const tx = (label: string, p: TxPayload) => {
    const n = nonces.get(label) ?? 0;
    nonces.set(label, n + 1);
    return signTx(key(label), CHAIN_ID, n, p, gh());
  };
  const types = ['video', 'ml', 'storage'];
  const out: SignedTx[][] = [DEVICES.map((d) => tx(d, { kind: 'registerDevice', registerDevice: { info: 'serial/' + d } }))];
  while (out.length < blocks) {
    const txs: SignedTx[] = [];
    for (let k = 0; k < perBlock; k++) {
      const op = r();
      const lat = -37_813_600 + ri(-50_000, 50_000);
      const lon = r() < 0.1 ? (r() < 0.5 ? 179_990_000 + ri(0, 10_000) : -179_990_000 - ri(0, 10_000)) : 144_963_100 + ri(-50_000, 50_000);
      const id = 'en-' + ri(0, 12);
      const company = COMPANIES[ri(0, 2)];
      const device = DEVICES[ri(0, DEVICES.length - 1)];
      if (op < 0.25) txs.push(tx(company, { kind: 'addNode', addNode: { id, lat, lon, capacity: ri(1, 8), serviceTypes: [types[ri(0, 2)]], price: ri(1, 9) } }));
      else if (op < 0.55) txs.push(tx(device, { kind: 'edgeMatch', edgeMatch: { lat, lon, taskType: types[ri(0, 2)], demand: ri(1, 3), maxPrice: r() < 0.5 ? 0 : ri(1, 9), durationS: 300 } }));
      else if (op < 0.65) txs.push(tx(device, { kind: 'releaseLease', releaseLease: { leaseId: ri(1, 20) } }));
      else if (op < 0.75) txs.push(tx(company, { kind: 'updateNode', updateNode: { id, lat, lon, capacity: ri(1, 8), serviceTypes: ['video', types[ri(1, 2)]], price: ri(1, 9), online: r() < 0.8 } }));
      else if (op < 0.8) txs.push(tx(company, { kind: 'removeNode', removeNode: { id } }));
      else txs.push(tx(r() < 0.5 ? device : company, { kind: 'transfer', transfer: { to: addr(DEVICES[ri(0, DEVICES.length - 1)]), amount: ri(1, 500) } }));
    }
    out.push(txs);
  }
  return out;
}

/** Runs the workload on a fresh state, building and certifying each block as the engine does. */
export function runChain(blocks = workload()): { genesis: Genesis; chain: DecodedBlock[]; state: WorldState; certs: Uint8Array[]; receiptRoots: string[]; stateRoots: string[]; failed: number; okByKind: Record<string, number>; results: ExecutionResult[] } {
  const genesis = vectorGenesis();
  const { state, result } = WorldState.fromGenesis(genesis);
  const chain: DecodedBlock[] = [genesisBlock(genesis, result.stateRoot)];
  const certs: Uint8Array[] = [];
  const results: ExecutionResult[] = [result];
  const stateRoots: string[] = [toHex(result.stateRoot)];
  const receiptRoots: string[] = [toHex(result.receiptRoot)];
  let failed = 0;
  const okByKind: Record<string, number> = {};
  blocks.forEach((txs, i) => {
    const height = i + 1;
    const leader = key('sealer/' + SEALERS[height % SEALERS.length]);
    const timestamp = T0 + height * 1000;
    const r = state.execute({ height, timestamp, proposer: leader.address }, txs);
    if (!r.ok) throw r.error;
    state.commit();
    failed += r.value.failed;
    results.push(r.value);
    r.value.receipts.forEach((rc, k) => {
      if (rc.status === 0) okByKind[txs[k].body.kind!] = (okByKind[txs[k].body.kind!] ?? 0) + 1;
    });
    const b = buildBlock({ chainId: CHAIN_ID, height, parentHash: chain[height - 1].hash, timestamp, proposer: addr('sealer/' + SEALERS[height % SEALERS.length]), view: 0, stateRoot: r.value.stateRoot, receiptRoot: r.value.receiptRoot }, txs);
    chain.push(b);
    certs.push(certificate(height, 0, b.hash, [0, 1, 2]));
    stateRoots.push(toHex(r.value.stateRoot));
    receiptRoots.push(toHex(r.value.receiptRoot));
  });
  return { genesis, chain, state, certs, stateRoots, receiptRoots, failed, okByKind, results };
}

/** An encoded commit certificate with seals of the given sealer indices (Ed25519 signatures are deterministic). */
export function certificate(height: number, view: number, blockHash: Uint8Array, signers: number[]): Uint8Array {
  const msg = voteBytes('commit', CHAIN_ID, height, view, blockHash);
  const seals = signers.map((i) => ({ sealer: i, signature: sign(msg, key('sealer/' + SEALERS[i]).secretKey) }));
  return encodeCertificate(buildCertificate(height, view, blockHash, seals));
}

export function sealerKeys(): KeyPair[] {
  return SEALERS.map((s) => key('sealer/' + s));
}

/** Known point pairs (micro-degrees): [name, lat1, lon1, lat2, lon2]. */
export const POINT_PAIRS: [string, number, number, number, number][] = [
  ['same point', -37_813_600, 144_963_100, -37_813_600, 144_963_100],
  ['one micro-degree of latitude', 0, 0, 1, 0],
  ['Flinders St to Melbourne CBD', -37_818_300, 144_967_100, -37_813_600, 144_963_100],
  ['Melbourne to Sydney', -37_813_600, 144_963_100, -33_868_800, 151_209_300],
  ['London to Paris', 51_507_400, -127_800, 48_856_600, 2_352_200],
  ['across the date line', 0, 179_999_000, 0, -179_999_000],
  ['pole to pole', 90_000_000, 0, -90_000_000, 0],
  ['antipodes on the equator', 0, 0, 0, 180_000_000],
  ['near the north pole, opposite longitudes', 89_999_000, 0, 89_999_000, 180_000_000],
  ['one degree of longitude on the equator', 0, 0, 0, 1_000_000],
];

/** Everything that is pinned, flat: name → value. */
export function computeVectors(): Record<string, string | number> {
  const v: Record<string, string | number> = {};
  const g = vectorGenesis();
  const gBytes = GenesisCodec.encode(g);
  v['genesis.bytes'] = toHex(gBytes);
  v['genesis.hash'] = toHex(genesisHash(g));
  const { state, result } = WorldState.fromGenesis(g);
  v['genesis.stateRoot'] = toHex(result.stateRoot);
  v['genesis.block.hash'] = toHex(genesisBlock(g, state.stateRoot).hash);
  for (const [kind, t] of Object.entries(txOfEachKind())) {
    v[`tx.${kind}.bytes`] = toHex(t.bytes);
    v[`tx.${kind}.hash`] = toHex(t.hash);
    v[`tx.${kind}.sender`] = t.sender;
  }
  const run = runChain();
  const b1 = run.chain[1];
  v['block.1.bytes'] = toHex(b1.bytes);
  v['block.1.headerBytes'] = toHex(b1.headerBytes);
  v['block.1.hash'] = toHex(b1.hash);
  v['certificate.1.bytes'] = toHex(run.certs[0]);
  v['certificate.1.voteBytes'] = toHex(voteBytes('commit', CHAIN_ID, 1, 0, b1.hash));
  v['workload.blocks'] = run.chain.length - 1;
  v['workload.txs'] = run.chain.reduce((n, b) => n + b.txs.length, 0);
  v['workload.failedTxs'] = run.failed;
  v['workload.head.hash'] = run.chain[run.chain.length - 1].hashHex;
  v['workload.head.stateRoot'] = run.stateRoots[run.stateRoots.length - 1];
  v['workload.head.receiptRoot'] = run.receiptRoots[run.receiptRoots.length - 1];
  // every block's roots, folded into one digest (the diff names the first height that differs via the per-height entries below)
  v['workload.allStateRoots.sha256'] = toHex(sha256(new TextEncoder().encode(run.stateRoots.join(','))));
  v['workload.allReceiptRoots.sha256'] = toHex(sha256(new TextEncoder().encode(run.receiptRoots.join(','))));
  for (const h of [10, 20]) {
    v[`workload.${h}.stateRoot`] = run.stateRoots[h];
    v[`workload.${h}.receiptRoot`] = run.receiptRoots[h];
  }
  for (const [name, a, b, c, d] of POINT_PAIRS) {
    v[`distance.${name}.metres`] = distanceMetres(a, b, c, d);
    v[`distance.${name}.exact`] = distanceM(a, b, c, d);
  }
  return v;
}
