import { z } from 'zod';

/**
 * The JSON-RPC API, one definition per method (docs/RPC.md, docs/SDK.md): a summary, its
 * params (a zod tuple) and its result (a zod schema). The SDK's `Client` takes its types from
 * here (`RpcParams<M>`, `RpcResult<M>`) and checks every answer's shape against it; the test
 * test/sdk/api.test.ts checks the list against the server's methods and every schema against
 * a live node's answers. Objects are loose: a node may add fields, never drop one listed.
 */

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const hash = hex.length(66);
const address = hex.length(42);
const uint = z.number().int().nonnegative();
const opt = <T extends z.ZodType>(t: T) => t.optional();
const loose = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);

const block = loose({
  number: uint,
  hash,
  parentHash: hash,
  timestamp: uint,
  proposer: hex,
  view: uint,
  txRoot: hash,
  stateRoot: hash,
  receiptRoot: hash,
  txCount: uint,
  transactions: z.array(z.unknown()),
});
const blockSummary = loose({ number: uint, hash, timestamp: uint, txCount: uint });
const transaction = loose({ hash, blockNumber: uint.nullable(), from: address, nonce: uint, kind: z.string(), payload: z.record(z.string(), z.unknown()) });
const match = loose({ nodeId: z.string(), distanceM: uint, price: uint, leaseId: uint, demand: uint });
const receipt = loose({
  transactionHash: hash, blockNumber: uint, index: uint, from: address, kind: z.string(), status: uint, statusText: z.string(), reason: z.string(), match: match.nullable(),
  // paid leases and channels (docs/PAYMENTS.md): a release's or renewal's settlement, a channel tx's effect
  lease: z.record(z.string(), z.unknown()).nullable(),
  channel: z.record(z.string(), z.unknown()).nullable(),
  proposal: z.record(z.string(), z.unknown()).nullable(),
});
const edgeNode = loose({ id: z.string(), owner: address, lat: z.number(), lon: z.number(), capacity: uint, used: uint, free: uint, serviceTypes: z.array(z.string()), price: uint, online: z.boolean(), activeLeases: uint });
const lease = loose({ id: uint, device: address, nodeId: z.string(), demand: uint, price: uint, distanceM: uint, status: z.enum(['active', 'released', 'terminated', 'expired']), createdAt: uint, startTime: uint, endTime: uint, durationS: uint, cost: uint, paid: uint, refund: uint });
const channel = loose({ id: uint, payer: address, payee: address, deposit: uint, claimed: uint, remaining: uint, expiresAt: uint, status: z.enum(['open', 'closing', 'closed']), settleAt: uint });
const evidence = loose({
  id: uint, sealer: address, sealerName: z.string().nullable(), sealerKey: hex, sealerIndex: uint, kind: z.enum(['prePrepare', 'prepare', 'commit']), height: uint, view: uint,
  blockHashes: z.tuple([hash, hash]), first: hex, second: hex, reporter: address, recordedAt: uint,
});
const proposal = loose({ id: uint, action: z.string(), name: z.string(), proposer: address, createdAt: uint, expiresAt: uint, approvals: z.array(address), rejections: z.array(address), status: z.enum(['open', 'passed', 'rejected', 'expired']), decidedAt: uint, effectiveAt: uint });
const witness = loose({ path: hash, keyHash: hash, valueHash: hash }).nullable();

const none = z.tuple([]);
const method = <P extends z.ZodTuple, R extends z.ZodType>(summary: string, params: P, result: R) => ({ summary, params, result });

export const RPC_API = {
  getChainInfo: method('Chain id, genesis hash, node name and role, sealer and observer counts, version.', none, loose({ chainId: z.string(), genesisHash: hash, nodeName: z.string(), role: z.string(), sealerCount: uint, observerCount: uint, version: z.string() })),
  getBlockNumber: method('Height of the last finalized block.', none, uint),
  getPbftView: method('Current PBFT view at the height being decided.', none, uint),
  getSealerList: method('Sealers of a height (default: the next block\'s) in leader-rotation order (docs/GOVERNANCE.md).', z.tuple([opt(uint)]), z.array(loose({ index: uint, name: z.string(), role: z.string(), publicKey: z.string(), address, operator: address.nullable(), fromHeight: uint }))),
  getConsortium: method('The consortium at a height (default: the next block\'s): proxy, companies, sealers, observers, approvals needed, and the history of membership changes.', z.tuple([opt(uint)]), loose({ height: uint, fromHeight: uint, companies: z.array(loose({ address, name: z.string() })), sealers: z.array(loose({ name: z.string(), publicKey: z.string() })), observers: z.array(loose({ name: z.string(), publicKey: z.string() })), approvalsNeeded: uint, history: z.array(loose({ fromHeight: uint, proposal: uint, n: uint, quorum: uint })) })),
  getProposals: method('Governance proposals, newest first, optionally of one status.', z.tuple([opt(loose({ status: opt(z.enum(['open', 'passed', 'rejected', 'expired'])), offset: opt(uint), limit: opt(uint) }))]), loose({ total: uint, proposals: z.array(proposal) })),
  getProposal: method('One governance proposal with its votes.', z.tuple([uint]), proposal.nullable()),
  getObserverList: method('Observers of the network.', none, z.array(loose({ name: z.string() }))),
  getConsensusStatus: method('Consensus state of this node.', none, loose({ height: uint, view: uint, phase: z.string() })),
  getSyncStatus: method('Sync state of this node and its peers.', none, loose({ syncing: z.boolean(), height: uint })),
  getPeers: method('Known peers.', none, z.array(loose({ peerId: z.string() }))),
  getBlockByNumber: method('A block (tx hashes, or full txs with includeTxs).', z.tuple([uint, opt(z.boolean())]), block.nullable()),
  getBlockByHash: method('A block by hash.', z.tuple([hash, opt(z.boolean())]), block.nullable()),
  getBlockList: method('Block summaries, newest first.', z.tuple([opt(loose({ before: opt(uint), limit: opt(uint) }))]), loose({ blocks: z.array(blockSummary), next: uint.nullable() })),
  sendRawTransaction: method('Admits a signed tx; its hash. NODE_BUSY (-32002) means: send the same tx again later.', z.tuple([hex]), hash),
  getTransactionByHash: method('A tx (pending ones have blockNumber null).', z.tuple([hash]), transaction.nullable()),
  getTransactionReceipt: method('A tx receipt, null until the tx is in a finalized block.', z.tuple([hash]), receipt.nullable()),
  getTransactionList: method('Txs newest first, optionally of one kind or sender.', z.tuple([opt(loose({ beforeBlock: opt(uint), limit: opt(uint), kind: opt(z.string()), from: opt(address) }))]), loose({ transactions: z.array(transaction), nextBeforeBlock: uint.nullable() })),
  getPendingTxSize: method('Number of txs in the pool.', none, uint),
  getPendingTransactions: method('Pending txs, executable first.', z.tuple([opt(uint)]), z.array(transaction)),
  getTotalTransactionCount: method('Totals of the chain.', none, loose({ blockNumber: uint, txSum: uint, failedTxSum: uint })),
  getTxStats: method('Txs per UTC day.', z.tuple([opt(loose({ days: opt(uint) }))]), loose({ days: z.array(loose({ day: z.string(), txs: uint, failed: uint })) })),
  getAccount: method('Nonce (and pendingNonce for the next tx), balance, role, device registration.', z.tuple([address]), loose({ address, role: z.string(), nonce: uint, pendingNonce: uint, balance: uint, device: loose({ info: z.string(), registeredAt: uint }).nullable() })),
  getEdgeNodes: method('Edge nodes sorted by id.', z.tuple([opt(loose({ offset: opt(uint), limit: opt(uint), owner: opt(address) }))]), loose({ total: uint, nodes: z.array(edgeNode) })),
  getEdgeNode: method('One edge node.', z.tuple([z.string()]), edgeNode.nullable()),
  getLease: method('One lease.', z.tuple([uint]), lease.nullable()),
  getChannel: method('One payment channel (docs/PAYMENTS.md).', z.tuple([uint]), channel.nullable()),
  getChannels: method('Payment channels, newest first, optionally of one address (payer or payee) or status.', z.tuple([opt(loose({ address: opt(address), status: opt(z.enum(['open', 'closing', 'closed'])), offset: opt(uint), limit: opt(uint) }))]), loose({ total: uint, channels: z.array(channel) })),
  verifyVoucher: method('Whether a voucher (hex) is valid now and how much a claim of it would pay, without a tx.', z.tuple([hex]), loose({ valid: z.boolean(), status: uint, statusText: z.string(), reason: z.string(), pays: uint, chainId: z.string().nullable(), channelId: uint.nullable(), amount: uint.nullable(), height: uint })),
  getEvidence: method('Evidence of equivocation recorded on chain (docs/CONSENSUS.md), ascending id, optionally of one sealer (address).', z.tuple([opt(loose({ sealer: opt(address), offset: opt(uint), limit: opt(uint) }))]), loose({ total: uint, height: uint, evidence: z.array(evidence) })),
  getRecentMatches: method('Recent matches, newest first (the explorer map).', z.tuple([opt(loose({ limit: opt(uint) }))]), z.array(loose({ txHash: hash, nodeId: z.string(), leaseId: uint }))),
  search: method('What a query names: a block, tx, account or edge node.', z.tuple([z.string()]), loose({ type: z.enum(['block', 'transaction', 'account', 'edgeNode']), id: z.union([z.string(), uint]) }).nullable()),
  getProof: method('A state record at a committed height with its proof (docs/VERIFY.md).', z.tuple([hex, opt(uint)]), loose({ height: uint, stateRoot: hash, key: hex, value: hex.nullable(), proof: loose({ siblings: z.array(hash), leaf: witness }) })),
  getServiceTypeProof: method(
    'Every edge node offering a service type at a committed height, proven complete (in parts if large).',
    z.tuple([z.string(), opt(uint), opt(loose({ part: opt(uint), parts: opt(uint) }))]),
    loose({ height: uint, stateRoot: hash, serviceType: z.string(), prefixBits: uint, part: uint, parts: uint, siblings: z.array(hash), leaves: z.array(loose({ key: hex, value: hex })), witness }),
  ),
  getBlockEvidence: method('The raw certified material of a block: encoded block, certificate, receipts.', z.tuple([uint]), loose({ height: uint, block: hex, certificate: hex, receipts: z.array(hex) })),
} as const;

export type RpcApi = typeof RPC_API;
export type RpcMethod = keyof RpcApi;
export type RpcParams<M extends RpcMethod> = z.input<RpcApi[M]['params']>;
export type RpcResult<M extends RpcMethod> = z.output<RpcApi[M]['result']>;
export const RPC_METHOD_NAMES = Object.keys(RPC_API) as RpcMethod[];

/** The names of each method's params, in order (OpenRPC content descriptors; docs/RPC.md). */
export const RPC_PARAM_NAMES: { readonly [M in RpcMethod]: readonly string[] } = {
  getChainInfo: [],
  getBlockNumber: [],
  getPbftView: [],
  getSealerList: ['height'],
  getConsortium: ['height'],
  getProposals: ['options'],
  getProposal: ['id'],
  getObserverList: [],
  getConsensusStatus: [],
  getSyncStatus: [],
  getPeers: [],
  getBlockByNumber: ['number', 'includeTxs'],
  getBlockByHash: ['hash', 'includeTxs'],
  getBlockList: ['options'],
  sendRawTransaction: ['rawTx'],
  getTransactionByHash: ['hash'],
  getTransactionReceipt: ['hash'],
  getTransactionList: ['options'],
  getPendingTxSize: [],
  getPendingTransactions: ['limit'],
  getTotalTransactionCount: [],
  getTxStats: ['options'],
  getAccount: ['address'],
  getEdgeNodes: ['options'],
  getEdgeNode: ['id'],
  getLease: ['id'],
  getChannel: ['id'],
  getChannels: ['options'],
  verifyVoucher: ['voucher'],
  getEvidence: ['options'],
  getRecentMatches: ['options'],
  search: ['query'],
  getProof: ['key', 'height'],
  getServiceTypeProof: ['serviceType', 'height', 'range'],
  getBlockEvidence: ['height'],
};
