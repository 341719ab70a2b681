/**
 * TypeScript shapes of the messages in proto/chain.proto, as protobufjs decodes them
 * (camelCase fields; unset scalars read as their zero value; an unset oneof member is null;
 * `kind`/`result` name the oneof member that is set).
 */

export interface RegisterDevice { info: string }
export interface AddNode { id: string; lat: number; lon: number; capacity: number; serviceTypes: string[]; price: number }
export interface UpdateNode extends AddNode { online: boolean }
export interface RemoveNode { id: string }
export interface EdgeMatch { lat: number; lon: number; taskType: string; demand: number; maxPrice: number }
export interface ReleaseLease { leaseId: number }
export interface Transfer { to: Uint8Array; amount: number }

export const TX_KINDS = ['registerDevice', 'addNode', 'updateNode', 'removeNode', 'edgeMatch', 'releaseLease', 'transfer'] as const;
export type TxKind = (typeof TX_KINDS)[number];

export interface TxPayloads {
  registerDevice: RegisterDevice;
  addNode: AddNode;
  updateNode: UpdateNode;
  removeNode: RemoveNode;
  edgeMatch: EdgeMatch;
  releaseLease: ReleaseLease;
  transfer: Transfer;
}

/** What a sender fills in to build a TxBody. */
export type TxPayload = { [K in TxKind]: { kind: K } & { [P in K]: TxPayloads[K] } }[TxKind];

export interface TxBody {
  chainId: string;
  nonce: number;
  kind?: TxKind;
  registerDevice?: RegisterDevice | null;
  addNode?: AddNode | null;
  updateNode?: UpdateNode | null;
  removeNode?: RemoveNode | null;
  edgeMatch?: EdgeMatch | null;
  releaseLease?: ReleaseLease | null;
  transfer?: Transfer | null;
}

export interface Tx { body: Uint8Array; signature: Uint8Array; publicKey: Uint8Array }

export interface BlockHeader {
  chainId: string;
  height: number;
  parentHash: Uint8Array;
  timestamp: number;
  proposer: Uint8Array;
  view: number;
  txRoot: Uint8Array;
  stateRoot: Uint8Array;
  receiptRoot: Uint8Array;
  txCount: number;
}

export interface Block { header: Uint8Array; txs: Uint8Array[] }
export interface CommitSeal { sealer: number; signature: Uint8Array }
export interface CommitCertificate { height: number; view: number; blockHash: Uint8Array; seals: CommitSeal[] }
export interface FinalizedBlock { block: Uint8Array; certificate: Uint8Array }

export interface MatchResult { nodeId: string; distanceM: number; price: number; leaseId: number; demand: number }
export interface Receipt {
  txHash: Uint8Array;
  height: number;
  index: number;
  status: number;
  reason: string;
  sender: Uint8Array;
  result?: 'match';
  match?: MatchResult | null;
}

export interface GenesisSealer { name: string; publicKey: Uint8Array; role: string }
export interface GenesisAccount { address: Uint8Array; role: string; balance: number; name: string }
export interface ChainParams {
  maxBlockTxs: number;
  maxBlockBytes: number;
  maxTxBytes: number;
  viewTimeoutMs: number;
  maxViewTimeoutMs: number;
  timestampToleranceMs: number;
  minBlockIntervalMs: number;
}
export interface Genesis { chainId: string; timestamp: number; sealers: GenesisSealer[]; accounts: GenesisAccount[]; params: ChainParams }
