/**
 * TypeScript shapes of the messages in proto/chain.proto. The shapes themselves are
 * generated from the .proto files (proto-types.ts, by scripts/gen-proto-types.ts); this file
 * re-exports them under their usual names and adds the few refinements that hold after
 * validation (a parsed genesis always has its params).
 */
import type { Genesis as GenesisMessage, GenesisSealer as GenesisSealerMessage, GenesisObserver as GenesisObserverMessage, ChainParams, TxBody } from './proto-types.ts';
import { TxBodyKinds, type TxBodyKind } from './proto-types.ts';

export type {
  Tx,
  TxBody,
  RegisterDevice,
  AddNode,
  UpdateNode,
  RemoveNode,
  EdgeMatch,
  ReleaseLease,
  Transfer,
  RenewLease,
  ChannelOpen,
  ChannelTopUp,
  ChannelClaim,
  ChannelClose,
  ChannelRefund,
  GovPropose,
  GovVote,
  BlockHeader,
  Block,
  CommitSeal,
  CommitCertificate,
  FinalizedBlock,
  MatchResult,
  LeaseResult,
  ChannelResult,
  ProposalResult,
  Receipt,
  GenesisSealer,
  GenesisAccount,
  GenesisObserver,
  ChainParams,
} from './proto-types.ts';

/** The transaction kinds: the members of the `TxBody.kind` oneof, in declaration order. */
export const TX_KINDS = TxBodyKinds;
export type TxKind = TxBodyKind;

/** The payload message of each transaction kind. */
export type TxPayloads = { [K in TxKind]: NonNullable<TxBody[K]> };

/** What a sender fills in to build a TxBody. */
export type TxPayload = { [K in TxKind]: { kind: K } & { [P in K]: TxPayloads[K] } }[TxKind];

/**
 * A genesis as the chain uses it: `params` is always set (parseGenesis checks it); a sealer's
 * `operator` and the `observers` may be left out (empty when encoded: a genesis of before
 * governance keeps its hash).
 */
export interface Genesis extends Omit<GenesisMessage, 'params' | 'sealers' | 'observers'> {
  params: ChainParams;
  sealers: (Omit<GenesisSealerMessage, 'operator'> & { operator?: Uint8Array })[];
  observers?: GenesisObserverMessage[];
}
