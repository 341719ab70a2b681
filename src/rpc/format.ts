import { ReceiptCodec, CommitCertificateCodec, type Receipt } from '../codec/index.ts';
import { decodeTx, type SignedTx } from '../chain/tx.ts';
import type { SealerSet } from '../chain/sealers.ts';
import { addressOf } from '../crypto/keys.ts';
import { toHex } from '../util/bytes.ts';
import { payloadJson } from '../kinds/registry.ts';
import type { StoredBlock } from '../storage/chain-store.ts';
import { receiptStatusName } from '../domain/receipts.ts';
import type { EdgeNodeView } from '../state/world.ts';

/** JSON shapes of docs/RPC.md, built from stored bytes. */

const hex = (b: Uint8Array) => toHex(b, true);
const deg = (e6: number) => e6 / 1e6;

/** The JSON form of a tx payload: its kind module's (src/kinds/). */
export { payloadJson };

export interface TxPlace {
  blockNumber: number | null;
  blockHash: string | null;
  index: number | null;
  timestamp: number | null;
}

export function txJson(stx: SignedTx, place: TxPlace): Record<string, unknown> {
  return {
    hash: stx.hashHex,
    ...place,
    from: stx.sender,
    nonce: stx.body.nonce,
    kind: stx.body.kind,
    payload: payloadJson(stx.body),
    size: stx.bytes.length,
  };
}

/** Decodes stored tx bytes (trusted: they were validated before they were finalized). */
export function storedTx(bytes: Uint8Array, chainId: string): SignedTx {
  const r = decodeTx(bytes, { chainId, maxTxBytes: Number.MAX_SAFE_INTEGER });
  if (!r.ok) throw r.error;
  return r.value;
}

export function receiptJson(receiptBytes: Uint8Array, stx: SignedTx, blockHash: string | null): Record<string, unknown> {
  const r = ReceiptCodec.decode(receiptBytes, Number.MAX_SAFE_INTEGER);
  if (!r.ok) throw r.error;
  const rc: Receipt = r.value;
  return {
    transactionHash: hex(rc.txHash),
    blockNumber: rc.height,
    blockHash,
    index: rc.index,
    from: hex(rc.sender),
    kind: stx.body.kind,
    status: rc.status,
    statusText: receiptStatusName(rc.status),
    reason: rc.reason,
    match: rc.match
      ? { nodeId: rc.match.nodeId, distanceM: rc.match.distanceM, price: rc.match.price, leaseId: rc.match.leaseId, demand: rc.match.demand, cost: rc.match.cost ?? 0, endsAt: rc.match.endsAt ?? 0 }
      : null,
    // paid leases and channels (docs/PAYMENTS.md): release/renewal settlement, channel effect;
    // every field spelled out (a zero is absent from the decoded message, never from the JSON)
    lease: rc.lease ? { leaseId: rc.lease.leaseId ?? 0, cost: rc.lease.cost ?? 0, paid: rc.lease.paid ?? 0, refund: rc.lease.refund ?? 0, endsAt: rc.lease.endsAt ?? 0 } : null,
    channel: rc.channel
      ? { channelId: rc.channel.channelId ?? 0, paid: rc.channel.paid ?? 0, refunded: rc.channel.refunded ?? 0, claimed: rc.channel.claimed ?? 0, deposit: rc.channel.deposit ?? 0 }
      : null,
    ...(rc.channel ? { channelId: rc.channel.channelId } : {}),
    // governance (docs/GOVERNANCE.md): the proposal a propose or vote made or moved
    proposal: rc.proposal
      ? { proposalId: rc.proposal.proposalId ?? 0, status: PROPOSAL_STATUS[rc.proposal.status ?? 0] ?? 'unknown', approvals: rc.proposal.approvals ?? 0, needed: rc.proposal.needed ?? 0, effectiveAt: rc.proposal.effectiveAt ?? 0 }
      : null,
    ...(rc.proposal ? { proposalId: rc.proposal.proposalId } : {}),
  };
}

const PROPOSAL_STATUS: Record<number, string> = { 1: 'open', 2: 'passed', 3: 'rejected' };

export function certificateJson(b: StoredBlock, sealers: SealerSet) {
  if (b.certificate.length === 0) return { certificate: null, signers: [] };
  const c = CommitCertificateCodec.decode(b.certificate, Number.MAX_SAFE_INTEGER);
  if (!c.ok) return { certificate: null, signers: [] };
  const name = (i: number) => sealers.sealers[i]?.name ?? `sealer-${i}`;
  return {
    certificate: { view: c.value.view, seals: c.value.seals.map((s) => ({ sealer: s.sealer, name: name(s.sealer), signature: hex(s.signature) })) },
    signers: c.value.seals.map((s) => ({ index: s.sealer, name: name(s.sealer) })),
  };
}

export function proposerName(proposer: Uint8Array, sealers: SealerSet): string | null {
  const i = sealers.indexOfAddress(hex(proposer));
  return i >= 0 ? sealers.sealers[i].name : null;
}

export function blockSummaryJson(b: StoredBlock, sealers: SealerSet) {
  return {
    number: b.height,
    hash: hex(b.hash),
    timestamp: b.header.timestamp,
    proposer: hex(b.header.proposer),
    proposerName: proposerName(b.header.proposer, sealers),
    view: b.header.view,
    txCount: b.header.txCount,
  };
}

export function blockJson(b: StoredBlock, sealers: SealerSet, chainId: string, includeTxs: boolean) {
  const h = b.header;
  const blockHash = hex(b.hash);
  return {
    ...blockSummaryJson(b, sealers),
    parentHash: hex(h.parentHash),
    txRoot: hex(h.txRoot),
    stateRoot: hex(h.stateRoot),
    receiptRoot: hex(h.receiptRoot),
    size: b.block.length,
    ...certificateJson(b, sealers),
    transactions: b.txs.map((t, i) => {
      const stx = storedTx(t, chainId);
      return includeTxs ? txJson(stx, { blockNumber: b.height, blockHash, index: i, timestamp: h.timestamp }) : stx.hashHex;
    }),
  };
}

export function edgeNodeJson(n: EdgeNodeView, ownerName: (addr: string) => string | null) {
  return {
    id: n.id,
    owner: n.owner,
    ownerName: ownerName(n.owner),
    lat: deg(n.lat),
    lon: deg(n.lon),
    latE6: n.lat,
    lonE6: n.lon,
    capacity: n.capacity,
    used: n.used,
    free: n.free,
    serviceTypes: n.serviceTypes,
    price: n.price,
    online: n.online,
    activeLeases: n.activeLeases,
  };
}

export { addressOf };
