/**
 * `npm run demo [-- --rpc <url>] [-- --users <n>] [-- --config <dir>]`: against a running
 * testnet, records the 125 real Melbourne CBD edge sites (data/eua-melbourne-cbd, EUA
 * dataset) as edge nodes spread over the three companies, registers devices at a sample of
 * the 816 real user locations, sends one EdgeMatch per device, and prints a summary.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKeyFile, keyPairFromLabel, sha256, type KeyPair } from '../src/crypto/index.ts';
import type { TxPayload } from '../src/codec/types.ts';
import { utf8 } from '../src/util/bytes.ts';
import { Account, Client, tx, type SentTx } from '../src/sdk/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const client = new Client(opt('rpc', process.env.EDGECHAIN_RPC ?? 'http://127.0.0.1:8545'), { timeoutMs: 15_000 });
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
  // the SDK manages nonces, NODE_BUSY back-off and receipt waits (docs/SDK.md)
  const accounts = new Map<string, Account>();
  const account = (k: KeyPair) => accounts.get(k.address) ?? accounts.set(k.address, new Account(client, k)).get(k.address)!;
  const companies = ['company-a', 'company-b', 'company-c'].map((n) => readKeyFile(join(cfgDir, 'keys', 'accounts', `${n}.json`)));
  const send = (k: KeyPair, p: TxPayload): Promise<SentTx & { from: Account }> => account(k).send(p).then((s) => ({ ...s, from: account(k) }));
  const receipts = (txs: (SentTx & { from: Account })[]) => Promise.all(txs.map((t) => t.from.receipt(t.hash, 60_000)));

  // 1. the 125 sites as edge nodes, round-robin over the companies
  const sites = csv('site-optus-melbCBD.csv');
  const existing = new Set((await client.rpc.getEdgeNodes({ limit: 1000 })).nodes.map((n) => n.id));
  const adds: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < sites.length; i++) {
    const s = sites[i];
    const id = `optus-${s.SITE_ID}`;
    if (existing.has(id)) continue;
    const types = TYPES.filter((_, k) => (pick(id + 't', 16) >> k) & 1);
    adds.push(
      await send(companies[i % 3], tx.addNode({ id, lat: e6(s.LATITUDE), lon: e6(s.LONGITUDE), capacity: 4 + pick(id + 'c', 29), serviceTypes: types.length ? types : ['video'], price: 5 + pick(id + 'p', 16) })),
    );
  }
  const addReceipts = await receipts(adds);
  console.log(`edge nodes: ${addReceipts.filter((r) => r.status === 0).length} recorded (${sites.length - adds.length} already there)`);

  // 2. devices at real user locations: register, then ask for a match
  const users = csv('users-melbcbd-generated.csv').slice(0, nUsers);
  const devices = users.map((_, i) => keyPairFromLabel(`demo-device-${i}`));
  const regs: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < users.length; i++) {
    const acc = await client.rpc.getAccount(devices[i].address);
    if (!acc.device) regs.push(await send(devices[i], tx.registerDevice({ info: `melbourne-user-${i}` })));
  }
  await receipts(regs);
  const matches: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    matches.push(await send(devices[i], tx.edgeMatch({ lat: e6(u.Latitude), lon: e6(u.Longitude), taskType: TYPES[i % TYPES.length], demand: 1 + (i % 3), maxPrice: 0 })));
  }
  const mr = await receipts(matches);
  const ok = mr.filter((r) => r.status === 0 && r.match);
  const dist = ok.map((r) => r.match!.distanceM);
  const mean = dist.length ? dist.reduce((a, b) => a + b, 0) / dist.length : 0;
  const reasons = new Map<string, number>();
  for (const r of mr) if (r.status !== 0) reasons.set(r.statusText, (reasons.get(r.statusText) ?? 0) + 1);
  console.log(`devices:    ${users.length} (${regs.length} newly registered)`);
  console.log(`matches:    ${ok.length} ok, ${mr.length - ok.length} failed${reasons.size ? ' (' + [...reasons].map(([k, v]) => `${k} ${v}`).join(', ') + ')' : ''}`);
  console.log(`distance:   mean ${mean.toFixed(0)} m, max ${dist.length ? Math.max(...dist) : 0} m`);
  console.log(`time:       ${((Date.now() - t0) / 1000).toFixed(1)} s, chain height ${await client.rpc.getBlockNumber()}`);
  console.log(`explorer:   ${client.url}/#/nodes`);
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exitCode = 1;
});
