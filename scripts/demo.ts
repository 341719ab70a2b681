/**
 * `npm run demo [-- --rpc <url>] [-- --users <n>] [-- --config <dir>]`: against a running
 * testnet, records the 125 real Melbourne CBD edge sites (data/eua-melbourne-cbd, EUA
 * dataset) as edge nodes spread over the three companies, registers devices at a sample of
 * the 816 real user locations, sends one EdgeMatch per device, and prints a summary.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../src/cli/rpc-client.ts';
import { readKeyFile, keyPairFromLabel, sha256, type KeyPair } from '../src/crypto/index.ts';
import { signTx, type SignedTx } from '../src/chain/tx.ts';
import type { TxPayload } from '../src/codec/types.ts';
import { toHex, utf8 } from '../src/util/bytes.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const rpc = new RpcClient(opt('rpc', process.env.EDGECHAIN_RPC ?? 'http://127.0.0.1:8545'), 15_000);
const nUsers = Number(opt('users', '200'));
const cfgDir = resolve(root, opt('config', 'config'));
if (!Number.isInteger(nUsers) || nUsers < 1 || nUsers > 816) {
  console.error('demo: --users must be 1..816');
  process.exit(1);
}

function csv(file: string): Record<string, string>[] {
  const lines = readFileSync(join(root, 'data', 'eua-melbourne-cbd', file), 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
}

/** Deterministic per-site variety from a hash of the site id (no randomness: reruns give the same registry). */
function pick(seed: string, n: number): number {
  const h = sha256(utf8(seed));
  return ((h[0] << 8) | h[1]) % n;
}

const TYPES = ['video', 'ml', 'ar', 'iot'];
const e6 = (deg: string) => Math.round(Number(deg) * 1e6);

async function main(): Promise<void> {
  const t0 = Date.now();
  const { chainId } = await rpc.call<{ chainId: string }>('getChainInfo');
  const companies = ['company-a', 'company-b', 'company-c'].map((n) => readKeyFile(join(cfgDir, 'keys', 'accounts', `${n}.json`)));
  const nonces = new Map<string, number>();
  const nextNonce = async (k: KeyPair) => {
    let n = nonces.get(k.address);
    if (n === undefined) n = (await rpc.call<{ pendingNonce: number }>('getAccount', [k.address])).pendingNonce;
    nonces.set(k.address, n + 1);
    return n;
  };
  const send = async (k: KeyPair, p: TxPayload): Promise<SignedTx> => {
    const stx = signTx(k, chainId, await nextNonce(k), p);
    await rpc.call('sendRawTransaction', ['0x' + toHex(stx.bytes)]);
    return stx;
  };
  const receipts = async (txs: SignedTx[]) => {
    const out: Record<string, any>[] = [];
    for (const t of txs) {
      for (let i = 0; ; i++) {
        const r = await rpc.call<Record<string, any> | null>('getTransactionReceipt', [t.hashHex]);
        if (r) {
          out.push(r);
          break;
        }
        if (i > 600) throw new Error(`no receipt for ${t.hashHex} after 60 s`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    return out;
  };

  // 1. the 125 sites as edge nodes, round-robin over the companies
  const sites = csv('site-optus-melbCBD.csv');
  const existing = new Set((await rpc.call<{ nodes: { id: string }[] }>('getEdgeNodes', [{ limit: 1000 }])).nodes.map((n) => n.id));
  const adds: SignedTx[] = [];
  for (let i = 0; i < sites.length; i++) {
    const s = sites[i];
    const id = `optus-${s.SITE_ID}`;
    if (existing.has(id)) continue;
    const types = TYPES.filter((_, k) => (pick(id + 't', 16) >> k) & 1);
    adds.push(
      await send(companies[i % 3], {
        kind: 'addNode',
        addNode: { id, lat: e6(s.LATITUDE), lon: e6(s.LONGITUDE), capacity: 4 + pick(id + 'c', 29), serviceTypes: types.length ? types : ['video'], price: 5 + pick(id + 'p', 16) },
      }),
    );
  }
  const addReceipts = await receipts(adds);
  console.log(`edge nodes: ${addReceipts.filter((r) => r.status === 0).length} recorded (${sites.length - adds.length} already there)`);

  // 2. devices at real user locations: register, then ask for a match
  const users = csv('users-melbcbd-generated.csv').slice(0, nUsers);
  const devices = users.map((_, i) => keyPairFromLabel(`demo-device-${i}`));
  const regs: SignedTx[] = [];
  for (let i = 0; i < users.length; i++) {
    const acc = await rpc.call<{ device: unknown }>('getAccount', [devices[i].address]);
    if (!acc.device) regs.push(await send(devices[i], { kind: 'registerDevice', registerDevice: { info: `melbourne-user-${i}` } }));
  }
  await receipts(regs);
  const matches: SignedTx[] = [];
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    matches.push(await send(devices[i], { kind: 'edgeMatch', edgeMatch: { lat: e6(u.Latitude), lon: e6(u.Longitude), taskType: TYPES[i % TYPES.length], demand: 1 + (i % 3), maxPrice: 0, durationS: 60 } }));
  }
  const mr = await receipts(matches);
  const ok = mr.filter((r) => r.status === 0 && r.match);
  const dist = ok.map((r) => r.match.distanceM as number);
  const mean = dist.length ? dist.reduce((a, b) => a + b, 0) / dist.length : 0;
  const reasons = new Map<string, number>();
  for (const r of mr) if (r.status !== 0) reasons.set(r.statusText, (reasons.get(r.statusText) ?? 0) + 1);
  console.log(`devices:    ${users.length} (${regs.length} newly registered)`);
  console.log(`matches:    ${ok.length} ok, ${mr.length - ok.length} failed${reasons.size ? ' (' + [...reasons].map(([k, v]) => `${k} ${v}`).join(', ') + ')' : ''}`);
  console.log(`distance:   mean ${mean.toFixed(0)} m, max ${dist.length ? Math.max(...dist) : 0} m`);
  console.log(`time:       ${((Date.now() - t0) / 1000).toFixed(1)} s, chain height ${await rpc.call('getBlockNumber')}`);
  console.log(`explorer:   ${rpc.url}/#/nodes`);
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exitCode = 1;
});
