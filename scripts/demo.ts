/**
 * `npm run demo [-- --rpc <url>] [-- --users <n>] [-- --config <dir>]`: against a running
 * testnet, records the 125 real Melbourne CBD edge sites (data/eua-melbourne-cbd, EUA
 * dataset) as edge nodes spread over the three companies, funds devices at a sample of the
 * 816 real user locations from the faucet, registers them and leases an edge node for each
 * (the cost locked at match), releases some early (settled pro rata) and lets the short ones
 * expire (no tx), pays through payment channels — the EdgeToll shape device → proxy → company
 * and direct device → company (docs/PAYMENTS.md) — and prints what each company earned.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKeyFile, keyPairFromLabel, sha256, type KeyPair } from '../src/crypto/index.ts';
import { signVoucher } from '../src/domain/vouchers.ts';
import type { TxPayload } from '../src/codec/types.ts';
import { fromHex, utf8 } from '../src/util/bytes.ts';
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
  const { chainId } = await client.rpc.getChainInfo();
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

  // 2. devices at real user locations: funded by the faucet, registered, then leasing a node
  const users = csv('users-melbcbd-generated.csv').slice(0, nUsers);
  const devices = users.map((_, i) => keyPairFromLabel(`demo-device-${i}`));
  const proxy = readKeyFile(join(cfgDir, 'keys', 'accounts', 'proxy.json'));
  const faucet = readKeyFile(join(cfgDir, 'keys', 'accounts', 'faucet.json'));
  const balance = async (a: string) => (await client.rpc.getAccount(a)).balance;
  const earned0 = await Promise.all(companies.map((c) => balance(c.address)));
  const funds: (SentTx & { from: Account })[] = [];
  for (const d of devices) {
    const b = await balance(d.address);
    if (b < 50_000) funds.push(await send(faucet, tx.transfer({ to: fromHex(d.address)!, amount: 50_000 - b })));
  }
  await receipts(funds);
  const regs: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < users.length; i++) {
    const acc = await client.rpc.getAccount(devices[i].address);
    if (!acc.device) regs.push(await send(devices[i], tx.registerDevice({ info: `melbourne-user-${i}` })));
  }
  await receipts(regs);
  const matches: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    // a third of the leases are short (they expire during the demo), the rest last 10 minutes
    const durationS = i % 3 === 0 ? 8 : 600;
    matches.push(await send(devices[i], tx.edgeMatch({ lat: e6(u.Latitude), lon: e6(u.Longitude), taskType: TYPES[i % TYPES.length], demand: 1 + (i % 3), maxPrice: 0, durationS })));
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
  const locked = ok.reduce((a, r) => a + (r.match!.cost as number), 0);
  console.log(`leases:     ${locked} tokens locked at match (price × slots × seconds)`);

  // 3. leases end: every fifth long lease released now (pro rata), the short ones expire by themselves
  const releases: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < matches.length; i++) {
    const r = mr[i];
    if (r.status === 0 && i % 3 !== 0 && i % 5 === 1) releases.push(await send(devices[i], { kind: 'releaseLease', releaseLease: { leaseId: r.match!.leaseId } }));
  }
  const rel = (await receipts(releases)).filter((r) => r.status === 0 && r.lease);
  const relPaid = rel.reduce((a, r) => a + (r.lease!.paid as number), 0);
  const relRefund = rel.reduce((a, r) => a + (r.lease!.refund as number), 0);
  console.log(`released:   ${rel.length} leases early: ${relPaid} paid to the owners pro rata, ${relRefund} refunded to the devices`);
  const short = mr.filter((r, i) => r.status === 0 && i % 3 === 0).map((r) => r.match!.leaseId as number);
  const lastEnd = Math.max(0, ...mr.filter((r, i) => r.status === 0 && i % 3 === 0).map((r) => r.match!.endsAt as number));
  // blocks are made when there are txs: once the short terms are over, one tx makes the block
  // at whose start they expire (a match would do the same: expiry runs before a block's txs)
  let expired = 0;
  if (short.length) {
    await new Promise((res) => setTimeout(res, Math.max(0, lastEnd - Date.now()) + 1500));
    await receipts([await send(faucet, { kind: 'transfer', transfer: { to: fromHex(proxy.address)!, amount: 1 } })]);
    const ls = await Promise.all(short.map((id) => client.rpc.getLease(id)));
    expired = ls.filter((l) => l?.status === 'expired').length;
  }
  console.log(`expired:    ${expired} of ${short.length} short leases, with no transaction (full cost to the owners)`);

  // 4. payment channels: the EdgeToll shape (device → proxy, proxy → company) and direct device → company
  const payers = devices.slice(0, Math.min(6, devices.length));
  const opens: (SentTx & { from: Account })[] = [];
  for (let i = 0; i < payers.length; i++) {
    const to = i % 2 === 0 ? proxy.address : companies[i % 3].address;
    opens.push(await send(payers[i], { kind: 'channelOpen', channelOpen: { payee: fromHex(to)!, deposit: 2_000, expiresInS: 3600 } }));
  }
  for (const c of companies) opens.push(await send(proxy, { kind: 'channelOpen', channelOpen: { payee: fromHex(c.address)!, deposit: 10_000, expiresInS: 3600 } }));
  const or = await receipts(opens);
  const ids = or.map((r) => r.channelId as number);
  // each device pays 50 times off-chain (cumulative vouchers of 10 each); the payee claims only the last
  const claims: (SentTx & { from: Account })[] = [];
  const toProxy: number[] = [];
  for (let i = 0; i < payers.length; i++) {
    let v = signVoucher(payers[i].secretKey, chainId, ids[i], 10);
    for (let k = 2; k <= 50; k++) v = signVoucher(payers[i].secretKey, chainId, ids[i], 10 * k);
    const payee = i % 2 === 0 ? proxy : companies[i % 3];
    if (payee === proxy) toProxy.push(i);
    claims.push(await send(payee, { kind: 'channelClaim', channelClaim: { channelId: ids[i], amount: v.amount, signature: v.signature } }));
  }
  // the proxy forwards what devices paid it to the companies, over its own channels
  const perCompany = Math.floor((toProxy.length * 500) / companies.length);
  for (let k = 0; k < companies.length; k++) {
    const v = signVoucher(proxy.secretKey, chainId, ids[payers.length + k], Math.max(1, perCompany));
    claims.push(await send(companies[k], { kind: 'channelClaim', channelClaim: { channelId: v.channelId, amount: v.amount, signature: v.signature } }));
  }
  const cr = await receipts(claims);
  const paidByChannels = cr.filter((r) => r.status === 0).reduce((a, r) => a + (r.channel!.paid as number), 0);
  console.log(`channels:   ${ids.length} opened (${toProxy.length} device → proxy, ${payers.length - toProxy.length} device → company, ${companies.length} proxy → company); ${payers.length * 50} vouchers off-chain, ${cr.filter((r) => r.status === 0).length} claims on chain paying ${paidByChannels}`);

  // 5. what each company earned in this run (lease settlements + channel claims)
  const earned = await Promise.all(companies.map((c) => balance(c.address)));
  const claimedBy = (a: string) => cr.filter((r) => r.status === 0 && r.from === a).reduce((x, r) => x + (r.channel!.paid as number), 0);
  for (let k = 0; k < companies.length; k++) {
    const total = earned[k] - earned0[k];
    const viaChannels = claimedBy(companies[k].address);
    console.log(`earned:     company-${'abc'[k]} ${total} (leases ${total - viaChannels}, channels ${viaChannels})`);
  }
  const proxyIn = claimedBy(proxy.address);
  const proxyOut = companies.reduce((x, c, k) => x + cr.filter((r) => r.status === 0 && r.from === c.address && r.channel!.channelId === ids[payers.length + k]).reduce((y, r) => y + (r.channel!.paid as number), 0), 0);
  console.log(`proxy:      received ${proxyIn} from devices, forwarded ${proxyOut} to the companies (its deposits stay locked until it closes or refunds)`);
  console.log(`time:       ${((Date.now() - t0) / 1000).toFixed(1)} s, chain height ${await client.rpc.getBlockNumber()}`);
  console.log(`explorer:   ${client.url}/#/nodes`);
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exitCode = 1;
});
