import { decodeBlock, type DecodedBlock } from '../chain/block.ts';
import { decodeCertificate, verifyCertificate } from '../chain/certificate.ts';
import { genesisSealerSet } from '../chain/genesis.ts';
import type { SealerSet } from '../chain/sealers.ts';
import { BlockCodec, BlockHeaderCodec, ReceiptCodec } from '../codec/chain.ts';
import { StateCounterCodec, StateEdgeNodeCodec, StateLeaseCodec } from '../codec/state.ts';
import type { EdgeMatch, Genesis, Receipt, TxKind } from '../codec/types.ts';
import { sha256 } from '../crypto/hash.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { addrBytes, addrHex } from '../domain/address.ts';
import { makeNode, type NodeRec } from '../domain/edge-nodes.ts';
import { Counter, counterKey, deviceKey, leaseKey, nodeKey } from '../domain/keys.ts';
import { ReceiptStatus } from '../domain/receipts.ts';
import { bruteForceMatch } from '../domain/spatial.ts';
import { leaseCost } from '../domain/leases.ts';
import { parseBytes, parseKeyProof, parseRangeProof } from '../state/proof-json.ts';
import { parseTypeIndexKey, pathOfKey, rangePrefix, verifyKeyProof, verifyRangeProof } from '../state/smt.ts';
import { equalBytes, toHex } from '../util/bytes.ts';

/**
 * `edgechain verify match <tx hash>` (docs/VERIFY.md): re-derives the winner of an EdgeMatch
 * from certified data only. Trusted: the genesis (its chain id and sealer set). Not trusted:
 * the node answering. Checked: the block's commit certificate (a quorum of genesis sealers),
 * the block's txs (tx root) and receipts (receipt root), the parent header (hash chain) and so
 * the parent state root, and every state fact through a proof against that root: the device
 * record, the lease counter and EVERY edge node offering the task type (a range proof of the
 * whole service-type subtree of the authenticated state: no node can be left out). Txs earlier
 * in the same block are applied from their certified bodies and receipts.
 */

/** How the verifier talks to a node: one JSON-RPC call (an error is thrown as an Error with optional `data`). */
export type RpcCall = (method: string, params: unknown[]) => Promise<unknown>;

export interface MatchFacts {
  status: number;
  nodeId: string | null;
  distanceM: number | null;
  price: number | null;
  leaseId: number | null;
  demand: number | null;
  /** Paid leases: price × demand × durationS locked at the match (0 before params.paymentsFromHeight). */
  cost: number | null;
  /** Paid leases: ms of block time at which the lease expires (0: no term). */
  endsAt: number | null;
}

export interface MatchVerdict {
  /** True only if every check passed and the re-derived outcome equals the certified receipt. */
  verified: boolean;
  txHash: string;
  height: number | null;
  index: number | null;
  /** What the certified receipt says (null if the evidence could not be authenticated). */
  claimed: MatchFacts | null;
  /** What the verifier derives from the proven state (null if it could not). */
  expected: MatchFacts | null;
  /** Exactly what disagrees or could not be checked; empty when verified. */
  problems: string[];
  stats: { nodesOfType: number; candidates: number; rpcCalls: number; proofBytes: number; rangeParts: number; expiryUncertain: number };
}

class Refused extends Error {}

const fail = (why: string): never => {
  throw new Refused(why);
};

/** A node of the task type as the verifier tracks it through the block prefix. */
type Cand = NodeRec;

/** What an earlier successful tx of the same block does to the verifier's view (docs/VERIFY.md). Kinds not listed cannot be verified past. */
interface PrefixView {
  nodes: Map<string, Cand>;
  serviceType: string;
  sender: string;
  isDevice: boolean;
  lastLeaseId: number;
  leases: Map<number, { nodeId: string; demand: number }>;
  /** Slots in use on a node at the parent height (proven records read so far; absent: not read or no such node). */
  usedAtParent: Map<string, { used: number; activeLeases: number }>;
  /** A node record at the parent height (proven), for nodes not of the task type. */
  nodeAtParent(id: string): Promise<Cand | null>;
  leaseAtParent(id: number): Promise<{ nodeId: string; demand: number } | null>;
}

type Effect = (v: PrefixView, body: Record<string, unknown>, sender: string, r: Receipt, height: number) => Promise<void> | void;

const offers = (types: readonly string[], t: string) => types.includes(t);

const PREFIX_EFFECTS: Partial<Record<TxKind, Effect>> = {
  transfer: () => {},
  // evidence of equivocation records an offence: no edge node, lease or device changes
  evidence: () => {},
  // governance (docs/GOVERNANCE.md) changes members and account roles, never edge nodes, leases or devices
  propose: () => {},
  vote: () => {},
  registerDevice: (v, _b, sender) => {
    if (sender === v.sender) v.isDevice = true;
  },
  unregisterDevice: (v, _b, sender) => {
    if (sender === v.sender) v.isDevice = false;
  },
  addNode: (v, b, sender, _r, height) => {
    const p = b as { id: string; lat: number; lon: number; capacity: number; serviceTypes: string[]; price: number };
    const n = makeNode({ id: p.id, owner: sender, lat: p.lat, lon: p.lon, capacity: p.capacity, used: 0, serviceTypes: [...p.serviceTypes], price: p.price, online: true, activeLeases: 0, addedAt: height, updatedAt: height });
    v.nodes.set(p.id, n);
  },
  updateNode: async (v, b, _s, _r, height) => {
    const p = b as { id: string; lat: number; lon: number; capacity: number; serviceTypes: string[]; price: number; online: boolean };
    const n = v.nodes.get(p.id) ?? (await v.nodeAtParent(p.id));
    if (!n) return fail(`tx updating "${p.id}" succeeded but the node is not in the proven state`);
    v.nodes.set(p.id, makeNode({ ...n, lat: p.lat, lon: p.lon, capacity: p.capacity, serviceTypes: [...p.serviceTypes], price: p.price, online: p.online, updatedAt: height }, n));
  },
  removeNode: (v, b) => {
    v.nodes.delete((b as { id: string }).id);
  },
  edgeMatch: async (v, _b, _s, r, height) => {
    const m = r.match ?? fail('an earlier successful EdgeMatch in the block has no match in its receipt');
    const n = v.nodes.get(m.nodeId) ?? (await v.nodeAtParent(m.nodeId));
    if (n) v.nodes.set(n.id, { ...n, used: n.used + m.demand, activeLeases: n.activeLeases + 1, updatedAt: height });
    v.leases.set(m.leaseId, { nodeId: m.nodeId, demand: m.demand });
    v.lastLeaseId = m.leaseId;
  },
  releaseLease: async (v, b, _s, _r, height) => {
    const id = (b as { leaseId: number }).leaseId;
    const l = v.leases.get(id) ?? (await v.leaseAtParent(id)) ?? fail(`lease ${id} released earlier in the block is not in the proven state`);
    const n = v.nodes.get(l.nodeId) ?? (await v.nodeAtParent(l.nodeId));
    if (n) v.nodes.set(n.id, { ...n, used: n.used - l.demand, activeLeases: n.activeLeases - 1, updatedAt: height });
  },
  // a renewal moves a lease's end and locks tokens: no edge node, lease node/demand, device or lease id changes
  renewLease: () => {},
  // payment channels move tokens between accounts only
  channelOpen: () => {},
  channelTopUp: () => {},
  channelClaim: () => {},
  channelClose: () => {},
  channelRefund: () => {},
};

function nodeFromRecord(value: Uint8Array, where: string): Cand {
  const d = StateEdgeNodeCodec.decode(value);
  if (!d.ok) return fail(`${where}: the proven node record does not decode (${d.error.message})`);
  const m = d.value;
  return makeNode({ id: m.id, owner: addrHex(m.owner), lat: m.lat, lon: m.lon, capacity: m.capacity, used: m.used, serviceTypes: [...m.serviceTypes], price: m.price, online: m.online, activeLeases: m.activeLeases, addedAt: m.addedAt, updatedAt: m.updatedAt });
}

const factsOf = (r: Receipt): MatchFacts => ({
  status: r.status,
  nodeId: r.match?.nodeId ?? null,
  distanceM: r.match?.distanceM ?? null,
  price: r.match?.price ?? null,
  leaseId: r.match?.leaseId ?? null,
  demand: r.match?.demand ?? null,
  cost: r.match?.cost ?? null,
  endsAt: r.match?.endsAt ?? null,
});

const noMatch = (status: number): MatchFacts => ({ status, nodeId: null, distanceM: null, price: null, leaseId: null, demand: null, cost: null, endsAt: null });

export interface VerifyAnchor {
  chainId: string;
  sealers: SealerSet;
  params: Genesis['params'];
}

export function anchorFromGenesis(g: Genesis): VerifyAnchor {
  return { chainId: g.chainId, sealers: genesisSealerSet(g), params: g.params };
}

/**
 * Verifies the EdgeMatch tx `txHash` against the node behind `call`, trusting only `anchor`.
 * Never throws for anything the node says: a lie or a malformed answer is a problem in the verdict.
 */
export async function verifyMatch(call: RpcCall, anchor: VerifyAnchor, txHash: string): Promise<MatchVerdict> {
  const stats = { nodesOfType: 0, candidates: 0, rpcCalls: 0, proofBytes: 0, rangeParts: 0, expiryUncertain: 0 };
  const verdict: MatchVerdict = { verified: false, txHash, height: null, index: null, claimed: null, expected: null, problems: [], stats };
  const rpc = async (method: string, params: unknown[]): Promise<Record<string, unknown>> => {
    stats.rpcCalls++;
    const r = await call(method, params);
    if (!r || typeof r !== 'object') return fail(`${method} answered ${JSON.stringify(r)}`);
    return r as Record<string, unknown>;
  };
  try {
    const wanted = parseBytes(txHash, 'tx hash', 32);
    // 1. where the node says the tx is (a hint: everything below is checked)
    const hint = await rpc('getTransactionReceipt', [toHex(wanted, true)]);
    const height = hint.blockNumber;
    if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 1) return fail(`the node gives no block for the tx (blockNumber ${JSON.stringify(height)})`);
    verdict.height = height;

    // 2. the certified block: txs (tx root), certificate (quorum of genesis sealers), receipts (receipt root)
    const ev = await rpc('getBlockEvidence', [height]);
    const block = certifiedBlock(ev, height, anchor);
    const receipts = certifiedReceipts(ev, block);
    const index = block.txs.findIndex((t) => equalBytes(t.hash, wanted));
    if (index < 0) return fail(`tx ${toHex(wanted, true)} is not in certified block ${height} (the node's location is wrong)`);
    verdict.index = index;
    const tx = block.txs[index];
    const receipt = receipts[index];
    if (!equalBytes(receipt.txHash, wanted)) return fail(`certified receipt ${index} of block ${height} is for another tx`);
    verdict.claimed = factsOf(receipt);
    if (tx.body.kind !== 'edgeMatch' || !tx.body.edgeMatch) return fail(`tx is a ${tx.body.kind}, not an edgeMatch`);
    const q: EdgeMatch = tx.body.edgeMatch;

    // 3. the parent state root, through the hash chain
    const pev = await rpc('getBlockEvidence', [height - 1]);
    const parentRoot = parentStateRoot(pev, block);
    const parent = height - 1;

    // 4. proven facts at the parent height
    const proveKeyAt = async (key: Uint8Array, at: number, root: Uint8Array): Promise<Uint8Array | null> => {
      const r = await rpc('getProof', [toHex(key, true), at]);
      stats.proofBytes += JSON.stringify(r).length / 2;
      const value = r.value === null ? null : parseBytes(r.value, 'proven value');
      let proof;
      try {
        proof = parseKeyProof(r.proof);
      } catch (e) {
        return fail(`getProof ${toHex(key, true)}: ${(e as Error).message}`);
      }
      const bad = verifyKeyProof(root, key, value, proof, pathOfKey);
      if (bad) return fail(`proof of state key ${toHex(key, true)} at height ${at} refused: ${bad}`);
      return value;
    };
    const proveKey = (key: Uint8Array) => proveKeyAt(key, parent, parentRoot);
    const usedAtParent = new Map<string, { used: number; activeLeases: number }>();
    const sender = tx.sender;
    const candidates = await provenCandidates(rpc, parentRoot, parent, q.taskType, stats);
    for (const n of candidates.values()) usedAtParent.set(n.id, { used: n.used, activeLeases: n.activeLeases });
    const view: PrefixView = {
      nodes: candidates,
      usedAtParent,
      serviceType: q.taskType,
      sender,
      isDevice: (await proveKey(deviceKey(addrBytes(sender)))) !== null,
      lastLeaseId: await (async () => {
        const v = await proveKey(counterKey(Counter.LAST_LEASE_ID));
        if (!v) return 0;
        const d = StateCounterCodec.decode(v);
        return d.ok ? d.value.value : fail('the proven lease counter does not decode');
      })(),
      leases: new Map(),
      nodeAtParent: async (id) => {
        const v = await proveKey(nodeKey(id));
        const n = v ? nodeFromRecord(v, `node "${id}"`) : null;
        if (n) usedAtParent.set(id, { used: n.used, activeLeases: n.activeLeases });
        return n;
      },
      leaseAtParent: async (id) => {
        const v = await proveKey(leaseKey(id));
        if (!v) return null;
        const d = StateLeaseCodec.decode(v);
        return d.ok ? { nodeId: d.value.nodeId, demand: d.value.demand } : fail(`the proven lease ${id} does not decode`);
      },
    };
    stats.nodesOfType = view.nodes.size;

    // 5. the txs before it in the same block, from their certified bodies and receipts
    for (let j = 0; j < index; j++) {
      const r = receipts[j];
      if (r.status !== ReceiptStatus.OK) continue; // a failed tx only consumes its nonce
      const t = block.txs[j];
      const kind = t.body.kind;
      const effect = kind ? PREFIX_EFFECTS[kind] : undefined;
      if (!kind || !effect) return fail(`cannot verify: tx ${j} of the block (a ${kind}) comes before the match and this verifier does not know its effect on edge nodes`);
      await effect(view, (t.body as unknown as Record<string, Record<string, unknown>>)[kind], t.sender, r, height);
    }
    // a node of the type may have been added or changed by an earlier tx: keep only those of the type
    for (const [id, n] of view.nodes) if (!offers(n.serviceTypes, q.taskType)) view.nodes.delete(id);

    // 6. re-derive the outcome (the order of checks of Leases.match)
    const paid = height >= anchor.params.paymentsFromHeight;
    const time = block.header.timestamp;
    let expected: MatchFacts;
    if (!view.isDevice) expected = noMatch(ReceiptStatus.NOT_DEVICE);
    else if (paid && (q.durationS < 1 || q.durationS > anchor.params.maxLeaseDurationS)) expected = noMatch(ReceiptStatus.BAD_DURATION);
    else if (paid && verdict.claimed.status === ReceiptStatus.LEASE_CAP) {
      return fail(`cannot verify: the receipt says LEASE_CAP, which depends on how many active leases the device holds; the state does not commit to that count (docs/VERIFY.md)`);
    } else {
      const hit = bruteForceMatch(view.nodes.values(), q);
      const factsFor = (node: Cand): MatchFacts => {
        const cost = paid ? (leaseCost(node.price, q.demand, q.durationS) ?? fail('the lease cost does not fit below 2^53')) : 0;
        const distanceM = bruteForceMatch([{ ...node, used: 0, capacity: q.demand, online: true }], { ...q, maxPrice: 0 })!.distanceM;
        return { status: ReceiptStatus.OK, nodeId: node.id, distanceM, price: node.price, leaseId: view.lastLeaseId + 1, demand: q.demand, cost, endsAt: paid ? time + q.durationS * 1000 : 0 };
      };
      // 6a. leases that expired at the start of block h freed slots before every tx of the block
      const ex = paid ? expiryCouldDecide(view, q) : null;
      if (ex) {
        stats.expiryUncertain = ex.uncertain.length;
        const c = verdict.claimed;
        const why = `whether a lease on ${ex.uncertain.map((id) => `"${id}"`).join(', ')} (full at height ${parent}) expired at the start of block ${height} decides the winner, and which leases expired is not provable from the state (docs/VERIFY.md, "Lease expiry")`;
        const named = c.status === ReceiptStatus.OK && c.nodeId !== null ? ex.possible.get(c.nodeId) : undefined;
        if (named) {
          expected = factsFor(named);
          if ((Object.keys(expected) as (keyof MatchFacts)[]).every((k) => expected[k] === c[k])) return fail(`cannot verify: ${why}; the receipt (node "${named.id}") is consistent with the proven state if ${named.id === ex.base?.node.id ? 'none of them expired' : `the lease on "${named.id}" did`}`);
        } else if (c.status === ReceiptStatus.NO_CANDIDATE && !ex.base) {
          return fail(`cannot verify: ${why}; the receipt (NO_CANDIDATE) is consistent with the proven state if none expired`);
        } else {
          // no set of expiries gives this receipt: a problem whatever expired
          const names = [...ex.possible.keys()].map((id) => `"${id}"`).join(' or ');
          verdict.problems.push(c.status === ReceiptStatus.OK ? `nodeId: the certified receipt says ${JSON.stringify(c.nodeId)}, which no lease expiry at the start of block ${height} makes the winner (the proven state gives ${names})` : `status: the certified receipt says ${c.status}, the proven state gives an OK match on ${names} whatever expired at the start of block ${height}`);
          expected = hit ? factsFor(hit.node) : noMatch(ReceiptStatus.NO_CANDIDATE);
          verdict.expected = expected;
          return verdict;
        }
      } else if (!hit) expected = noMatch(ReceiptStatus.NO_CANDIDATE);
      else if (paid && verdict.claimed.status === ReceiptStatus.INSUFFICIENT_FUNDS) {
        return fail(`cannot verify: the receipt says INSUFFICIENT_FUNDS (the winner "${hit.node.id}" is proven), which depends on the device's balance after the txs before it in the block; this verifier does not re-derive balances (docs/VERIFY.md)`);
      } else expected = { ...factsFor(hit.node), distanceM: hit.distanceM };
    }
    stats.candidates = [...view.nodes.values()].filter((n) => n.online && n.capacity - n.used >= q.demand && (q.maxPrice === 0 || n.price <= q.maxPrice)).length;
    verdict.expected = expected;
    for (const k of Object.keys(expected) as (keyof MatchFacts)[]) {
      if (expected[k] !== verdict.claimed[k]) verdict.problems.push(`${k}: the certified receipt says ${JSON.stringify(verdict.claimed[k])}, the proven state gives ${JSON.stringify(expected[k])}`);
    }
    verdict.verified = verdict.problems.length === 0;
    return verdict;
  } catch (e) {
    verdict.problems.push(e instanceof Refused ? e.message : `the node's answers could not be used: ${(e as Error).message}`);
    return verdict;
  }
}

/**
 * Leases expire at the start of a block, before its first tx (Leases.expireDue), and free
 * slots on their nodes. Which leases expired is not provable from the parent state: the expiry
 * queue is derived in memory, and the state has no index of leases by node or end time. But
 * expiry only ever frees slots, so it can change the outcome only through a node of the type
 * that is too full without it. Given the view without expiry, returns null when no set of
 * expiries can change the winner (the winner with every such node's parent-height slots freed
 * is the same: eligibility only grows with freed slots, and that winner beats every node of
 * the larger set); otherwise the nodes that could win: the winner without expiry (or none)
 * and each too-full node that beats it (docs/VERIFY.md, "Lease expiry").
 */
function expiryCouldDecide(view: PrefixView, q: EdgeMatch): { base: MatchHitOf | null; possible: Map<string, Cand>; uncertain: string[] } | null {
  const maxFreed = (n: Cand) => Math.min(n.used, view.usedAtParent.get(n.id)?.used ?? 0);
  const uncertain = [...view.nodes.values()].filter((n) => n.capacity - n.used < q.demand && maxFreed(n) > 0 && n.capacity - (n.used - maxFreed(n)) >= q.demand);
  if (uncertain.length === 0) return null;
  const base = bruteForceMatch(view.nodes.values(), q);
  const widest = new Map(view.nodes);
  for (const n of uncertain) widest.set(n.id, { ...n, used: n.used - maxFreed(n) });
  const wide = bruteForceMatch(widest.values(), q);
  if ((base?.node.id ?? null) === (wide?.node.id ?? null)) return null;
  const possible = new Map<string, Cand>();
  if (base) possible.set(base.node.id, base.node);
  for (const u of uncertain) {
    // u wins if it is freed and beats the winner without expiry
    const alone = bruteForceMatch([...(base ? [base.node] : []), { ...u, used: u.used - maxFreed(u) }], q);
    if (alone?.node.id === u.id) possible.set(u.id, u);
  }
  return { base, possible, uncertain: uncertain.map((n) => n.id) };
}

type MatchHitOf = NonNullable<ReturnType<typeof bruteForceMatch<Cand>>>;

function hexField(o: Record<string, unknown>, name: string): Uint8Array {
  return parseBytes(o[name], name);
}

function certifiedBlock(ev: Record<string, unknown>, height: number, anchor: VerifyAnchor): DecodedBlock {
  const b = decodeBlock(hexField(ev, 'block'), { chainId: anchor.chainId, params: { maxBlockTxs: anchor.params.maxBlockTxs, maxBlockBytes: Number.MAX_SAFE_INTEGER, maxTxBytes: Number.MAX_SAFE_INTEGER } });
  if (!b.ok) return fail(`block ${height}: ${b.error.message}`);
  if (b.value.header.height !== height) return fail(`the node sent block ${b.value.header.height} for height ${height}`);
  const c = decodeCertificate(hexField(ev, 'certificate'));
  if (!c.ok) return fail(`block ${height}: certificate: ${c.error.message}`);
  const v = verifyCertificate(c.value, { chainId: anchor.chainId, height, blockHash: b.value.hash }, anchor.sealers);
  if (!v.ok) return fail(`block ${height} is not certified by the genesis sealers: ${v.error.message}`);
  return b.value;
}

function certifiedReceipts(ev: Record<string, unknown>, block: DecodedBlock): Receipt[] {
  const list = ev.receipts;
  if (!Array.isArray(list) || list.length !== block.txs.length) return fail(`block ${block.header.height}: ${Array.isArray(list) ? list.length : 'no'} receipts for ${block.txs.length} txs`);
  const bytes = list.map((r, i) => parseBytes(r, `receipt ${i}`));
  if (!equalBytes(merkleRoot(bytes.map((b) => sha256(b))), block.header.receiptRoot)) return fail(`block ${block.header.height}: the receipts do not match the certified receipt root`);
  return bytes.map((b, i) => {
    const d = ReceiptCodec.decode(b);
    return d.ok ? d.value : fail(`receipt ${i} does not decode: ${d.error.message}`);
  });
}

function parentStateRoot(pev: Record<string, unknown>, block: DecodedBlock): Uint8Array {
  const b = BlockCodec.decode(hexField(pev, 'block'));
  if (!b.ok) return fail(`parent block: ${b.error.message}`);
  if (!equalBytes(sha256(b.value.header), block.header.parentHash)) return fail(`the parent block the node sent is not the parent of certified block ${block.header.height}`);
  const h = BlockHeaderCodec.decode(b.value.header);
  if (!h.ok) return fail(`parent header: ${h.error.message}`);
  return h.value.stateRoot;
}

/** Every node offering `serviceType` at `height`, from range proofs of the whole type subtree (in parts if the node asks). */
async function provenCandidates(
  rpc: (m: string, p: unknown[]) => Promise<Record<string, unknown>>,
  root: Uint8Array,
  height: number,
  serviceType: string,
  stats: MatchVerdict['stats'],
): Promise<Map<string, Cand>> {
  let parts = 1;
  for (;;) {
    const nodes = new Map<string, Cand>();
    let retry = 0;
    for (let part = 0; part < parts && !retry; part++) {
      let r: Record<string, unknown>;
      try {
        r = await rpc('getServiceTypeProof', [serviceType, height, { part, parts }]);
      } catch (e) {
        const more = (e as { data?: { parts?: unknown } }).data?.parts;
        if (typeof more === 'number' && Number.isInteger(more) && more > parts && more <= 65536) {
          retry = more;
          break;
        }
        throw e;
      }
      stats.proofBytes += JSON.stringify(r).length / 2;
      let proof;
      try {
        proof = parseRangeProof(r);
      } catch (e) {
        return fail(`getServiceTypeProof "${serviceType}" part ${part}/${parts}: ${(e as Error).message}`);
      }
      const { prefix, bits } = rangePrefix(serviceType, part, parts);
      const v = verifyRangeProof(root, prefix, bits, proof, pathOfKey);
      if (!v.ok) return fail(`range proof of the nodes offering "${serviceType}" (part ${part}/${parts}) refused: ${v.reason}`);
      for (const l of v.leaves) {
        const k = parseTypeIndexKey(l.key);
        if (!k || k.serviceType !== serviceType) continue; // another type sharing the 96-bit prefix
        const n = nodeFromRecord(l.value, `index entry of "${k.nodeId}"`);
        if (n.id !== k.nodeId || !offers(n.serviceTypes, serviceType)) return fail(`the proven index entry of "${k.nodeId}" holds another node's record`);
        nodes.set(n.id, n);
      }
    }
    if (retry) {
      parts = retry;
      continue;
    }
    stats.rangeParts = parts;
    return nodes;
  }
}
