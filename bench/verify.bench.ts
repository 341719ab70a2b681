/**
 * Authenticated state and match verification (docs/VERIFY.md): the per-block cost of keeping the
 * state tree, proof sizes, and `verify match` end to end (in process, every answer through JSON
 * as on the wire) for 125, 10,000 and 100,000 edge nodes, all offering the task type (the worst
 * case: every node is a candidate the verifier must see).
 * Run alone: `node bench/verify.bench.ts [--quick]`.
 */
import { fileURLToPath } from 'node:url';
import { buildBlock, type DecodedBlock } from '../src/chain/block.ts';
import { buildCertificate, encodeCertificate, voteBytes } from '../src/chain/certificate.ts';
import { DEFAULT_PARAMS } from '../src/chain/params.ts';
import { signTx, type SignedTx } from '../src/chain/tx.ts';
import { ReceiptCodec } from '../src/codec/chain.ts';
import { StateAccountCodec, StateDeviceCodec, StateDeviceInfoCodec, StateEdgeNodeCodec } from '../src/codec/state.ts';
import type { Genesis } from '../src/codec/types.ts';
import { sha256 } from '../src/crypto/hash.ts';
import { keyPairFromLabel, sign } from '../src/crypto/keys.ts';
import { merkleRoot } from '../src/crypto/merkle.ts';
import { proofMethods } from '../src/rpc/proofs.ts';
import type { RpcContext } from '../src/rpc/methods.ts';
import { WorldState, accountKey, applyWrites, buildTree, deviceInfoKey, deviceKey, nodeKey, rootOf } from '../src/state/index.ts';
import { equalBytes, fromHex, toHex, utf8 } from '../src/util/bytes.ts';
import { anchorFromGenesis, verifyMatch, type RpcCall } from '../src/verify/match.ts';
import { mulberry32 as prng } from '../test/sim/prng.ts';

const CHAIN = 'bench-verify';
const sealer = keyPairFromLabel('bench-verify-sealer');
const company = keyPairFromLabel('bench-verify-company');
const deviceKeys = Array.from({ length: 1000 }, (_, i) => keyPairFromLabel('bench-verify-device-' + i));

function entriesFor(n: number): [Uint8Array, Uint8Array][] {
  const r = prng(n);
  const owner = fromHex(company.address)!;
  const entries: [Uint8Array, Uint8Array][] = [[accountKey(owner), StateAccountCodec.encode({ nonce: 0, balance: 0, role: 2 })]];
  for (let i = 0; i < n; i++) {
    const id = 'en-' + i.toString(36).padStart(6, '0');
    // spread over Europe; every node offers "gpu", a third also "cpu"
    const lat = Math.round((36 + r() * 24) * 1e6);
    const lon = Math.round((-9 + r() * 35) * 1e6);
    const types = i % 3 === 0 ? ['gpu', 'cpu'] : ['gpu'];
    entries.push([nodeKey(id), StateEdgeNodeCodec.encode({ id, owner, lat, lon, capacity: 1000, used: 0, serviceTypes: types, price: 1 + (i % 20), online: true, activeLeases: 0, addedAt: 0, updatedAt: 0 })]);
  }
  for (const k of deviceKeys) {
    const a = fromHex(k.address)!;
    // funded: an EdgeMatch pays for its lease (issue 13); an unfunded device's match fails with INSUFFICIENT_FUNDS
    entries.push([accountKey(a), StateAccountCodec.encode({ nonce: 0, balance: 1e12, role: 0 })]);
    entries.push([deviceKey(a), StateDeviceCodec.encode({ info: k.address, registeredAt: 0 })]);
    entries.push([deviceInfoKey(sha256(utf8(k.address))), StateDeviceInfoCodec.encode({ device: a })]);
  }
  return entries;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round2 = (x: number) => Math.round(x * 100) / 100;
const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

/** One size: tree build, a 1,000-match block's tree update, proof sizes, verify match. */
async function figuresFor(n: number, out: Record<string, number>): Promise<void> {
  const entries = entriesFor(n);
  let t0 = process.hrtime.bigint();
  const tree0 = buildTree(entries);
  out[`tree.build_${label(n)}_nodes_ms`] = Math.round(ms(t0));
  const genesis: Genesis = {
    chainId: CHAIN,
    timestamp: 0,
    sealers: [{ name: 'sealer', publicKey: sealer.publicKey, role: 'proxy' }],
    accounts: [],
    params: { ...DEFAULT_PARAMS, maxBlockTxs: 100_000 },
  };
  const ws = WorldState.load(entries, { height: 0, stateRoot: rootOf(tree0), rules: { chainId: CHAIN, params: genesis.params } });
  const r = prng(7);
  const chain: { block: DecodedBlock; certificate: Uint8Array; receipts: Uint8Array[] }[] = [];
  const parent0 = buildBlock({ chainId: CHAIN, height: 0, parentHash: new Uint8Array(32), timestamp: 0, proposer: new Uint8Array(20), view: 0, stateRoot: ws.stateRoot, receiptRoot: merkleRoot([]) }, []);
  chain.push({ block: parent0, certificate: new Uint8Array(0), receipts: [] });
  // two blocks of 1,000 EdgeMatches (one per device): the first is measured for the tree update
  let updateMs = 0;
  let writes = 0;
  for (let height = 1; height <= 2; height++) {
    const txs: SignedTx[] = deviceKeys.map((k) =>
      signTx(k, CHAIN, height - 1, { kind: 'edgeMatch', edgeMatch: { lat: Math.round((36 + r() * 24) * 1e6), lon: Math.round((-9 + r() * 35) * 1e6), taskType: 'gpu', demand: 1, maxPrice: 0, durationS: 60 } }),
    );
    const before = height === 1 ? tree0 : null;
    const res = ws.execute({ height, timestamp: height, proposer: sealer.address }, txs);
    if (!res.ok) throw res.error;
    ws.commit();
    if (before) {
      t0 = process.hrtime.bigint();
      const t = applyWrites(before, res.value.writes);
      const root = rootOf(t);
      updateMs = ms(t0);
      writes = res.value.writes.length;
      if (!equalBytes(root, res.value.stateRoot)) throw new Error('tree update disagrees with the state');
    }
    const receipts = res.value.receiptBytes;
    const b = buildBlock(
      { chainId: CHAIN, height, parentHash: chain[height - 1].block.hash, timestamp: height, proposer: fromHex(sealer.address)!, view: 0, stateRoot: res.value.stateRoot, receiptRoot: merkleRoot(receipts.map((x) => sha256(x))) },
      txs,
    );
    const seal = { sealer: 0, signature: sign(voteBytes('commit', CHAIN, height, 0, b.hash), sealer.secretKey) };
    chain.push({ block: b, certificate: encodeCertificate(buildCertificate(height, 0, b.hash, [seal])), receipts });
  }
  out[`tree.block_update_${label(n)}_nodes_ms`] = round2(updateMs);
  out[`tree.block_update_${label(n)}_writes`] = writes;

  // proofs through the node's RPC handlers, every answer through JSON
  const ctx = {
    state: ws,
    store: {
      getBlockByHeight: async (h: number) => chain[h] && { block: chain[h].block.bytes, certificate: chain[h].certificate, txs: chain[h].block.txs.map((t) => t.bytes) },
      getReceipt: async (hash: Uint8Array) => {
        for (const s of chain) {
          const i = s.block.txs.findIndex((t) => equalBytes(t.hash, hash));
          if (i >= 0) return s.receipts[i];
        }
        return undefined;
      },
    },
  } as unknown as RpcContext;
  const methods = proofMethods(ctx);
  let wireBytes = 0;
  const call: RpcCall = async (method, params) => {
    if (method === 'getTransactionReceipt') return { blockNumber: chain.findIndex((s) => s.block.txs.some((t) => t.hashHex === params[0])) };
    const text = JSON.stringify(await methods[method](params as never));
    wireBytes += text.length;
    return JSON.parse(text);
  };
  const keyProof = ws.proveKey(deviceKey(fromHex(deviceKeys[0].address)!), 1).proof;
  out[`proof.key_${label(n)}_nodes_bytes`] = keyProof.siblings.length * 32 + (keyProof.leaf ? 96 : 0);
  const range = ws.proveServiceType('gpu', 1);
  let rangeBin = range.proof.siblings.length * 32;
  for (const l of range.proof.leaves) rangeBin += l.key.length + l.value.length;
  out[`proof.type_range_${label(n)}_nodes_bytes`] = rangeBin;

  // verify the last match of block 2 (999 txs before it in the block)
  const target = chain[2].block.txs[999].hashHex;
  const anchor = anchorFromGenesis(genesis);
  const runs = n >= 100_000 ? 2 : 5;
  let best = Infinity;
  let verdict;
  for (let i = 0; i < runs; i++) {
    wireBytes = 0;
    t0 = process.hrtime.bigint();
    verdict = await verifyMatch(call, anchor, target);
    best = Math.min(best, ms(t0));
  }
  if (!verdict!.verified) throw new Error('verify failed: ' + verdict!.problems.join('; '));
  if (ReceiptCodec.decode(chain[2].receipts[999]).ok !== true) throw new Error('receipt');
  out[`verify.match_${label(n)}_nodes_ms`] = Math.round(best);
  out[`verify.match_${label(n)}_nodes_wire_kib`] = Math.round(wireBytes / 1024);
  out[`verify.match_${label(n)}_nodes_rpc_calls`] = verdict!.stats.rpcCalls;
  out[`verify.match_${label(n)}_nodes_range_parts`] = verdict!.stats.rangeParts;
  void toHex;
}

export async function run(opts: { quick: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of opts.quick ? [125, 10_000] : [125, 10_000, 100_000]) await figuresFor(n, out);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await run({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(44)} ${v}`);
}
