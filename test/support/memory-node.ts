/**
 * An in-memory edgechain node built from the real parts, with a deterministic history: the
 * demo consortium of `config/` (the real genesis through parseGenesis, the four sealers'
 * demo keys, proxy's observer list), each sealer a real Ledger over a real WorldState, TxPool,
 * PbftEngine and ChainStore on a MemoryDatabase; the proxy's store, state and pool answer
 * the real `rpcMethods` through the real RpcServer with `explorerRoute()`, the real indexers
 * (TxStats, RecentMatches) and the real EventHub at GET /events.
 *
 * Only the network and the clock are simulated: consensus messages go between the four
 * ledgers through an in-process queue (txs are "gossiped" by adding them to every connected
 * pool), and time is an injected clock that jumps to each block's time, and to a view
 * timer's deadline when the chain waits for one. So the history is laid out over the past
 * days with real block timestamps, in about a second.
 *
 * The history (built backwards from `now`): the faucet funds devices; the companies record
 * edge nodes at real Melbourne CBD sites (data/eua-melbourne-cbd, the EUA dataset: Phu Lai et
 * al., ICSOC 2018, MIT licence; ACMA site data); devices register and lease nodes from real
 * user locations of the same dataset; leases are renewed, released, or expire; nodes are
 * updated, taken offline, added and removed; payment channels are opened, topped up, claimed,
 * closed and refunded; and some txs of every kind fail. For the last two days company-c's
 * consensus traffic is cut: it falls behind, the others (3 of 4) keep finalizing and change
 * view whenever company-c should lead. observer-1 never runs (the explorer shows it down).
 * A few txs with a nonce gap wait in the proxy's pool (pending).
 *
 * By hand: `npx node test/support/memory-node.ts` prints the URL and adds a block every 5 s
 * (`EDGE_NODES=125` records all 125 sites).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keyPairFromLabel, readKeyFile, addressBytes, type KeyPair } from '../../src/crypto/index.ts';
import { signTx, TxVerifier, type SignedTx } from '../../src/chain/index.ts';
import type { Receipt, TxKind, TxPayload } from '../../src/codec/types.ts';
import { PbftEngine, SignatureMemo, type EngineInput } from '../../src/consensus/index.ts';
import { Ledger, openState, type LedgerOutput } from '../../src/ledger/index.ts';
import { ChainStore } from '../../src/storage/chain-store.ts';
import { MemoryDatabase } from '../../src/storage/memory.ts';
import { TxPool } from '../../src/txpool/pool.ts';
import type { WorldState } from '../../src/state/world.ts';
import { signVoucher } from '../../src/domain/vouchers.ts';
// the rpc modules one by one (not rpc/index.ts, whose metrics and health pull in more than this node serves)
import { RpcServer, type RpcHandler } from '../../src/rpc/server.ts';
import { rpcMethods, rpcCost } from '../../src/rpc/methods.ts';
import { EventHub } from '../../src/rpc/events.ts';
import { TxStats, RecentMatches } from '../../src/rpc/indexers.ts';
import { StatusJson } from '../../src/rpc/status.ts';
import { explorerRoute } from '../../src/rpc/explorer.ts';
import { openRpcRoute } from '../../src/rpc/openrpc.ts';
import { peerIdFromPublicKey } from '../../src/p2p/identity.ts';
import type { PeerInfo, PeerStatus } from '../../src/p2p/network.ts';
import { loadConfig } from '../../src/node/config.ts';
import { readIdentity } from '../../src/node/identity.ts';
import { tx } from '../../src/sdk/builders.ts';
import { GovAction } from '../../src/domain/governance.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { sign as signBytes } from '../../src/crypto/keys.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { ok, err } from '../../src/util/errors.ts';
import { Prng } from '../sim/prng.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The node's version string (src/node/node.ts VERSION; read here without loading the whole node). */
const VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version;
const SEALERS = ['proxy', 'company-a', 'company-b', 'company-c'] as const;
const SERVICE_TYPES = ['video', 'ml', 'ar', 'iot'];
const DAY = 86_400_000;
/** The identity info of the device `mallory` (an XSS probe): the explorer must show it as text. */
export const XSS_INFO = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"\'&';

export interface MemoryNodeOptions {
  /** How many of the 125 Melbourne CBD sites become edge nodes (default 30). */
  edgeNodes?: number;
  /** Serve GET /events (default true); false makes the explorer fall back to polling. */
  sse?: boolean;
  /** Interval of the SSE `status` event (default 2000 ms, as a node). */
  statusIntervalMs?: number;
  /** Wall clock (default Date.now): the history ends just before it; live blocks take max(it, the chain's clock). */
  now?: () => number;
}

export interface MemoryNode {
  url: string;
  /** The proxy's RPC handlers (as served). */
  methods: Record<string, RpcHandler>;
  /** Address of the device whose info is hostile markup (XSS_INFO). */
  malloryAddress: string;
  /** Signs txs of these kinds (default: a mix) from the history's actors, and finalizes them in one new block. */
  addBlock(opts?: { txs?: number; kinds?: TxKind[] }): Promise<{ number: number; hash: string; txHashes: string[] }>;
  stop(): Promise<void>;
}

interface Actor {
  name: string;
  key: KeyPair;
  nonce: number;
}

interface Sealer {
  index: number;
  name: string;
  key: KeyPair;
  peerId: string;
  store: ChainStore;
  state: WorldState;
  pool: TxPool;
  engine: PbftEngine;
  ledger: Ledger;
  /** false: its consensus messages and txs are cut (it falls behind). */
  connected: boolean;
  timerAt: number | null;
}

function csv(file: string): Record<string, string>[] {
  const lines = readFileSync(`${ROOT}data/eua-melbourne-cbd/${file}`, 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
}
const e6 = (deg: string | number) => Math.round(Number(deg) * 1e6);

export async function startMemoryNode(opts: MemoryNodeOptions = {}): Promise<MemoryNode> {
  const wall = opts.now ?? Date.now;
  const rng = Prng.from('explorer-memory-node');
  const configs = SEALERS.map((n) => loadConfig(`${ROOT}config/${n}.json`, {}));
  const id0 = readIdentity(configs[0]);
  const { genesis, genesisHash } = id0;
  const chainId = genesis.chainId;
  const gHashHex = toHex(genesisHash, true);

  // ---- the clock: jumps forward to each block's time (never backwards)
  let clock = genesis.timestamp;
  const now = () => clock;

  // ---- four sealers over MemoryDatabases, one tx-signature cache and one consensus-signature memo (as one process shares them)
  const verifier = new TxVerifier(undefined, genesisHash);
  const sigMemo = new SignatureMemo();
  const queue: { to: number; input: EngineInput }[] = [];
  const sealers: Sealer[] = [];
  for (let i = 0; i < SEALERS.length; i++) {
    const id = readIdentity(configs[i]);
    const store = await ChainStore.open(new MemoryDatabase(), { genesisHash });
    const { state } = await openState(store, genesis);
    const pool = new TxPool({ chainId, maxTxBytes: genesis.params.maxTxBytes }, { state, verifier, now });
    const s = { index: i, name: SEALERS[i], key: id.key, peerId: peerIdFromPublicKey(id.key.publicKey), store, state, pool, connected: true, timerAt: null } as Sealer;
    s.engine = new PbftEngine({ chainId, params: genesis.params }, { key: id.key, sealersAt: (h) => s.ledger.sealersAt(h), verify: sigMemo.verify });
    s.ledger = new Ledger({ genesis }, { state, store, pool, engine: s.engine, verifier, key: id.key, now, onWork: () => void queue.push({ to: i, input: { type: 'work', now: clock, pending: false } }) });
    sealers.push(s);
  }
  const me = sealers[0];
  const head0 = me.store.head()!;
  for (const s of sealers) queue.push({ to: s.index, input: { type: 'start', now: clock, head: { height: 0, hash: head0.hash, timestamp: genesis.timestamp }, wal: [] } });

  // ---- what the proxy node serves: indexers, events, status JSON
  const txStats = new TxStats();
  const matches = new RecentMatches();
  const events = new EventHub(configs[0].rpc.maxEventStreams, configs[0].rpc.maxEventStreamsPerClient);
  const receipts = new Map<string, Receipt>();
  let viewChanges = 0;
  let lastView = 0;

  /** Applies the outputs of one step of sealer `s`, in order (as the node's driver does). */
  async function apply(s: Sealer, o: LedgerOutput): Promise<void> {
    switch (o.type) {
      case 'persist':
        await s.store.walAppend(o.record, s.engine.status().height);
        return;
      case 'broadcast':
        for (const t of sealers) if (t !== s && t.connected && s.connected) queue.push({ to: t.index, input: { type: 'message', now: clock, bytes: o.bytes, from: s.peerId } });
        return;
      case 'send':
        if (s.connected && sealers[o.to]?.connected) queue.push({ to: o.to, input: { type: 'message', now: clock, bytes: o.bytes, from: s.peerId } });
        return;
      case 'set-timer':
        s.timerAt = o.at;
        return;
      case 'finalized': {
        const { durable } = await s.ledger.write(o);
        await durable;
        if (s !== me) return;
        const { block, result } = o;
        txStats.add(block.header.timestamp, block.txs.length, result.failed);
        matches.addBlock(block.header.height, block.header.timestamp, block.txs, result.receipts, (id) => me.state.edgeNode(id));
        block.txs.forEach((t, i) => receipts.set(t.hashHex, result.receipts[i]));
        events.publish('block', { number: block.header.height, hash: block.hashHex, txCount: block.txs.length, timestamp: block.header.timestamp, view: me.engine.status().view });
        return;
      }
      default:
        return; // request-sync (nobody is ahead of a connected sealer), equivocation (none here)
    }
  }

  /** Runs the queued inputs to quiescence. */
  async function pump(): Promise<void> {
    while (queue.length) {
      const { to, input } = queue.shift()!;
      const s = sealers[to];
      if (!s.connected && input.type !== 'start') continue;
      const outs: LedgerOutput[] = [];
      s.ledger.step({ ...input, now: clock }, (o) => void outs.push(o));
      for (const o of outs) await apply(s, o);
    }
    const v = me.engine.status().view;
    if (v > lastView) viewChanges += v - lastView;
    lastView = v;
  }

  // ---- actors and their txs
  const actor = (name: string, key: KeyPair): Actor => ({ name, key, nonce: 0 });
  const acct = (n: string) => actor(n, readKeyFile(`${ROOT}config/keys/accounts/${n}.json`));
  const proxyAcc = acct('proxy');
  const companies = ['company-a', 'company-b', 'company-c'].map(acct);
  const faucet = acct('faucet');
  const devices = [...['device-1', 'device-2', 'device-3'].map(acct), ...Array.from({ length: 9 }, (_, i) => actor(`device-${i + 4}`, keyPairFromLabel(`explorer/device-${i + 4}`)))];
  const mallory = actor('mallory', keyPairFromLabel('explorer/mallory'));
  const names = new Map<string, string>();
  for (const s of genesis.sealers) names.set(toHex(addressBytes(s.publicKey), true), s.name);
  for (const a of genesis.accounts) if (a.name) names.set(toHex(a.address, true), a.name);

  const sign = (a: Actor, p: TxPayload): SignedTx => signTx(a.key, chainId, a.nonce++, p, genesisHash);

  /** Jumps the clock to the earliest timer of a connected sealer due by `limit` and fires the timers due then; false if there is none. */
  async function fireNext(limit: number): Promise<boolean> {
    const due = sealers.filter((s) => s.connected && s.timerAt !== null && s.timerAt <= limit);
    if (due.length === 0) return false;
    clock = Math.max(clock, Math.min(...due.map((s) => s.timerAt!)));
    for (const s of due) {
      if (s.timerAt! > clock) continue;
      s.timerAt = null;
      queue.push({ to: s.index, input: { type: 'timer', now: clock } });
    }
    await pump();
    return true;
  }

  /** Moves the clock to `t`, firing on the way the timers that fall due (each at its deadline). */
  async function advanceTo(t: number): Promise<void> {
    for (let n = 0; n < 1000 && (await fireNext(t)); n++);
    clock = Math.max(clock, t);
  }

  /** Until no connected sealer has executable work: pump, and when the chain waits for a view timer, jump to it. */
  async function settle(): Promise<void> {
    await pump();
    for (let round = 0; sealers.some((s) => s.connected && s.ledger.hasWork()); round++) {
      if (round > 50 || !(await fireNext(Infinity))) throw new Error(`memory node: txs not finalized after ${round} timers`);
    }
  }

  /** Moves the clock to `t`, gossips `txs` to every connected pool and finalizes them in one block. */
  async function seal(txs: SignedTx[], t: number): Promise<{ number: number; hash: string }> {
    await advanceTo(t);
    const before = me.store.head()!.height;
    for (const s of sealers) {
      if (!s.connected) continue;
      for (const t of txs) {
        const r = s.pool.add(t);
        if (!r.ok) throw new Error(`memory node: ${s.name} refused a ${t.body.kind} tx: ${r.error.message}`);
      }
    }
    await settle();
    const head = me.store.head()!;
    if (head.height !== before + 1 || txs.some((t) => !receipts.has(t.hashHex))) throw new Error(`memory node: expected one block with ${txs.length} txs at ${before + 1}, head is ${head.height}`);
    return { number: head.height, hash: toHex(head.hash, true) };
  }

  // ---- the data: real sites and user locations
  const sites = csv('site-optus-melbCBD.csv').slice(0, Math.max(1, Math.min(125, opts.edgeNodes ?? 30)));
  const users = csv('users-melbcbd-generated.csv');
  const nodeOwner = new Map<string, Actor>();
  const leases: { id: number; device: Actor }[] = [];
  const channels: { id: number; payer: Actor; payee: Actor; claimed: number }[] = [];
  let tmp = 0;

  const userAt = () => users[rng.int(0, users.length - 1)];
  const activeLeases = () => leases.filter((l) => me.state.lease(l.id)?.status === 'active');

  /** One tx of `kind` from a fitting actor (some of them fail on purpose: wrong role, no candidate, unknown lease, …). */
  function txOf(kind: TxKind): SignedTx {
    switch (kind) {
      case 'edgeMatch': {
        const d = rng.pick(devices);
        const u = userAt();
        const noCandidate = rng.chance(0.1); // a price nobody offers
        return sign(d, tx.edgeMatch({ lat: e6(u.Latitude), lon: e6(u.Longitude), taskType: rng.pick(SERVICE_TYPES), demand: rng.int(1, 3), maxPrice: noCandidate ? 1 : 25, durationS: rng.pick([300, 900, 3600, 6 * 3600]) }));
      }
      case 'releaseLease': {
        const act = activeLeases();
        if (act.length && rng.chance(0.85)) {
          const l = rng.pick(act);
          return sign(l.device, tx.releaseLease({ leaseId: l.id }));
        }
        return sign(rng.pick(devices), tx.releaseLease({ leaseId: leases.length ? rng.pick(leases).id : 999 })); // ended, or not theirs
      }
      case 'renewLease': {
        const act = activeLeases();
        const l = act.length ? rng.pick(act) : null;
        return l ? sign(l.device, tx.renewLease({ leaseId: l.id, extendS: 600 })) : sign(rng.pick(devices), tx.renewLease({ leaseId: 999, extendS: 600 }));
      }
      case 'transfer': {
        if (rng.chance(0.15)) return sign(mallory, tx.transfer({ to: addressBytes(rng.pick(devices).key.publicKey), amount: 1_000_000 })); // more than it has
        const from = rng.pick([faucet, ...devices]);
        const to = rng.pick(devices.filter((d) => d !== from));
        return sign(from, tx.transfer({ to: addressBytes(to.key.publicKey), amount: rng.int(10, 5000) }));
      }
      case 'updateNode': {
        const [id, owner] = rng.pick([...nodeOwner.entries()].filter(([i]) => me.state.edgeNode(i)));
        const n = me.state.edgeNode(id)!;
        return sign(owner, tx.updateNode({ id, lat: n.lat, lon: n.lon, capacity: n.capacity + rng.int(0, 4), serviceTypes: n.serviceTypes, price: rng.int(5, 20), online: rng.chance(0.8) }));
      }
      case 'addNode': {
        const u = userAt();
        const c = rng.chance(0.8) ? rng.pick(companies) : rng.pick(devices); // a device gets a failed receipt
        const id = `tmp-${++tmp}`;
        if (c.name.startsWith('company')) nodeOwner.set(id, c);
        return sign(c, tx.addNode({ id, lat: e6(u.Latitude), lon: e6(u.Longitude), capacity: rng.int(2, 8), serviceTypes: [rng.pick(SERVICE_TYPES)], price: rng.int(5, 20) }));
      }
      case 'removeNode': {
        const own = [...nodeOwner.entries()].find(([id]) => id.startsWith('tmp-') && me.state.edgeNode(id));
        if (own && rng.chance(0.8)) {
          nodeOwner.delete(own[0]);
          return sign(own[1], tx.removeNode({ id: own[0] }));
        }
        const [id, owner] = rng.pick([...nodeOwner.entries()]);
        return sign(rng.pick(companies.filter((c) => c !== owner)), tx.removeNode({ id })); // not the owner
      }
      case 'registerDevice':
        return rng.chance(0.5) ? sign(proxyAcc, tx.registerDevice({ info: 'the proxy cannot be a device' })) : sign(rng.pick(devices), tx.registerDevice({ info: `again ${rng.int(1000, 9999)}` }));
      case 'channelOpen': {
        const payer = rng.pick(devices);
        return sign(payer, tx.channelOpen({ payee: addressBytes(rng.pick(companies).key.publicKey), deposit: rng.int(1000, 5000), expiresInS: 30 * 86_400 }));
      }
      case 'channelTopUp': {
        const c = channels.find((x) => me.state.channel(x.id)?.status === 'open');
        return c ? sign(c.payer, tx.channelTopUp({ channelId: c.id, amount: 500 })) : sign(rng.pick(devices), tx.channelTopUp({ channelId: 999, amount: 500 }));
      }
      case 'channelClaim':
      case 'channelClose': {
        const c = channels.find((x) => me.state.channel(x.id)?.status === 'open');
        if (!c) return sign(rng.pick(companies), tx.channelClaim({ channelId: 999, amount: 1, signature: new Uint8Array(64) }));
        const amount = Math.min(me.state.channel(c.id)!.deposit, c.claimed + rng.int(50, 400));
        c.claimed = amount;
        const v = signVoucher(c.payer.key.secretKey, chainId, c.id, amount);
        return sign(c.payee, kind === 'channelClaim' ? tx.channelClaim({ channelId: c.id, amount, signature: v.signature }) : tx.channelClose({ channelId: c.id, amount, signature: v.signature }));
      }
      case 'evidence': {
        // company-c (sealer 3) signed PREPAREs for two blocks at height 2, view 0: one offence, so only the first report succeeds (EVIDENCE_DUPLICATE after)
        const prepare = (label: string) => {
          const blockHash = sha256(utf8(`explorer/equivocation/${label}`));
          const payload = ConsensusPayloadCodec.encode({ prepare: { height: 2, view: 0, blockHash } });
          return ConsensusMessageCodec.encode({ payload, sender: 3, signature: signBytes(voteBytes('prepare', chainId, 2, 0, blockHash), sealers[3].key.secretKey), block: new Uint8Array(0) });
        };
        return sign(proxyAcc, tx.evidence({ first: prepare('a'), second: prepare('b') }));
      }
      case 'propose': // a device is no company (NOT_MEMBER); removing an observer nobody added (UNKNOWN_MEMBER)
        return rng.chance(0.5)
          ? sign(rng.pick(devices), tx.propose({ action: GovAction.ADD_OBSERVER, address: new Uint8Array(0), publicKey: keyPairFromLabel(`explorer/stray-${rng.int(0, 9)}`).publicKey, name: 'stray' }))
          : sign(rng.pick(companies), tx.propose({ action: GovAction.REMOVE_OBSERVER, address: new Uint8Array(0), publicKey: keyPairFromLabel('explorer/nobody').publicKey, name: '' }));
      case 'vote':
        return sign(rng.pick(companies), tx.vote({ proposal: 999, reject: false })); // UNKNOWN_PROPOSAL
      case 'unregisterDevice':
        return sign(rng.pick(companies), tx.unregisterDevice({})); // a company is no device
      case 'channelRefund': {
        const c = channels.find((x) => me.state.channel(x.id)?.status === 'open');
        return c ? sign(c.payer, tx.channelRefund({ channelId: c.id })) : sign(rng.pick(devices), tx.channelRefund({ channelId: 999 }));
      }
    }
  }

  /** Seals and notes the leases and channels the receipts created. */
  async function sealNoting(txs: SignedTx[], t: number) {
    const b = await seal(txs, t);
    for (const t of txs) {
      const r = receipts.get(t.hashHex)!;
      const who = [...devices, mallory].find((d) => d.key.address === t.sender);
      if (r.status === 0 && r.match && who) leases.push({ id: r.match.leaseId, device: who });
      if (r.status === 0 && t.body.kind === 'channelOpen' && r.channel && who) {
        const payee = [proxyAcc, ...companies].find((c) => toHex(t.body.channelOpen!.payee, true) === c.key.address)!;
        channels.push({ id: r.channel.channelId, payer: who, payee, claimed: 0 });
      }
    }
    return b;
  }

  // ---- the history, laid out backwards from the wall clock
  const t0 = wall();
  const day = (daysAgo: number, ms = 0) => Math.floor((t0 - daysAgo * DAY) / DAY) * DAY + ms;
  await pump();
  const H = 3_600_000;
  // day 14: the faucet funds the devices and mallory; the companies record the sites
  await sealNoting([...devices.slice(3), mallory].map((d) => sign(faucet, tx.transfer({ to: addressBytes(d.key.publicKey), amount: d === mallory ? 1_100 : 5_000_000 })) /* mallory: the registration deposit and 100 */), day(14, H));
  for (let i = 0; i < sites.length; i += 40) {
    const batch = sites.slice(i, i + 40).map((s, k) => {
      const c = companies[(i + k) % 3];
      const id = `optus-${s.SITE_ID}`;
      nodeOwner.set(id, c);
      const types = SERVICE_TYPES.filter(() => rng.chance(0.5));
      return sign(c, tx.addNode({ id, lat: e6(s.LATITUDE), lon: e6(s.LONGITUDE), capacity: rng.int(4, 32), serviceTypes: types.length ? types : ['video'], price: rng.int(5, 20) }));
    });
    await sealNoting(i === 0 ? [...batch, sign(devices[0], tx.addNode({ id: 'not-a-company', lat: e6(-37.81), lon: e6(144.96), capacity: 1, serviceTypes: ['video'], price: 1 }))] : batch, day(14, 2 * H + i * 1000));
  }
  // day 13: the devices register (one of them with hostile markup; the proxy may not)
  await sealNoting(
    [...devices.map((d, i) => sign(d, tx.registerDevice({ info: `IIoT gateway ${d.name} / line ${(i % 4) + 1}` }))), sign(mallory, tx.registerDevice({ info: XSS_INFO })), sign(proxyAcc, tx.registerDevice({ info: 'the proxy cannot be a device' }))],
    day(13, 10 * H),
  );
  // days 12 … 1: a realistic mix, with quiet days (zero in the chart) and payment-channel life cycles
  const MIX: TxKind[] = ['edgeMatch', 'edgeMatch', 'edgeMatch', 'edgeMatch', 'edgeMatch', 'releaseLease', 'releaseLease', 'renewLease', 'transfer', 'transfer', 'updateNode', 'addNode', 'removeNode', 'registerDevice'];
  // three channels: A (device-1 → company-a) claimed, then closed by its payee; B (device-2 → company-b)
  // topped up and claimed, open; C (device-3 → proxy) closed by its payer, refunded after the settle window
  const addr = (a: Actor) => addressBytes(a.key.publicKey);
  const chOf = (payer: Actor) => channels.find((c) => c.payer === payer)!;
  const voucher = (c: { id: number; payer: Actor }, amount: number, by = c.payer) => signVoucher(by.key.secretKey, chainId, c.id, amount).signature;
  const claim = (c: (typeof channels)[number], amount: number, by?: Actor) => ((c.claimed = Math.max(c.claimed, amount)), sign(c.payee, tx.channelClaim({ channelId: c.id, amount, signature: voucher(c, amount, by) })));
  const MONTH_S = 30 * 86_400;
  const CHANNEL_DAYS: Record<number, () => SignedTx[]> = {
    12: () => [sign(devices[0], tx.channelOpen({ payee: addr(companies[0]), deposit: 5000, expiresInS: MONTH_S })), sign(devices[1], tx.channelOpen({ payee: addr(companies[1]), deposit: 3000, expiresInS: MONTH_S }))],
    11: () => [claim(chOf(devices[0]), 1200)],
    10: () => [sign(devices[1], tx.channelTopUp({ channelId: chOf(devices[1]).id, amount: 500 })), sign(devices[2], tx.channelOpen({ payee: addr(proxyAcc), deposit: 2000, expiresInS: MONTH_S }))],
    8: () => [claim(chOf(devices[1]), 800), sign(devices[2], tx.channelClose({ channelId: chOf(devices[2]).id, amount: 0, signature: new Uint8Array(0) }))],
    7: () => {
      const a = chOf(devices[0]);
      a.claimed = 2000;
      return [sign(a.payee, tx.channelClose({ channelId: a.id, amount: 2000, signature: voucher(a, 2000) }))];
    },
    6: () => [sign(devices[2], tx.channelRefund({ channelId: chOf(devices[2]).id })), claim(chOf(devices[0]), 2500)], // the claim fails: A is closed
    3: () => [claim(chOf(devices[1]), 1500), claim(chOf(devices[1]), 1600, mallory)], // the second fails: not the payer's voucher
  };
  for (let d = 12; d >= 1; d--) {
    if (d === 9 || d === 5 || d === 4) continue;
    if (d === 2) sealers[3].connected = false; // company-c's consensus traffic is cut from here on
    const nb = rng.int(1, 3);
    for (let k = 0; k < nb; k++) {
      const txs = Array.from({ length: rng.int(2, 7) }, () => txOf(rng.pick(MIX)));
      if (k === 0) txs.push(...(CHANNEL_DAYS[d]?.() ?? []));
      await sealNoting(txs, day(d, 8 * H + k * 2 * H + rng.int(0, H)));
    }
  }
  // a success of every kind whatever the time of day (lease expiries depend on it): two leases and a node, then their ends
  const [d4, d5] = [devices[3], devices[4]];
  const centre = users[0];
  const lease = (d: Actor) => sign(d, tx.edgeMatch({ lat: e6(centre.Latitude), lon: e6(centre.Longitude), taskType: 'video', demand: 1, maxPrice: 25, durationS: 3600 }));
  nodeOwner.set('tmp-showcase', companies[0]);
  const u = userAt();
  const showcase = [lease(d4), lease(d5)];
  await sealNoting([...showcase, sign(companies[0], tx.addNode({ id: 'tmp-showcase', lat: e6(u.Latitude), lon: e6(u.Longitude), capacity: 4, serviceTypes: ['ml'], price: 9 })), txOf('transfer'), txOf('channelOpen'), txOf('channelClaim'), txOf('evidence')], t0 - 10 * 60_000);
  const [l4, l5] = showcase.map((t) => {
    const m = receipts.get(t.hashHex)!.match;
    if (!m) throw new Error(`memory node: the showcase match failed: ${receipts.get(t.hashHex)!.reason}`);
    return m.leaseId;
  });
  nodeOwner.delete('tmp-showcase');
  await sealNoting([sign(d4, tx.releaseLease({ leaseId: l4 })), sign(d5, tx.renewLease({ leaseId: l5, extendS: 600 })), sign(companies[0], tx.removeNode({ id: 'tmp-showcase' })), txOf('updateNode')], t0 - 9 * 60_000);
  // governance (docs/GOVERNANCE.md): an observer voted in by all three companies (a new membership entry),
  // a company proposed and rejected by one vote, and an observer proposal still open
  const [ca, cb, cc] = companies;
  const propose = (c: Actor, action: GovAction, label: string, name: string) =>
    sign(c, tx.propose({ action, address: action === GovAction.ADD_COMPANY ? addressBytes(keyPairFromLabel(label).publicKey) : new Uint8Array(0), publicKey: action === GovAction.ADD_COMPANY ? new Uint8Array(0) : keyPairFromLabel(label).publicKey, name }));
  const p1 = propose(ca, GovAction.ADD_OBSERVER, 'explorer/observer-2', 'observer-2');
  const p2 = propose(cb, GovAction.ADD_COMPANY, 'explorer/company-d', 'company-d');
  // and a device that registers (funded for the deposit) and leaves again, its deposit returned
  const leaver = actor('leaver', keyPairFromLabel('explorer/leaver'));
  await sealNoting([p1, p2, sign(faucet, tx.transfer({ to: addressBytes(leaver.key.publicKey), amount: 2_000 })), sign(leaver, tx.registerDevice({ info: 'a gateway that leaves' }))], t0 - 8 * 60_000);
  const [id1, id2] = [p1, p2].map((t) => {
    const r = receipts.get(t.hashHex)!;
    if (r.status !== 0 || !r.proposal) throw new Error(`memory node: the proposal failed: ${r.reason}`);
    return r.proposal.proposalId;
  });
  await sealNoting([sign(cb, tx.vote({ proposal: id1, reject: false })), sign(cc, tx.vote({ proposal: id1, reject: false })), sign(cc, tx.vote({ proposal: id2, reject: true }))], t0 - 7.5 * 60_000);
  await sealNoting([propose(cb, GovAction.ADD_OBSERVER, 'explorer/observer-3', 'observer-3'), sign(leaver, tx.unregisterDevice({}))], t0 - 7 * 60_000);
  // then a steady recent run up to now
  for (let i = 20; i >= 1; i--) await sealNoting(Array.from({ length: rng.int(1, 4) }, () => txOf(rng.pick(MIX))), t0 - i * 15_000);
  // two txs of fresh keys with a nonce gap (nonce 1, their nonce 0 never came) wait in this node's pool
  for (const k of [1, 2]) {
    const r = me.pool.add(signTx(keyPairFromLabel(`explorer/late-${k}`), chainId, 1, tx.transfer({ to: addressBytes(proxyAcc.key.publicKey), amount: 1 }), genesisHash));
    if (!r.ok) throw new Error(`memory node: the pending tx was refused: ${r.error.message}`);
  }

  // ---- the proxy's RPC, as the node wires it (src/node/node.ts)
  const peerStatus = new Map<string, PeerStatus>();
  const refreshPeers = () => {
    for (const s of sealers.slice(1)) {
      const h = s.store.head()!;
      peerStatus.set(s.peerId, { height: h.height, headHash: h.hash, genesisHash });
    }
  };
  refreshPeers();
  const observerKeys = configs[0].p2p.observers;
  const peerInfos = (): PeerInfo[] => [
    ...sealers.slice(1).map((s) => ({ peerId: s.peerId, publicKey: toHex(s.key.publicKey), addrs: configs[0].p2p.bootstrap.filter((a) => a.endsWith(s.peerId)).map((a) => a.replace(/\/p2p\/.*$/, '')), connected: true, static: true })),
    ...observerKeys.map((k) => ({ peerId: peerIdFromPublicKey(k), publicKey: toHex(k), addrs: [], connected: false, static: false })),
  ];
  const status = new StatusJson({
    nodeName: configs[0].name,
    role: 'sealer',
    sealers: () => me.ledger.sealersAt(me.store.head()!.height + 1),
    observerKeys,
    store: me.store,
    engine: () => me.engine.status(),
    viewChanges: () => viewChanges,
    syncing: () => false,
    peerStatus,
    network: { peers: peerInfos, connectedPeers: () => peerInfos().filter((p) => p.connected).map((p) => p.peerId), peerId: { toString: () => me.peerId } },
  });
  const methods = rpcMethods({
    chainId,
    genesisHash: gHashHex,
    nodeName: configs[0].name,
    role: 'sealer',
    version: VERSION,
    store: me.store,
    state: me.state,
    pool: me.pool,
    sealers: () => me.ledger.sealersAt(me.store.head()!.height + 1),
    ...status.context(),
    // a tx sent over RPC is gossiped to the connected sealers and finalized at once
    submitTx: (bytes) => {
      const r = me.pool.add(bytes);
      if (!r.ok) return err(r.error);
      for (const s of sealers.slice(1)) if (s.connected) s.pool.add(bytes);
      void serial(async () => {
        await advanceTo(wall());
        await settle();
        refreshPeers();
      });
      return ok({ hash: r.value.hash });
    },
    accountName: (a) => names.get(a) ?? null,
    txStats,
    matches,
    now: wall,
  });
  const server = new RpcServer(
    { ...configs[0].rpc, host: '127.0.0.1', port: 0 },
    { methods, cost: rpcCost, routes: [openRpcRoute(VERSION), explorerRoute()], streams: opts.sse === false ? [] : [events.handler()] },
  );
  const { port } = await server.start();
  const statusTimer = setInterval(() => events.publish('status', { height: me.store.head()!.height, view: me.engine.status().view, pending: me.pool.size, peers: SEALERS.length - 1 }), opts.statusIntervalMs ?? 2000);
  statusTimer.unref();

  // live blocks and RPC submissions run one after another
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f);
    chain = p.catch(() => {});
    return p;
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    methods,
    malloryAddress: mallory.key.address,
    addBlock: (o = {}) =>
      serial(async () => {
        const kinds = o.kinds?.length ? o.kinds : MIX;
        const txs = Array.from({ length: o.txs ?? 3 }, () => txOf(rng.pick(kinds)));
        const b = await sealNoting(txs, wall());
        refreshPeers();
        return { ...b, txHashes: txs.map((t) => t.hashHex) };
      }),
    async stop() {
      clearInterval(statusTimer);
      events.close();
      await server.stop();
      await chain;
      for (const s of sealers) s.ledger.close();
    },
  };
}

// `npx node test/support/memory-node.ts`: run it and print the URL; a block every 5 s.
if (import.meta.url === `file://${process.argv[1]}`) {
  const n = await startMemoryNode({ edgeNodes: Number(process.env.EDGE_NODES) || undefined });
  console.log(`in-memory edgechain node: ${n.url}`);
  setInterval(() => void n.addBlock({ txs: 1 + Math.floor(Math.random() * 4) }).catch((e) => console.error(e)), 5000);
}
