import { fromHex, toHex } from '../util/bytes.ts';
import type { EdgeError, Result } from '../util/errors.ts';
import { parseAddress } from '../crypto/keys.ts';
import { peerIdFromPublicKey } from '../p2p/identity.ts';
import type { SealerSet } from '../chain/sealers.ts';
import { TX_KINDS } from '../codec/types.ts';
import type { ChainStore, StoredBlock } from '../storage/chain-store.ts';
import { ReceiptCodec } from '../codec/chain.ts';
import type { WorldState } from '../state/world.ts';
import type { TxPool } from '../txpool/pool.ts';
import { RpcCode, RpcError, invalidParams } from './errors.ts';
import { receiptStatusName } from '../domain/receipts.ts';
import { approvalsNeeded, quorumOf } from '../domain/governance.ts';
import type { RpcHandler, RpcParams } from './server.ts';
import { blockJson, blockSummaryJson, edgeNodeJson, receiptJson, storedTx, txJson } from './format.ts';
import type { RecentMatches, TxStats } from './indexers.ts';
import { proofCost, proofMethods } from './proofs.ts';

/** What the RPC methods read from the running node (wired in node/). */
export interface RpcContext {
  chainId: string;
  genesisHash: string;
  nodeName: string;
  role: 'sealer' | 'observer';
  version: string;
  store: ChainStore;
  state: WorldState;
  pool: TxPool;
  sealers(): SealerSet;
  /** The sealer set of a height (certificate signer and proposer names); default: sealers(). */
  sealersAt?(height: number): SealerSet;
  observers(): Record<string, unknown>[];
  consensusStatus(): Record<string, unknown>;
  syncStatus(): Record<string, unknown>;
  peers(): Record<string, unknown>[];
  /** Admits a raw tx to the pool and gossips it. */
  submitTx(bytes: Uint8Array): Result<{ hash: string }, EdgeError>;
  /** Display name of a genesis account or sealer address, if any. */
  accountName(address: string): string | null;
  txStats: TxStats;
  matches: RecentMatches;
  now(): number;
}

// ---------------------------------------------------------------- param helpers

function uint(p: RpcParams, i: number, name: string, def?: number): number {
  const v = p[i] ?? def;
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return uint([Number(v)], 0, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidParams(`${name} must be a non-negative integer`);
  return v;
}

function hash32(p: RpcParams, i: number, name: string): Uint8Array {
  const v = p[i];
  const b = typeof v === 'string' ? fromHex(v) : null;
  if (!b || b.length !== 32) throw invalidParams(`${name} must be a 32-byte hex hash`);
  return b;
}

function address(p: RpcParams, i: number): string {
  const v = p[i];
  const a = typeof v === 'string' ? parseAddress(v) : null;
  if (!a) throw invalidParams('address must be 0x + 40 hex characters');
  return a;
}

function str(p: RpcParams, i: number, name: string, maxLen = 256): string {
  const v = p[i];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLen) throw invalidParams(`${name} must be a non-empty string of at most ${maxLen} characters`);
  return v;
}

function obj(p: RpcParams, i: number): Record<string, unknown> {
  const v = p[i];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParams('params must be [ {…} ]');
  return v as Record<string, unknown>;
}

function optUint(o: Record<string, unknown>, key: string, def: number, max: number): number {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidParams(`${key} must be a non-negative integer`);
  return Math.min(v, max);
}

function bool(p: RpcParams, i: number, def: boolean): boolean {
  const v = p[i];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw invalidParams('includeTxs must be a boolean');
  return v;
}

function statusOf(receiptBytes: Uint8Array): number | null {
  const r = ReceiptCodec.decode(receiptBytes, Number.MAX_SAFE_INTEGER);
  return r.ok ? r.value.status : null;
}

const PROPOSAL_STATUSES = ['open', 'passed', 'rejected', 'expired'] as const;

// ---------------------------------------------------------------- methods

export function rpcMethods(ctx: RpcContext): Record<string, RpcHandler> {
  const head = () => ctx.store.head()?.height ?? 0;
  const peerIds = new Map<string, string>();
  /** A sealer's libp2p peer id (derived from its public key), as getPeers names peers. */
  const peerIdOf = (pk: Uint8Array) => {
    const k = toHex(pk);
    let id = peerIds.get(k);
    if (id === undefined) peerIds.set(k, (id = peerIdFromPublicKey(pk)));
    return id;
  };
  const setAt = (h: number): SealerSet => (ctx.sealersAt ? ctx.sealersAt(h) : ctx.sealers());

  /**
   * The height a membership question is about (default: the next block's, head + 1). A change
   * passed in block H is in effect from H + 2 at the earliest (docs/GOVERNANCE.md), so the
   * members of every height up to head + 2 are decided; later ones are not yet.
   */
  const membershipHeight = (p: RpcParams, i: number): number => {
    const top = ctx.state.height + 2;
    const v = p[i];
    if (v === undefined || v === null) return ctx.state.height + 1;
    const h = uint(p, i, 'height');
    if (h > top) throw invalidParams(`the members of height ${h} are not decided yet (head ${ctx.state.height}: heights up to ${top} are)`);
    return h;
  };

  const txByHash = async (h: Uint8Array) => {
    const hashHex = toHex(h, true);
    const pending = ctx.pool.get(hashHex);
    if (pending) return { stx: pending, place: { blockNumber: null, blockHash: null, index: null, timestamp: null } };
    const stored = await ctx.store.getTxBlock(h);
    if (!stored) return null;
    const { block, index } = stored;
    const stx = storedTx(block.txs[index], ctx.chainId);
    return { stx, place: { blockNumber: block.height, blockHash: toHex(block.hash, true), index, timestamp: block.header.timestamp } };
  };

  const receiptOf = async (h: Uint8Array) => {
    const bytes = await ctx.store.getReceipt(h);
    if (!bytes) return null;
    const stored = await ctx.store.getTxBlock(h);
    if (!stored) return null;
    return receiptJson(bytes, storedTx(stored.block.txs[stored.index], ctx.chainId), toHex(stored.block.hash, true));
  };

  /** Block JSON; with full txs, each carries its receipt status. */
  const withStatuses = async (b: StoredBlock | undefined, includeTxs: boolean) => {
    if (!b) return null;
    const j = blockJson(b, setAt(b.height), ctx.chainId, includeTxs);
    if (includeTxs) {
      for (const t of j.transactions as Record<string, unknown>[]) {
        const rb = await ctx.store.getReceipt(fromHex(t.hash as string)!);
        t.status = rb ? statusOf(rb) : null;
      }
    }
    return j;
  };

  const nodeJson = (id: string) => {
    const n = ctx.state.edgeNode(id);
    return n ? edgeNodeJson(n, ctx.accountName) : null;
  };

  return {
    getChainInfo: () => ({
      chainId: ctx.chainId,
      genesisHash: ctx.genesisHash,
      nodeName: ctx.nodeName,
      role: ctx.role,
      sealerCount: setAt(ctx.state.height + 1).n,
      observerCount: ctx.observers().length,
      version: ctx.version,
    }),
    getBlockNumber: () => head(),
    getPbftView: () => (ctx.consensusStatus().view as number) ?? 0,
    getSealerList: (p) => {
      const height = membershipHeight(p, 0);
      const m = ctx.state.membershipAt(height);
      if (!m) return ctx.sealers().sealers.map((s, index) => ({ index, name: s.name, role: s.role, publicKey: toHex(s.publicKey), address: s.address, operator: null, fromHeight: 0, peerId: peerIdOf(s.publicKey) }));
      return m.sealers.map((s, index) => ({ index, name: s.name, role: s.role, publicKey: s.publicKey, address: s.address, operator: s.operator || null, fromHeight: m.fromHeight, peerId: peerIdOf(fromHex(s.publicKey)!) }));
    },
    getConsortium: (p) => {
      const height = membershipHeight(p, 0);
      const m = ctx.state.membershipAt(height);
      const history = ctx.state.membershipHistory().map((e) => ({
        fromHeight: e.fromHeight,
        proposal: e.proposal,
        n: e.sealers.length,
        quorum: quorumOf(e.sealers.length),
        sealers: e.sealers.map((s) => ({ name: s.name, publicKey: s.publicKey })),
        companies: e.companies.length,
        observers: e.observers.length,
      }));
      if (!m) return { height, fromHeight: 0, proxy: null, companies: [], sealers: [], observers: [], approvalsNeeded: 0, history };
      return {
        height,
        fromHeight: m.fromHeight,
        proxy: m.proxy || null,
        companies: m.companies.map((c) => ({ address: c.address, name: c.name })),
        sealers: m.sealers.map((s, index) => ({ index, name: s.name, role: s.role, publicKey: s.publicKey, address: s.address, operator: s.operator || null, lastProposed: ctx.state.lastProposed(s.address) })),
        observers: m.observers.map((o) => ({ name: o.name, publicKey: o.publicKey })),
        approvalsNeeded: approvalsNeeded(m.companies.length),
        history,
      };
    },
    getProposals: (p) => {
      const o = obj(p, 0);
      const status = o.status;
      if (status !== undefined && status !== null && !(PROPOSAL_STATUSES as readonly unknown[]).includes(status)) throw invalidParams(`status must be one of ${PROPOSAL_STATUSES.join(', ')}`);
      const limit = Math.max(1, optUint(o, 'limit', 20, 100));
      const offset = optUint(o, 'offset', 0, Number.MAX_SAFE_INTEGER);
      return ctx.state.proposals({ status: (status as string | undefined) ?? undefined, offset, limit });
    },
    getProposal: (p) => {
      const v = p[0];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalidParams('proposal id must be an integer >= 1');
      return ctx.state.proposal(v);
    },
    getObserverList: () => ctx.observers(),
    getConsensusStatus: () => ctx.consensusStatus(),
    getSyncStatus: () => ctx.syncStatus(),
    getPeers: () => ctx.peers(),

    getBlockByNumber: async (p) => {
      const n = uint(p, 0, 'block number');
      return withStatuses(await ctx.store.getBlockByHeight(n), bool(p, 1, false));
    },
    getBlockByHash: async (p) => withStatuses(await ctx.store.getBlockByHash(hash32(p, 0, 'block hash')), bool(p, 1, false)),
    getBlockList: async (p) => {
      const o = obj(p, 0);
      const limit = Math.max(1, optUint(o, 'limit', 20, 100));
      const before = Math.min(optUint(o, 'before', head() + 1, Number.MAX_SAFE_INTEGER), head() + 1);
      const blocks = [];
      for (let h = before - 1; h >= 0 && blocks.length < limit; h--) {
        const b = await ctx.store.getBlockByHeight(h);
        if (b) blocks.push(blockSummaryJson(b, setAt(b.height)));
      }
      const last = blocks.at(-1)?.number ?? 0;
      return { blocks, next: last > 0 && blocks.length === limit ? last : null };
    },

    sendRawTransaction: (p) => {
      const v = p[0];
      const bytes = typeof v === 'string' ? fromHex(v) : null;
      if (!bytes || bytes.length === 0) throw invalidParams('expected the hex of a signed transaction');
      const r = ctx.submitTx(bytes);
      if (!r.ok && r.error.code === 'NODE_BUSY') throw new RpcError(RpcCode.UNAVAILABLE, r.error.message, { code: r.error.code, ...r.error.data });
      if (!r.ok) throw new RpcError(RpcCode.TX_REJECTED, r.error.message.replace(/^[A-Z_]+: /, ''), { code: r.error.code });
      return r.value.hash;
    },
    getTransactionByHash: async (p) => {
      const t = await txByHash(hash32(p, 0, 'tx hash'));
      return t ? txJson(t.stx, t.place) : null;
    },
    getTransactionReceipt: async (p) => receiptOf(hash32(p, 0, 'tx hash')),
    getTransactionList: async (p) => {
      const o = obj(p, 0);
      const limit = Math.max(1, optUint(o, 'limit', 20, 100));
      const kind = o.kind;
      let from: string | null = null;
      if (o.from !== undefined && o.from !== null) {
        from = typeof o.from === 'string' ? parseAddress(o.from) : null;
        if (!from) throw invalidParams('from must be an address');
      }
      if (kind !== undefined && kind !== null && !(TX_KINDS as readonly string[]).includes(kind as string)) throw invalidParams(`kind must be one of ${TX_KINDS.join(', ')}`);
      const before = Math.min(optUint(o, 'beforeBlock', head() + 1, Number.MAX_SAFE_INTEGER), head() + 1);
      const out: Record<string, unknown>[] = [];
      const withStatus = async (stx: ReturnType<typeof storedTx>, place: { blockNumber: number; blockHash: string; index: number; timestamp: number }) => {
        const rb = await ctx.store.getReceipt(stx.hash);
        out.push({ ...txJson(stx, place), status: rb ? statusOf(rb) : null });
      };
      if (from) {
        // the per-sender index: one small entry per tx of this sender, never a block scan
        const fromBytes = fromHex(from)!;
        let cursor = before;
        for (let round = 0; round < 10; round++) {
          const page = await ctx.store.getTxsBySender(fromBytes, { beforeHeight: cursor, limit: limit * 2 });
          if (page.length === 0) return { transactions: out, nextBeforeBlock: null };
          for (const e of page) {
            // a page ends at a whole block: stop at the first block past the limit
            if (out.length >= limit && e.height !== cursor) return { transactions: out, nextBeforeBlock: cursor };
            cursor = e.height;
            const stx = storedTx(e.bytes, ctx.chainId);
            if (kind && stx.body.kind !== kind) continue;
            await withStatus(stx, { blockNumber: e.height, blockHash: toHex(e.blockHash, true), index: e.index, timestamp: e.timestamp });
          }
          if (out.length >= limit) break;
        }
        // the next page starts below the last block read (its txs were all returned)
        return { transactions: out, nextBeforeBlock: cursor > 1 ? cursor : null };
      }
      // no sender: the newest blocks, at most 100 per call (docs/RPC.md), each returned whole
      let h = before - 1;
      let scanned = 0;
      for (; h >= 1 && out.length < limit && scanned < 100; h--, scanned++) {
        const b = await ctx.store.getBlockByHeight(h);
        if (!b) continue;
        const blockHash = toHex(b.hash, true);
        for (let i = b.txs.length - 1; i >= 0; i--) {
          const stx = storedTx(b.txs[i], ctx.chainId);
          if (kind && stx.body.kind !== kind) continue;
          await withStatus(stx, { blockNumber: b.height, blockHash, index: i, timestamp: b.header.timestamp });
        }
      }
      return { transactions: out, nextBeforeBlock: h >= 1 ? h + 1 : null };
    },
    getPendingTxSize: () => ctx.pool.size,
    getPendingTransactions: (p) => {
      const limit = Math.min(uint(p, 0, 'limit', 100), 1000);
      return ctx.pool.pending(limit).map((stx) => txJson(stx, { blockNumber: null, blockHash: null, index: null, timestamp: null }));
    },
    getTotalTransactionCount: () => {
      const c = ctx.store.counters();
      return { blockNumber: head(), txSum: c.totalTxs, failedTxSum: c.failedTxs };
    },
    getTxStats: (p) => {
      const days = Math.max(1, optUint(obj(p, 0), 'days', 15, 60));
      return { days: ctx.txStats.days(days, ctx.now()) };
    },

    getAccount: (p) => {
      const a = address(p, 0);
      const acc = ctx.state.account(a);
      const dev = ctx.state.device(a);
      return {
        address: a,
        name: ctx.accountName(a),
        role: acc.role,
        nonce: acc.nonce,
        pendingNonce: Math.max(acc.nonce, ctx.pool.nextNonce(a)),
        balance: acc.balance,
        device: dev ? { info: dev.info, registeredAt: dev.registeredAt } : null,
      };
    },
    getEdgeNodes: (p) => {
      const o = obj(p, 0);
      let owner: string | undefined;
      if (o.owner !== undefined && o.owner !== null) {
        owner = typeof o.owner === 'string' ? (parseAddress(o.owner) ?? undefined) : undefined;
        if (!owner) throw invalidParams('owner must be an address');
      }
      const page = ctx.state.edgeNodes({ offset: optUint(o, 'offset', 0, Number.MAX_SAFE_INTEGER), limit: Math.max(1, optUint(o, 'limit', 100, 1000)), owner });
      return { total: page.total, nodes: page.nodes.map((n) => edgeNodeJson(n, ctx.accountName)) };
    },
    getEdgeNode: (p) => nodeJson(str(p, 0, 'edge node id', 64)),
    getLease: (p) => ctx.state.archivedLease(uint(p, 0, 'lease id'), (key) => ctx.store.getRetired(key)),
    // payment channels (docs/PAYMENTS.md)
    getChannel: (p) => ctx.state.channel(uint(p, 0, 'channel id')),
    getChannels: (p) => {
      const o = obj(p, 0);
      let addr: string | undefined;
      if (o.address !== undefined && o.address !== null) {
        addr = typeof o.address === 'string' ? (parseAddress(o.address) ?? undefined) : undefined;
        if (!addr) throw invalidParams('address must be an address');
      }
      const status = o.status;
      if (status !== undefined && status !== null && status !== 'open' && status !== 'closing' && status !== 'closed') throw invalidParams('status must be "open", "closing" or "closed"');
      return ctx.state.channels({
        address: addr,
        status: (status ?? undefined) as 'open' | 'closing' | 'closed' | undefined,
        offset: optUint(o, 'offset', 0, Number.MAX_SAFE_INTEGER),
        limit: Math.max(1, optUint(o, 'limit', 100, 1000)),
      });
    },
    verifyVoucher: (p) => {
      const v = p[0];
      const b = typeof v === 'string' ? fromHex(v) : null;
      if (!b || b.length === 0) throw invalidParams('voucher must be a hex string (and not empty)');
      const r = ctx.state.verifyVoucher(b);
      return { ...r, statusText: receiptStatusName(r.status), height: ctx.state.height };
    },
    // evidence of equivocation (docs/CONSENSUS.md "Evidence on chain"), ascending id
    getEvidence: (p) => {
      const o = obj(p, 0);
      let sealer: string | undefined;
      if (o.sealer !== undefined && o.sealer !== null) {
        sealer = typeof o.sealer === 'string' ? (parseAddress(o.sealer) ?? undefined) : undefined;
        if (!sealer) throw invalidParams('sealer must be an address');
      }
      const offset = optUint(o, 'offset', 0, Number.MAX_SAFE_INTEGER);
      const limit = Math.max(1, optUint(o, 'limit', 100, 1000));
      const all = ctx.state.evidence(sealer);
      return { total: all.length, height: ctx.state.height, evidence: all.slice(offset, offset + limit).map((e) => ({ ...e, sealerName: ctx.accountName(e.sealer) })) };
    },
    getRecentMatches: (p) => ctx.matches.recent(Math.max(1, optUint(obj(p, 0), 'limit', 100, 500))),

    search: async (p) => {
      const q = str(p, 0, 'query').trim();
      if (/^\d+$/.test(q)) return Number(q) <= head() ? { type: 'block', id: Number(q) } : null;
      const b = fromHex(q);
      if (b && b.length === 32) {
        if (await ctx.store.getBlockByHash(b)) return { type: 'block', id: toHex(b, true) };
        if ((await ctx.store.getTx(b)) || ctx.pool.has(toHex(b, true))) return { type: 'transaction', id: toHex(b, true) };
        return null;
      }
      const a = parseAddress(q);
      if (a && b && b.length === 20) return { type: 'account', id: a };
      if (ctx.state.edgeNode(q)) return { type: 'edgeNode', id: q };
      return null;
    },

    ...proofMethods(ctx),
  };
}

/**
 * Cost units of one call, for the per-request budget and the per-client rate limit
 * (RpcServerOptions.maxRequestCost, rateLimit): 1 for a lookup, more for what reads and
 * returns many blocks or txs. docs/RPC.md lists them.
 */
export function rpcCost(method: string, params: RpcParams): number {
  const proof = proofCost(method);
  if (proof !== null) return proof;
  switch (method) {
    case 'getBlockByNumber':
    case 'getBlockByHash':
      return params[1] === true ? 20 : 1;
    case 'getTransactionList':
    case 'getBlockList':
      return 10;
    case 'getPendingTransactions':
    case 'getEdgeNodes':
    case 'getEvidence':
    case 'getRecentMatches':
    case 'getProposals':
    case 'getConsortium':
      return 5;
    default:
      return 1;
  }
}
