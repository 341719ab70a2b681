/**
 * A fake edgechain node for developing and testing the explorer: a real RpcServer on
 * 127.0.0.1 (port 0) that answers EVERY method of docs/RPC.md with canned but consistent
 * data (4 sealers proxy/company-a/company-b/company-c and one observer; blocks over the last
 * 15 days; txs of every kind, some failed; edge nodes at real Melbourne CBD sites; leases and
 * recent matches), serves the explorer (explorerRoute) and a GET /events SSE stream.
 * A tiny executor applies the txs so that nodes, leases, balances and receipts agree.
 *
 * Run it by hand to look at the explorer: `npx node test/explorer/fake-node.ts`.
 *
 * Edge-node sites: a subset of `site-optus-melbCBD.csv` of the EUA dataset (Phu Lai et al.,
 * ICSOC 2018, MIT licence, © 2018 Swin Edge; base-station data from ACMA's radiocommunications
 * licence register). Extra sites asked for with `edgeNodes` are synthetic points in the same area.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256 } from '../../src/crypto/hash.ts';
import { keyPairFromLabel } from '../../src/crypto/keys.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { RpcCode, RpcError, invalidParams } from '../../src/rpc/errors.ts';
import { explorerRoute } from '../../src/rpc/explorer.ts';
import { RpcServer, type RpcHandler } from '../../src/rpc/server.ts';
import { Prng } from '../sim/prng.ts';

export const TX_KINDS = ['registerDevice', 'addNode', 'updateNode', 'removeNode', 'edgeMatch', 'releaseLease', 'transfer'] as const;
export type FakeTxKind = (typeof TX_KINDS)[number];

/** [SITE_ID, latitude, longitude] */
const SITES: [number, number, number][] = [
  [10003026, -37.81517, 144.97476], [10003027, -37.81524, 144.95256], [10003238, -37.81239, 144.9712], [10004167, -37.81679, 144.96918],
  [10004576, -37.81808, 144.95692], [101373, -37.811269, 144.957909], [101381, -37.809081, 144.96893], [101385, -37.815461, 144.962656],
  [101636, -37.81285, 144.955026], [11571, -37.816356, 144.962313], [11579, -37.818071, 144.957211], [11581, -37.818202, 144.954367],
  [11590, -37.814225, 144.971971], [11591, -37.815975, 144.955905], [11593, -37.815493, 144.956714], [11599, -37.81852, 144.957141],
  [11600, -37.817303, 144.962344], [11601, -37.818162, 144.959934], [130005, -37.813381, 144.959612], [130439, -37.812084, 144.967997],
  [134245, -37.818494, 144.957705], [134317, -37.812122, 144.97071], [134329, -37.811625, 144.964919], [134360, -37.814263, 144.972105],
  [134386, -37.815549, 144.966686], [134403, -37.818166, 144.964831], [134449, -37.817384, 144.959217], [134453, -37.814896, 144.971668],
  [134454, -37.811126, 144.962116], [134547, -37.818656, 144.956626],
];
const BBOX = { latMin: -37.8215, latMax: -37.8075, lonMin: 144.9505, lonMax: 144.9755 };
const SERVICE_TYPES = ['video', 'ml-inference', 'storage', 'plc-control'];
const STATUS_TEXT = ['OK', 'NOT_COMPANY', 'NOT_OWNER', 'NODE_EXISTS', 'UNKNOWN_NODE', 'NOT_DEVICE', 'DEVICE_EXISTS', 'INFO_TAKEN',
  'ROLE_NOT_ALLOWED', 'NO_CANDIDATE', 'UNKNOWN_LEASE', 'LEASE_NOT_ACTIVE', 'NOT_LEASE_PARTY', 'CAPACITY_BELOW_USED',
  'INSUFFICIENT_BALANCE', 'BALANCE_OVERFLOW', 'INVALID_TX'];
const DAY = 86_400_000;
/** The identity info of the device `mallory` (an XSS probe). */
export const XSS_INFO = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"\'&';
const CHAIN_ID = 'edgechain-dev';

interface Account { address: string; name: string; role: 'proxy' | 'company' | 'user'; nonce: number; balance: number; device: { info: string; registeredAt: number } | null }
interface EdgeNodeRec { id: string; owner: string; lat: number; lon: number; capacity: number; used: number; serviceTypes: string[]; price: number; online: boolean; activeLeases: number }
interface LeaseRec { id: number; device: string; nodeId: string; demand: number; price: number; distanceM: number; status: 'active' | 'released' | 'terminated'; createdAt: number; endedAt: number; startTime: number; endTime: number; durationS: number; cost: number; paid: number; refund: number }
interface MatchRec { nodeId: string; distanceM: number; price: number; leaseId: number; demand: number }
interface ReceiptRec { status: number; reason: string; match: MatchRec | null }
interface TxRec {
  hash: string; blockNumber: number | null; blockHash: string | null; index: number; timestamp: number | null;
  from: string; nonce: number; kind: FakeTxKind; payload: Record<string, unknown>; size: number; receipt: ReceiptRec | null;
}
interface BlockRec {
  number: number; hash: string; parentHash: string; timestamp: number; proposerIndex: number; view: number;
  txRoot: string; stateRoot: string; receiptRoot: string; size: number; txs: TxRec[]; signerIdx: number[];
}
interface RecentMatch { txHash: string; blockNumber: number; timestamp: number; device: string; deviceLat: number; deviceLon: number; nodeId: string; nodeLat: number; nodeLon: number; distanceM: number; leaseId: number; cost: number; endsAt: number }

export interface FakeNodeOptions {
  /** Number of edge nodes (default 30 real sites; more are synthetic points in the CBD). */
  edgeNodes?: number;
  /** Serve GET /events (default true); false makes the explorer fall back to polling. */
  sse?: boolean;
  /** Interval of the SSE `status` event (default 2000 ms). */
  statusIntervalMs?: number;
  /** Wall clock (default Date.now); the history is laid out backwards from it. */
  now?: () => number;
}

export interface AddBlockOptions {
  /** Number of txs (default 3). */
  txs?: number;
  /** Kinds to draw from (default: a realistic mix). */
  kinds?: FakeTxKind[];
}

export interface FakeNode {
  url: string;
  /** Appends a finalized block with new txs and pushes an SSE `block` event. */
  addBlock(opts?: AddBlockOptions): { number: number; hash: string; txHashes: string[] };
  /** The RPC handlers (for tests that want to compare with what the page shows). */
  methods: Record<string, RpcHandler>;
  /** Address of the device whose info is hostile markup (see XSS_INFO). */
  malloryAddress: string;
  stop(): Promise<void>;
}

const hex = (b: Uint8Array) => toHex(b, true);
const h256 = (...parts: (string | number)[]) => hex(sha256(utf8(parts.join('|'))));
const peerIdOf = (label: string) => {
  const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const h = sha256(utf8('peer|' + label));
  let s = '12D3KooW';
  for (let i = 0; s.length < 52; i++) s += B58[h[i % 32] % 58] ?? '1';
  return s;
};

function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const R = 6_371_000, r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return Math.round(2 * R * Math.asin(Math.sqrt(a)));
}
const e6 = (v: number) => Math.round(v * 1e6);

export async function startFakeNode(opts: FakeNodeOptions = {}): Promise<FakeNode> {
  const now = opts.now ?? Date.now;
  const rng = Prng.from('explorer-fake-node');
  const sealerNames = ['proxy', 'company-a', 'company-b', 'company-c'] as const;
  const sealers = sealerNames.map((name, index) => {
    const kp = keyPairFromLabel(name);
    return { index, name, role: name === 'proxy' ? 'proxy' : 'company', publicKey: hex(kp.publicKey), address: kp.address, operator: keyPairFromLabel('account/' + name).address, fromHeight: 0, peerId: peerIdOf(name) };
  });
  const observer = { name: 'observer-1', publicKey: hex(keyPairFromLabel('observer-1').publicKey), peerId: peerIdOf('observer-1'), connected: false };
  const genesisHash = h256('genesis', CHAIN_ID);
  const co = (name: string) => keyPairFromLabel('account/' + name).address;
  const proposals = [
    { id: 2, action: 'add-company', address: keyPairFromLabel('account/company-d').address, publicKey: null, name: 'company-d', proposer: co('company-b'), createdAt: 14, expiresAt: 1014, approvals: [co('company-b')], rejections: [co('company-c')], status: 'open', decidedAt: 0, effectiveAt: 0 },
    { id: 1, action: 'add-observer', address: null, publicKey: observer.publicKey, name: 'observer-1', proposer: co('company-a'), createdAt: 8, expiresAt: 1008, approvals: [co('company-a'), co('company-b'), co('company-c')], rejections: [], status: 'passed', decidedAt: 10, effectiveAt: 12 },
  ];

  // ---- state
  const accounts = new Map<string, Account>();
  const addAccount = (name: string, role: Account['role'], balance: number) => {
    const a: Account = { address: keyPairFromLabel(name).address, name, role, nonce: 0, balance, device: null };
    accounts.set(a.address, a);
    return a;
  };
  const proxyAcc = addAccount('proxy', 'proxy', 1_000_000);
  const companies = ['company-a', 'company-b', 'company-c'].map((n) => addAccount(n, 'company', 1_000_000));
  const devices = Array.from({ length: 12 }, (_, i) => addAccount(`device-${String(i + 1).padStart(2, '0')}`, 'user', 5_000));
  const users = [addAccount('alice', 'user', 20_000), addAccount('bob', 'user', 300)];
  // A device whose identity info is hostile markup: the explorer must show it as text.
  const mallory = addAccount('mallory', 'user', 100);
  const nodes = new Map<string, EdgeNodeRec>();
  const leases = new Map<number, LeaseRec>();
  let nextLeaseId = 1;
  const txs = new Map<string, TxRec>();
  const blocks: BlockRec[] = [];
  const blockByHash = new Map<string, BlockRec>();
  const matches: RecentMatch[] = [];
  const pending: TxRec[] = [];
  // payment channels (docs/PAYMENTS.md): a fixed set, device → company, one closed, two claimed
  const channels = [
    { id: 1, payer: devices[0].address, payee: companies[0].address, deposit: 1000, claimed: 400, status: 'open', lastClaimAt: 3 },
    { id: 2, payer: devices[1].address, payee: companies[1].address, deposit: 500, claimed: 0, status: 'open', lastClaimAt: 0 },
    { id: 3, payer: devices[2].address, payee: proxyAcc.address, deposit: 300, claimed: 300, status: 'closed', lastClaimAt: 5 },
  ].map((c) => ({ ...c, payerKey: '00'.repeat(32), remaining: c.status === 'closed' ? 0 : c.deposit - c.claimed, expiresAt: Date.UTC(2026, 11, 31), settleAt: 0, openedAt: 1, closedAt: c.status === 'closed' ? 6 : 0, refunded: 0 }));

  const sites: { id: string; lat: number; lon: number }[] = [];
  const nSites = Math.max(1, opts.edgeNodes ?? SITES.length);
  for (let i = 0; i < nSites; i++) {
    if (i < SITES.length) sites.push({ id: `mel-${SITES[i][0]}`, lat: SITES[i][1], lon: SITES[i][2] });
    else sites.push({ id: `mel-x${String(i).padStart(3, '0')}`, lat: BBOX.latMin + rng.next() * (BBOX.latMax - BBOX.latMin), lon: BBOX.lonMin + rng.next() * (BBOX.lonMax - BBOX.lonMin) });
  }

  // ---- the executor (mirrors the rules in docs/STATE.md closely enough for display)
  function execute(tx: TxRec, height: number, timestamp: number): ReceiptRec {
    const acc = accounts.get(tx.from)!;
    acc.nonce = Math.max(acc.nonce, tx.nonce + 1);
    const p = tx.payload;
    const fail = (status: number, reason: string): ReceiptRec => ({ status, reason, match: null });
    switch (tx.kind) {
      case 'registerDevice':
        if (acc.role !== 'user') return fail(8, 'proxy and company accounts cannot be devices');
        if (acc.device) return fail(6, 'already a device');
        acc.device = { info: String(p.info), registeredAt: height };
        return { status: 0, reason: '', match: null };
      case 'addNode': {
        if (acc.role !== 'company') return fail(1, 'only companies add edge nodes');
        const id = String(p.id);
        if (nodes.has(id)) return fail(3, `edge node ${id} exists`);
        nodes.set(id, { id, owner: acc.address, lat: p.lat as number, lon: p.lon as number, capacity: p.capacity as number, used: 0, serviceTypes: p.serviceTypes as string[], price: p.price as number, online: true, activeLeases: 0 });
        return { status: 0, reason: '', match: null };
      }
      case 'updateNode':
      case 'removeNode': {
        const n = nodes.get(String(p.id));
        if (!n) return fail(4, `no edge node ${String(p.id)}`);
        if (n.owner !== acc.address) return fail(2, 'not the owner');
        if (tx.kind === 'removeNode') {
          nodes.delete(n.id);
          for (const l of leases.values()) if (l.nodeId === n.id && l.status === 'active') { l.status = 'terminated'; l.endedAt = height; }
        } else {
          if ((p.capacity as number) < n.used) return fail(13, 'capacity below used');
          Object.assign(n, { capacity: p.capacity, price: p.price, online: p.online, serviceTypes: p.serviceTypes });
        }
        return { status: 0, reason: '', match: null };
      }
      case 'edgeMatch': {
        if (!acc.device) return fail(5, 'not a registered device');
        const lat = p.lat as number, lon = p.lon as number, demand = p.demand as number;
        let best: EdgeNodeRec | null = null, bestD = Infinity;
        for (const n of [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
          if (!n.online || !n.serviceTypes.includes(String(p.taskType)) || n.capacity - n.used < demand || n.price > (p.maxPrice as number)) continue;
          const d = haversineM(lat, lon, n.lat, n.lon);
          if (d < bestD) { best = n; bestD = d; }
        }
        if (!best) return fail(9, 'no online edge node offers this type with the capacity and price');
        const lease: LeaseRec = { id: nextLeaseId++, device: acc.address, nodeId: best.id, demand, price: best.price, distanceM: bestD, status: 'active', createdAt: height, endedAt: 0, startTime: timestamp, endTime: timestamp + 600_000, durationS: 600, cost: best.price * demand * 600, paid: 0, refund: 0 };
        leases.set(lease.id, lease);
        best.used += demand;
        best.activeLeases++;
        matches.unshift({ txHash: tx.hash, blockNumber: height, timestamp, device: acc.address, deviceLat: lat, deviceLon: lon, nodeId: best.id, nodeLat: best.lat, nodeLon: best.lon, distanceM: bestD, leaseId: lease.id, cost: best.price * demand * 600, endsAt: timestamp + 600_000 });
        if (matches.length > 500) matches.length = 500;
        return { status: 0, reason: '', match: { nodeId: best.id, distanceM: bestD, price: best.price, leaseId: lease.id, demand } };
      }
      case 'releaseLease': {
        const l = leases.get(p.leaseId as number);
        if (!l) return fail(10, 'unknown lease');
        if (l.status !== 'active') return fail(11, `lease is ${l.status}`);
        const n = nodes.get(l.nodeId);
        if (l.device !== acc.address && n?.owner !== acc.address) return fail(12, 'not a party to the lease');
        l.status = 'released';
        l.endedAt = height;
        // settlement as in docs/PAYMENTS.md: the used part to the owner, the rest back to the device
        l.paid = Math.floor((l.cost * Math.min(l.durationS * 1000, Math.max(0, timestamp - l.startTime))) / (l.durationS * 1000));
        l.refund = l.cost - l.paid;
        if (n) { n.used -= l.demand; n.activeLeases--; }
        return { status: 0, reason: '', match: null };
      }
      case 'transfer': {
        const amount = p.amount as number;
        if (amount > acc.balance) return fail(14, 'insufficient balance');
        const to = accounts.get(String(p.to));
        acc.balance -= amount;
        if (to) to.balance += amount;
        return { status: 0, reason: '', match: null };
      }
    }
  }

  const nonces = new Map<string, number>();
  function makeTx(from: Account, kind: FakeTxKind, payload: Record<string, unknown>): TxRec {
    const nonce = nonces.get(from.address) ?? 0;
    nonces.set(from.address, nonce + 1);
    const hash = h256('tx', from.address, nonce, kind, JSON.stringify(payload));
    return { hash, blockNumber: null, blockHash: null, index: 0, timestamp: null, from: from.address, nonce, kind, payload, size: 110 + JSON.stringify(payload).length, receipt: null };
  }

  function randomTx(kind: FakeTxKind): TxRec {
    const devLat = () => +(BBOX.latMin + 0.002 + rng.next() * (BBOX.latMax - BBOX.latMin - 0.004)).toFixed(6);
    const devLon = () => +(BBOX.lonMin + 0.002 + rng.next() * (BBOX.lonMax - BBOX.lonMin - 0.004)).toFixed(6);
    switch (kind) {
      case 'edgeMatch': {
        const d = rng.pick(devices);
        const lat = devLat(), lon = devLon();
        return makeTx(d, 'edgeMatch', { lat, lon, latE6: e6(lat), lonE6: e6(lon), taskType: rng.pick(SERVICE_TYPES), demand: rng.int(1, 3), maxPrice: rng.chance(0.1) ? 1 : rng.int(15, 40), durationS: 600 });
      }
      case 'releaseLease': {
        const active = [...leases.values()].filter((l) => l.status === 'active');
        const l = active.length && rng.chance(0.85) ? rng.pick(active) : null;
        const who = l ? accounts.get(l.device)! : rng.pick(devices);
        return makeTx(who, 'releaseLease', { leaseId: l ? l.id : rng.int(1, Math.max(1, nextLeaseId - 1)) });
      }
      case 'transfer': {
        const from = rng.pick([...users, proxyAcc]);
        const to = rng.pick([...devices, ...users].filter((a) => a !== from));
        return makeTx(from, 'transfer', { to: to.address, amount: from.name === 'bob' ? 1000 : rng.int(10, 500) });
      }
      case 'updateNode': {
        const list = [...nodes.values()];
        const n = rng.pick(list);
        const owner = accounts.get(n.owner)!;
        return makeTx(owner, 'updateNode', { id: n.id, lat: n.lat, lon: n.lon, latE6: e6(n.lat), lonE6: e6(n.lon), capacity: n.capacity + rng.int(0, 4), serviceTypes: n.serviceTypes, price: rng.int(5, 30), online: rng.chance(0.8) });
      }
      case 'removeNode': {
        const c = rng.pick(companies);
        const own = [...nodes.values()].filter((n) => n.owner === c.address && n.id.startsWith('tmp-'));
        return makeTx(c, 'removeNode', { id: own.length ? own[0].id : `tmp-${rng.int(100, 999)}` });
      }
      case 'addNode': {
        const c = rng.chance(0.8) ? rng.pick(companies) : rng.pick(devices); // devices get NOT_COMPANY
        const lat = devLat(), lon = devLon();
        return makeTx(c, 'addNode', { id: `tmp-${rng.int(100, 999)}`, lat, lon, latE6: e6(lat), lonE6: e6(lon), capacity: rng.int(2, 8), serviceTypes: [rng.pick(SERVICE_TYPES)], price: rng.int(5, 30) });
      }
      case 'registerDevice': {
        const u = rng.pick(users);
        return makeTx(u, 'registerDevice', { info: `sensor ${u.name} <serial ${rng.int(1000, 9999)}>` });
      }
    }
  }

  function seal(txList: TxRec[], timestamp: number, view = 0): BlockRec {
    const height = blocks.length;
    const parent = blocks[height - 1];
    const proposerIndex = (height + view) % 4;
    txList.forEach((t, i) => {
      t.blockNumber = height;
      t.index = i;
      t.timestamp = timestamp;
      t.receipt = execute(t, height, timestamp);
      txs.set(t.hash, t);
    });
    const absent = height % 4; // one sealer's seal is missing from each certificate (quorum is 3 of 4)
    const b: BlockRec = {
      number: height, hash: '', parentHash: parent ? parent.hash : '0x' + '00'.repeat(32), timestamp, proposerIndex, view,
      txRoot: h256('txroot', height, txList.map((t) => t.hash).join()), stateRoot: h256('state', height), receiptRoot: h256('receipts', height),
      size: 180 + txList.reduce((a, t) => a + t.size, 0), txs: txList, signerIdx: height === 0 ? [] : [0, 1, 2, 3].filter((i) => i !== absent),
    };
    b.hash = height === 0 ? genesisHash : h256('block', height, b.parentHash, timestamp);
    for (const t of txList) t.blockHash = b.hash;
    blocks.push(b);
    blockByHash.set(b.hash, b);
    return b;
  }

  // ---- history, laid out backwards from now
  const t0 = now();
  const dayStart = (daysAgo: number) => Math.floor((t0 - daysAgo * DAY) / DAY) * DAY;
  seal([], dayStart(14) + 3_600_000);
  const adds = sites.map((s, i) => {
    const c = companies[i % companies.length];
    return makeTx(c, 'addNode', { id: s.id, lat: s.lat, lon: s.lon, latE6: e6(s.lat), lonE6: e6(s.lon), capacity: rng.int(4, 16), serviceTypes: SERVICE_TYPES.filter(() => rng.chance(0.6)).concat(['video']).filter((v, j, a) => a.indexOf(v) === j), price: rng.int(5, 30) });
  });
  for (let i = 0; i < adds.length; i += 40) seal(adds.slice(i, i + 40), dayStart(14) + 7_200_000 + i * 1000);
  seal(devices.map((d, i) => makeTx(d, 'registerDevice', { info: `IIoT gateway ${d.name} / line ${(i % 4) + 1}` })).concat([
    makeTx(proxyAcc, 'registerDevice', { info: 'proxy cannot' }),
    makeTx(mallory, 'registerDevice', { info: XSS_INFO }),
  ]), dayStart(13) + 36_000_000);
  const MIX: FakeTxKind[] = ['edgeMatch', 'edgeMatch', 'edgeMatch', 'edgeMatch', 'edgeMatch', 'releaseLease', 'releaseLease', 'transfer', 'transfer', 'updateNode', 'addNode', 'removeNode', 'registerDevice'];
  for (let d = 12; d >= 1; d--) {
    if (d === 9 || d === 5 || d === 4) continue; // quiet days show as zero in the chart
    const nb = rng.int(1, 3);
    for (let k = 0; k < nb; k++) seal(Array.from({ length: rng.int(2, 7) }, () => randomTx(rng.pick(MIX))), dayStart(d) + 30_000_000 + k * 7_000_000, d === 7 && k === 0 ? 1 : 0);
  }
  // Every kind at least once, then a steady recent run: one block every 3 s up to now.
  seal(TX_KINDS.map((k) => randomTx(k)), t0 - 5 * 60_000);
  for (let i = 20; i >= 1; i--) seal(i % 3 === 0 ? [] : Array.from({ length: rng.int(1, 4) }, () => randomTx(rng.pick(MIX))), t0 - i * 3000);
  for (let i = 0; i < 3; i++) pending.push(randomTx(i === 2 ? 'transfer' : 'edgeMatch'));

  // ---- RPC views
  const head = () => blocks[blocks.length - 1];
  const acctName = (a: string) => accounts.get(a)?.name ?? '';
  const txView = (t: TxRec) => ({ hash: t.hash, blockNumber: t.blockNumber, blockHash: t.blockHash, index: t.index, timestamp: t.timestamp, from: t.from, nonce: t.nonce, kind: t.kind, payload: t.payload, size: t.size });
  const receiptView = (t: TxRec) => t.receipt && ({
    transactionHash: t.hash, blockNumber: t.blockNumber, blockHash: t.blockHash, index: t.index, from: t.from, kind: t.kind,
    status: t.receipt.status, statusText: STATUS_TEXT[t.receipt.status] ?? `UNKNOWN_${t.receipt.status}`, reason: t.receipt.reason, match: t.receipt.match, lease: null, channel: null, proposal: null,
  });
  const summary = (b: BlockRec) => ({ number: b.number, hash: b.hash, timestamp: b.timestamp, proposer: sealers[b.proposerIndex].address, proposerName: sealers[b.proposerIndex].name, view: b.view, txCount: b.txs.length });
  const blockView = (b: BlockRec, full: boolean) => ({
    ...summary(b), parentHash: b.parentHash, txRoot: b.txRoot, stateRoot: b.stateRoot, receiptRoot: b.receiptRoot, size: b.size,
    signers: b.signerIdx.map((i) => ({ index: i, name: sealers[i].name })),
    certificate: b.number === 0 ? null : { view: b.view, seals: b.signerIdx.map((i) => ({ sealer: i, name: sealers[i].name, signature: h256('seal', b.number, i) + h256('seal2', b.number, i).slice(2) })) },
    transactions: b.txs.map((t) => (full ? { ...txView(t), status: t.receipt?.status ?? null } : t.hash)),
  });
  const nodeView = (n: EdgeNodeRec) => ({ id: n.id, owner: n.owner, ownerName: acctName(n.owner), lat: n.lat, lon: n.lon, latE6: e6(n.lat), lonE6: e6(n.lon), capacity: n.capacity, used: n.used, free: n.capacity - n.used, serviceTypes: n.serviceTypes, price: n.price, online: n.online, activeLeases: n.activeLeases });
  const view = 0;
  const consensus = () => {
    const li = (head().number + 1 + view) % 4;
    return { nodeName: 'proxy', role: 'sealer', height: head().number, view, phase: 'prepare', leader: sealers[li].name, leaderIndex: li, lockedHash: null, viewChanges: 1, timeoutMs: 4000 };
  };
  const peers = () => {
    const h = head().number;
    const at = (n: number) => blocks[Math.max(0, Math.min(h, n))].hash;
    return [
      { peerId: sealers[1].peerId, name: 'company-a', role: 'sealer', publicKey: sealers[1].publicKey, addrs: ['/ip4/10.0.0.2/tcp/30300'], connected: true, height: h, headHash: at(h), view },
      { peerId: sealers[2].peerId, name: 'company-b', role: 'sealer', publicKey: sealers[2].publicKey, addrs: ['/ip4/10.0.0.3/tcp/30300'], connected: true, height: h - 1, headHash: at(h - 1), view },
      { peerId: sealers[3].peerId, name: 'company-c', role: 'sealer', publicKey: sealers[3].publicKey, addrs: ['/ip4/10.0.0.4/tcp/30300'], connected: true, height: h - 6, headHash: at(h - 6), view: 0 },
      { peerId: observer.peerId, name: observer.name, role: 'observer', publicKey: observer.publicKey, addrs: ['/ip4/10.0.0.9/tcp/30300'], connected: false, height: 12, headHash: at(12), view: null },
    ];
  };
  const obj = (params: unknown[]): Record<string, unknown> => {
    const p = params[0];
    if (p === undefined) return {};
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidParams('expected an object param');
    return p as Record<string, unknown>;
  };
  const optInt = (v: unknown, name: string, dflt: number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw invalidParams(`${name} must be an integer 0..${max}`);
    return v;
  };
  const hashParam = (v: unknown, name = 'hash'): string => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw invalidParams(`${name} must be 0x + 64 hex`);
    return v.toLowerCase();
  };
  const addrParam = (v: unknown): string => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw invalidParams('address must be 0x + 40 hex');
    return v.toLowerCase();
  };
  const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  const methods: Record<string, RpcHandler> = {
    getChainInfo: () => ({ chainId: CHAIN_ID, genesisHash, nodeName: 'proxy', role: 'sealer', sealerCount: 4, observerCount: 1, version: '0.1.0-fake' }),
    getBlockNumber: () => head().number,
    getPbftView: () => view,
    getSealerList: () => sealers,
    getObserverList: () => [observer],
    // governance (docs/GOVERNANCE.md): the three companies, one passed and one open proposal
    getConsortium: () => {
      const companies = ['company-a', 'company-b', 'company-c'].map((name) => ({ address: keyPairFromLabel('account/' + name).address, name }));
      const entry = (fromHeight: number, proposal: number, observers: number) => ({ fromHeight, proposal, n: 4, quorum: 3, sealers: sealers.map((x) => ({ name: x.name, publicKey: x.publicKey })), companies: 3, observers });
      return {
        height: head().number + 1, fromHeight: 12, proxy: keyPairFromLabel('account/proxy').address, companies,
        sealers: sealers.map((x) => ({ index: x.index, name: x.name, role: x.role, publicKey: x.publicKey, address: x.address, operator: x.operator, lastProposed: head().number - x.index })),
        observers: [{ name: observer.name, publicKey: observer.publicKey }], approvalsNeeded: 3,
        history: [entry(0, 0, 0), entry(12, 1, 1)],
      };
    },
    getProposals: () => ({ total: proposals.length, proposals }),
    getProposal: (params) => proposals.find((x) => x.id === params[0]) ?? null,
    getConsensusStatus: consensus,
    getSyncStatus: () => {
      const ps = peers();
      return { syncing: false, height: head().number, headHash: head().hash, highestPeerHeight: Math.max(...ps.map((p) => p.height)), peers: ps.filter((p) => p.connected).map((p) => ({ peerId: p.peerId, name: p.name, height: p.height, headHash: p.headHash })) };
    },
    getPeers: peers,
    getBlockByNumber: (params) => {
      const n = optInt(params[0], 'number', undefined);
      if (n === undefined) throw invalidParams('number is required');
      const b = blocks[n];
      return b ? blockView(b, params[1] === true) : null;
    },
    getBlockByHash: (params) => {
      const b = blockByHash.get(hashParam(params[0]));
      return b ? blockView(b, params[1] === true) : null;
    },
    getBlockList: (params) => {
      const o = obj(params);
      const before = optInt(o.before, 'before', head().number + 1)!;
      const limit = Math.max(1, optInt(o.limit, 'limit', 20, 100)!);
      const out: BlockRec[] = [];
      for (let h = Math.min(before, head().number + 1) - 1; h >= 0 && out.length < limit; h--) out.push(blocks[h]);
      const last = out[out.length - 1];
      return { blocks: out.map(summary), next: last && last.number > 0 ? last.number : null };
    },
    sendRawTransaction: (params) => {
      if (typeof params[0] !== 'string' || !/^(0x)?[0-9a-fA-F]+$/.test(params[0])) throw invalidParams('expected hex of a signed Tx');
      throw new RpcError(RpcCode.TX_REJECTED, 'transaction refused: bad signature', { code: 'TX_BAD_SIGNATURE' });
    },
    getTransactionByHash: (params) => {
      const h = hashParam(params[0]);
      const t = txs.get(h) ?? pending.find((p) => p.hash === h);
      return t ? txView(t) : null;
    },
    getTransactionReceipt: (params) => {
      const t = txs.get(hashParam(params[0]));
      return t ? receiptView(t) : null;
    },
    getTransactionList: (params) => {
      const o = obj(params);
      const beforeBlock = optInt(o.beforeBlock, 'beforeBlock', head().number + 1)!;
      const limit = Math.max(1, optInt(o.limit, 'limit', 20, 100)!);
      if (o.kind !== undefined && !TX_KINDS.includes(o.kind as FakeTxKind)) throw invalidParams('unknown kind');
      const from = o.from === undefined ? undefined : addrParam(o.from);
      const out: ReturnType<typeof txView>[] = [];
      let h = Math.min(beforeBlock, head().number + 1) - 1;
      let scanned = 0;
      // whole blocks per page: a page may exceed `limit` by the rest of its last block
      for (; h >= 0 && out.length < limit && scanned < 1000; h--, scanned++) {
        for (const t of [...blocks[h].txs].reverse()) {
          if ((o.kind === undefined || t.kind === o.kind) && (from === undefined || t.from === from)) out.push({ ...txView(t), status: t.receipt!.status } as ReturnType<typeof txView>);
        }
      }
      return { transactions: out, nextBeforeBlock: h >= 1 ? h + 1 : null };
    },
    getPendingTxSize: () => pending.length,
    getPendingTransactions: (params) => pending.slice(0, optInt(params[0], 'limit', 100, 1000)).map(txView),
    getTotalTransactionCount: () => {
      let txSum = 0, failedTxSum = 0;
      for (const b of blocks) for (const t of b.txs) { txSum++; if (t.receipt!.status !== 0) failedTxSum++; }
      return { blockNumber: head().number, txSum, failedTxSum };
    },
    getTxStats: (params) => {
      const days = Math.max(1, optInt(obj(params).days, 'days', 15, 90)!);
      const today = Math.floor(now() / DAY) * DAY;
      const out = Array.from({ length: days }, (_, i) => ({ day: dayKey(today - (days - 1 - i) * DAY), txs: 0, failed: 0 }));
      const idx = new Map(out.map((d, i) => [d.day, i]));
      for (const b of blocks) {
        const i = idx.get(dayKey(b.timestamp));
        if (i === undefined) continue;
        out[i].txs += b.txs.length;
        out[i].failed += b.txs.filter((t) => t.receipt!.status !== 0).length;
      }
      return { days: out };
    },
    getAccount: (params) => {
      const a = accounts.get(addrParam(params[0]));
      if (!a) return null;
      const inPool = pending.filter((p) => p.from === a.address).length;
      return { address: a.address, name: a.name, role: a.role, nonce: a.nonce, pendingNonce: a.nonce + inPool, balance: a.balance, device: a.device };
    },
    getEdgeNodes: (params) => {
      const o = obj(params);
      const offset = optInt(o.offset, 'offset', 0)!;
      const limit = optInt(o.limit, 'limit', 100, 1000)!;
      const owner = o.owner === undefined ? undefined : addrParam(o.owner);
      const all = [...nodes.values()].filter((n) => owner === undefined || n.owner === owner).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { total: all.length, nodes: all.slice(offset, offset + limit).map(nodeView) };
    },
    getEdgeNode: (params) => {
      if (typeof params[0] !== 'string') throw invalidParams('id must be a string');
      const n = nodes.get(params[0]);
      return n ? nodeView(n) : null;
    },
    getLease: (params) => {
      const id = optInt(params[0], 'id', undefined);
      const l = id === undefined ? undefined : leases.get(id);
      return l ? { ...l } : null;
    },
    getChannels: (params) => {
      const o = obj(params);
      const list = channels.filter((c) => o.status === undefined || c.status === o.status).sort((a, b) => b.id - a.id);
      return { total: list.length, channels: list.slice(0, optInt(o.limit, 'limit', 100, 1000)!).map((c) => ({ ...c })) };
    },
    getRecentMatches: (params) => matches.slice(0, optInt(obj(params).limit, 'limit', 100, 500)).map((m) => ({ ...m })),
    search: (params) => {
      const q = params[0];
      if (typeof q !== 'string' || q.length > 200) throw invalidParams('query must be a string of at most 200 characters');
      const s = q.trim();
      if (/^[0-9]{1,15}$/.test(s)) return Number(s) <= head().number ? { type: 'block', id: Number(s) } : null;
      if (/^0x[0-9a-fA-F]{64}$/.test(s)) {
        const h = s.toLowerCase();
        if (blockByHash.has(h)) return { type: 'block', id: h };
        if (txs.has(h) || pending.some((p) => p.hash === h)) return { type: 'transaction', id: h };
        return null;
      }
      if (/^0x[0-9a-fA-F]{40}$/.test(s)) return accounts.has(s.toLowerCase()) ? { type: 'account', id: s.toLowerCase() } : null;
      return nodes.has(s) ? { type: 'edgeNode', id: s } : null;
    },
  };

  // ---- SSE
  const clients = new Set<ServerResponse>();
  const sse = opts.sse ?? true;
  const push = (event: string, data: unknown) => {
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(msg);
  };
  const events = (path: string, req: IncomingMessage, res: ServerResponse): boolean => {
    if (!sse || path !== '/events') return false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
    return true;
  };
  const statusTimer = setInterval(() => push('status', { height: head().number, view, pending: pending.length, peers: peers().filter((p) => p.connected).length }), opts.statusIntervalMs ?? 2000);
  statusTimer.unref();

  const server = new RpcServer({ host: '127.0.0.1', port: 0 }, { methods, routes: [explorerRoute()], streams: [events] });
  const { port } = await server.start();

  return {
    url: `http://127.0.0.1:${port}/`,
    methods,
    malloryAddress: mallory.address,
    addBlock(o: AddBlockOptions = {}) {
      const kinds = o.kinds && o.kinds.length ? o.kinds : MIX;
      const list = Array.from({ length: o.txs ?? 3 }, () => randomTx(rng.pick(kinds)));
      const b = seal(list, Math.max(now(), head().timestamp + 1));
      push('block', { number: b.number, hash: b.hash, txCount: b.txs.length, timestamp: b.timestamp });
      return { number: b.number, hash: b.hash, txHashes: list.map((t) => t.hash) };
    },
    async stop() {
      clearInterval(statusTimer);
      for (const res of clients) res.end();
      clients.clear();
      await server.stop();
    },
  };
}

// `npx node test/explorer/fake-node.ts [port-ignored]`: run it and print the URL; a block every 5 s.
if (import.meta.url === `file://${process.argv[1]}`) {
  const n = await startFakeNode({ edgeNodes: Number(process.env.EDGE_NODES) || undefined });
  console.log(`fake edgechain node: ${n.url}`);
  setInterval(() => n.addBlock({ txs: 1 + Math.floor(Math.random() * 4) }), 5000);
}
