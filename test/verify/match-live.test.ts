/**
 * `verify match` against a real node over HTTP (docs/VERIFY.md): honest matches verify (also
 * several in one block, releases, NO_CANDIDATE and NOT_DEVICE receipts), and a proxy in front
 * of the node that doctors one answer (a receipt, the state, a proof, the certificate, the
 * tx's location) is caught, saying what disagrees.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { startSingleNode, type SingleNode } from '../support/single-node.ts';
import { waitFor } from '../e2e/harness.ts';
import { signTx, type SignedTx } from '../../src/chain/tx.ts';
import { parseGenesis } from '../../src/chain/genesis.ts';
import { readKeyFile, type KeyPair } from '../../src/crypto/index.ts';
import type { TxPayload } from '../../src/codec/types.ts';
import { ReceiptCodec } from '../../src/codec/chain.ts';
import { anchorFromGenesis, verifyMatch, type VerifyAnchor } from '../../src/verify/match.ts';
import { httpRpc } from '../../src/verify/rpc.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

let n: SingleNode;
let anchor: VerifyAnchor;
let company: KeyPair;
const nonces = new Map<string, number>();
const matches: { hash: string; status?: number }[] = [];

const rpc = (url: string) => httpRpc(url);

async function send(url: string, key: KeyPair, payload: TxPayload): Promise<SignedTx> {
  const nonce = nonces.get(key.address) ?? 0;
  nonces.set(key.address, nonce + 1);
  const stx = signTx(key, n.node.genesis.chainId, nonce, payload, n.node.verifier.genesisHash);
  await rpc(url)('sendRawTransaction', [toHex(stx.bytes, true)]);
  return stx;
}

const receipt = (url: string, stx: SignedTx) =>
  waitFor(`receipt of ${stx.hashHex}`, async () => (await rpc(url)('getTransactionReceipt', [stx.hashHex])) as Record<string, unknown> | null, 60_000, 50);

const node = (id: string, lat: number, lon: number, capacity: number, types: string[], price: number): TxPayload => ({
  kind: 'addNode',
  addNode: { id, lat: Math.round(lat * 1e6), lon: Math.round(lon * 1e6), capacity, serviceTypes: types, price },
});
const match = (lat: number, lon: number, taskType: string, demand: number, maxPrice = 0): TxPayload => ({
  kind: 'edgeMatch',
  edgeMatch: { lat: Math.round(lat * 1e6), lon: Math.round(lon * 1e6), taskType, demand, maxPrice, durationS: 600 },
});

/** A loopback HTTP proxy to the node that lets `doctor` rewrite one method's answer. */
async function lyingProxy(doctor: (method: string, params: unknown[], result: unknown) => unknown): Promise<{ url: string; close(): Promise<void> }> {
  const real = rpc(n.url);
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const { id, method, params } = JSON.parse(body);
    let out: Record<string, unknown>;
    try {
      out = { jsonrpc: '2.0', id, result: doctor(method, params, await real(method, params)) };
    } catch (e) {
      out = { jsonrpc: '2.0', id, error: { code: (e as { code?: number }).code ?? -32603, message: (e as Error).message, data: (e as { data?: unknown }).data } };
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  // the first device account becomes a company (with one sealer, the testnet has no company account)
  n = await startSingleNode({
    sealers: 1,
    devices: 3,
    editGenesis: (g) => {
      const accts = g.accounts as { name: string; role: string }[];
      accts.find((a) => a.name === 'device-1')!.role = 'company';
    },
  });
  anchor = anchorFromGenesis(parseGenesis(JSON.parse(readFileSync(n.layout.genesisPath, 'utf8'))));
  company = readKeyFile(n.layout.accounts.find((a) => a.name === 'device-1')!.keyPath);
  const [d0, d1] = [readKeyFile(n.layout.accounts.find((a) => a.name === 'device-2')!.keyPath), readKeyFile(n.layout.accounts.find((a) => a.name === 'device-3')!.keyPath)];
  // 14 nodes of type "gpu" around Zurich (two at exactly the same place: ties), a few "cpu"
  const adds: SignedTx[] = [];
  for (let i = 0; i < 12; i++) adds.push(await send(n.url, company, node(`zrh-${String(i).padStart(2, '0')}`, 47.37 + i * 0.01, 8.54 + (i % 3) * 0.02, 2 + (i % 3), ['gpu', ...(i % 4 === 0 ? ['cpu'] : [])], 10 + (i % 5))));
  adds.push(await send(n.url, company, node('twin-a', 47.5, 8.6, 1, ['gpu'], 7)));
  adds.push(await send(n.url, company, node('twin-b', 47.5, 8.6, 1, ['gpu'], 7)));
  adds.push(await send(n.url, company, node('cpu-only', 47.37, 8.54, 5, ['cpu'], 1)));
  adds.push(await send(n.url, d0, { kind: 'registerDevice', registerDevice: { info: 'verify-device-0' } }));
  adds.push(await send(n.url, d1, { kind: 'registerDevice', registerDevice: { info: 'verify-device-1' } }));
  for (const t of adds) expect((await receipt(n.url, t)).status).toBe(0);
  // a burst of matches from both devices (several land in one block), a release in between
  const burst: SignedTx[] = [];
  for (let i = 0; i < 6; i++) burst.push(await send(n.url, i % 2 ? d1 : d0, match(47.5 - i * 0.02, 8.6, 'gpu', 1)));
  burst.push(await send(n.url, d0, { kind: 'releaseLease', releaseLease: { leaseId: 1 } }));
  for (let i = 0; i < 4; i++) burst.push(await send(n.url, i % 2 ? d1 : d0, match(47.4, 8.55 + i * 0.01, 'gpu', 1, 12)));
  burst.push(await send(n.url, d1, match(47.4, 8.55, 'gpu', 3, 1))); // nothing that cheap: NO_CANDIDATE
  burst.push(await send(n.url, company, match(47.4, 8.55, 'gpu', 1))); // a company is not a device: NOT_DEVICE
  for (const t of burst) {
    const r = await receipt(n.url, t);
    if (t.body.kind === 'edgeMatch') matches.push({ hash: t.hashHex, status: r.status as number });
  }
}, 180_000);

afterAll(async () => {
  await n?.stop();
});

describe('verify match against an honest node', () => {
  it('verifies every match: winners, no-candidate and not-a-device receipts', async () => {
    const statuses = new Set(matches.map((m) => m.status));
    expect(statuses).toEqual(new Set([0, 5, 9]));
    const blocks = new Set<number>();
    for (const m of matches) {
      const v = await verifyMatch(rpc(n.url), anchor, m.hash);
      expect(v.problems).toEqual([]);
      expect(v.verified).toBe(true);
      expect(v.expected).toEqual(v.claimed);
      expect(v.stats.nodesOfType).toBe(14);
      blocks.add(v.height!);
    }
    // some block held more than one match, so earlier txs of the block were applied
    expect(blocks.size).toBeLessThan(matches.length);
  });
});

describe('verify match catches a node that lies', () => {
  const target = () => matches.find((m) => m.status === 0)!.hash;

  async function verifyThrough(doctor: Parameters<typeof lyingProxy>[0]) {
    const p = await lyingProxy(doctor);
    try {
      return await verifyMatch(rpc(p.url), anchor, target());
    } finally {
      await p.close();
    }
  }

  it('a doctored receipt (another winner) does not match the certified receipt root', async () => {
    const v = await verifyThrough((method, _p, result) => {
      if (method !== 'getBlockEvidence') return result;
      const ev = result as { receipts: string[] };
      return {
        ...ev,
        receipts: ev.receipts.map((h) => {
          const r = ReceiptCodec.decode(fromHex(h)!);
          if (!r.ok || !r.value.match) return h;
          return toHex(ReceiptCodec.encode({ ...r.value, match: { ...r.value.match, nodeId: 'cpu-only' } }), true);
        }),
      };
    });
    expect(v.verified).toBe(false);
    expect(v.problems.join()).toMatch(/receipt root/);
  });

  it('doctored state: a candidate left out of the range, or its record changed, is refused', async () => {
    const honest = await verifyMatch(rpc(n.url), anchor, target());
    const winner = honest.claimed!.nodeId!;
    const left = await verifyThrough((method, _p, result) => {
      if (method !== 'getServiceTypeProof') return result;
      const r = result as { leaves: { key: string; value: string }[] };
      return { ...r, leaves: r.leaves.filter((l) => !Buffer.from(fromHex(l.key)!).toString('latin1').endsWith(winner)) };
    });
    expect(left.verified).toBe(false);
    expect(left.problems.join()).toMatch(/range proof .* refused/);
    const changed = await verifyThrough((method, _p, result) => {
      if (method !== 'getServiceTypeProof') return result;
      const r = result as { leaves: { key: string; value: string }[] };
      return { ...r, leaves: r.leaves.map((l, i) => (i === 0 ? { ...l, value: l.value.slice(0, -2) + (l.value.endsWith('00') ? '01' : '00') } : l)) };
    });
    expect(changed.verified).toBe(false);
    expect(changed.problems.join()).toMatch(/refused|decode/);
  });

  it('a doctored key proof (device record, lease counter) is refused', async () => {
    const v = await verifyThrough((method, _p, result) => {
      if (method !== 'getProof') return result;
      const r = result as { value: string | null; proof: { siblings: string[] } };
      return { ...r, proof: { ...r.proof, siblings: r.proof.siblings.map((s, i) => (i === 0 ? '0x' + 'ab'.repeat(32) : s)) } };
    });
    expect(v.verified).toBe(false);
    expect(v.problems.join()).toMatch(/proof of state key .* refused/);
    const absent = await verifyThrough((method, _p, result) => (method === 'getProof' ? { ...(result as object), value: null } : result));
    expect(absent.verified).toBe(false);
  });

  it('a block without a valid certificate, a wrong parent or a wrong location is refused', async () => {
    const noCert = await verifyThrough((method, _p, result) => (method === 'getBlockEvidence' ? { ...(result as object), certificate: '0x' } : result));
    expect(noCert.verified).toBe(false);
    expect(noCert.problems.join()).toMatch(/not certified|certificate/);
    // the parent's evidence replaced by another block's (its header is not the certified block's parent)
    const other = (await rpc(n.url)('getBlockEvidence', [0])) as object;
    let calls = 0;
    const wrongParent = await verifyThrough((method, _p, result) => (method === 'getBlockEvidence' && calls++ === 1 ? other : result));
    expect(wrongParent.verified).toBe(false);
    expect(wrongParent.problems.join()).toMatch(/parent/);
    const moved = await verifyThrough((method, _p, result) => (method === 'getTransactionReceipt' ? { ...(result as object), blockNumber: 1 } : result));
    expect(moved.verified).toBe(false);
    expect(moved.problems.join()).toMatch(/not in certified block 1/);
  });
});

describe('edgechain verify match (the CLI, as a process)', () => {
  const bin = fileURLToPath(new URL('../../bin/edgechain.js', import.meta.url));
  const cli = (url: string, hash: string) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [bin, 'verify', 'match', hash, '--genesis', n.layout.genesisPath, '--rpc', url], { timeout: 60_000 }, (e, out, err) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });

  it('prints "verified" and exits 0 for an honest match; exits 1 saying what disagrees through a lying node', async () => {
    const hash = matches.find((m) => m.status === 0)!.hash;
    const ok = await cli(n.url, hash);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')[0]).toBe('verified');
    expect(ok.out).toMatch(/14 nodes of the type proven/);
    const p = await lyingProxy((method, _p, result) => {
      if (method !== 'getServiceTypeProof') return result;
      const r = result as { leaves: unknown[] };
      return { ...r, leaves: r.leaves.slice(1) };
    });
    try {
      const bad = await cli(p.url, hash);
      expect(bad.code).toBe(1);
      expect(bad.out.split('\n')[0]).toBe('NOT VERIFIED');
      expect(bad.err).toMatch(/not verified: range proof of the nodes offering "gpu" .* refused/);
    } finally {
      await p.close();
    }
  }, 120_000);
});
