import type { Receipt } from '../codec/types.ts';
import type { SignedTx } from '../chain/tx.ts';
import type { StateWrite } from '../domain/table.ts';

/** What execution knows about the block it runs in (no wall clock: the block's timestamp). */
export interface BlockContext {
  height: number;
  /** ms since the Unix epoch, from the block header. */
  timestamp: number;
  /** Address (`0x…`) of the proposer. */
  proposer: string;
}

export type { StateWrite } from '../domain/table.ts';

/** The outcome of executing one block's transactions on top of the current state. */
export interface ExecutionResult {
  height: number;
  /** Root of the authenticated state tree after this block (docs/STATE.md, "State root"). */
  stateRoot: Uint8Array;
  receipts: Receipt[];
  /** Encoded receipts (ReceiptCodec), in tx order. */
  receiptBytes: Uint8Array[];
  /** Merkle root of SHA-256(receipt bytes). */
  receiptRoot: Uint8Array;
  /** The block's write set, sorted by key, each key at most once. */
  writes: StateWrite[];
  /**
   * Rows that left the state with this block (ended leases), each with its final value: not
   * state (not in the root), archived by the node for queries (docs/STATE.md "Retired rows").
   */
  retired: StateWrite[];
  /** Number of txs whose receipt status is not success. */
  failed: number;
}

/** Read-only view of the committed state, for the pool, RPC and the explorer. */
export interface StateView {
  /** Height of the last committed block (0 after genesis). */
  readonly height: number;
  readonly stateRoot: Uint8Array;
  /** Next nonce the account must use (0 for an unknown account). */
  nonceOf(address: string): number;
  balanceOf(address: string): number;
}

/** The tx pool's narrow need from state. */
export type NonceSource = Pick<StateView, 'nonceOf'>;

export type { SignedTx };
