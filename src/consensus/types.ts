import type { KeyPair } from '../crypto/keys.ts';
import type { ChainParams, CommitCertificate } from '../codec/types.ts';
import type { ConsensusKind } from '../codec/consensus.ts';
import type { DecodedBlock } from '../chain/block.ts';
import type { SealerSet } from '../chain/sealers.ts';

/**
 * Testing only: deliberately broken engines that the simulator suites must catch.
 *  - 'quorum-f-plus-1': every quorum is lowered to f+1;
 *  - 'prepare-f-plus-1': only the PREPARE quorum (becoming prepared, and the prepared
 *    certificates a VIEW-CHANGE or NEW-VIEW carries) is lowered to f+1;
 *  - 'no-locking': NEW-VIEW ignores prepared certificates (the leader proposes a fresh
 *    block and replicas do not check the re-proposal);
 *  - 'nv-no-check': replicas skip the NEW-VIEW "highest prepared certificate" check (the
 *    leader still re-proposes correctly);
 *  - 'cert-dup-sealers': prepared certificates count a duplicate signer again;
 *  - 'sync-no-cert': sync accepts a block without checking its commit certificate.
 * Never set outside tests.
 */
export type Mutant = 'quorum-f-plus-1' | 'prepare-f-plus-1' | 'no-locking' | 'nv-no-check' | 'cert-dup-sealers' | 'sync-no-cert';
export const MUTANTS: readonly Mutant[] = ['quorum-f-plus-1', 'prepare-f-plus-1', 'no-locking', 'nv-no-check', 'cert-dup-sealers', 'sync-no-cert'];

export interface EngineOptions {
  chainId: string;
  params: ChainParams;
  /** Messages up to this many heights ahead are buffered (default 4). */
  futureHeights?: number;
  /** Votes and VIEW-CHANGEs up to this many views ahead are kept (default 64). */
  viewWindow?: number;
  /** Bound on buffered future-height messages (default 4096) and their bytes (default 64 MiB). */
  maxBuffered?: number;
  maxBufferedBytes?: number;
  /**
   * The leader's block period (ms, default 0): as leader at view 0, wait until this long after
   * the parent block's timestamp before proposing, unless the pool already holds a full block
   * (the 'work' input's `full`). A local policy, not a chain rule: replicas do not check it
   * (the chain's own floor is `params.minBlockIntervalMs`). Capped at a quarter of the view
   * timeout, so a waiting leader never runs into the replicas' view timer.
   * docs/CONSENSUS.md, "Block period".
   */
  blockPeriodMs?: number;
  /** Testing only, see Mutant. */
  mutant?: Mutant;
}

export interface EngineDeps {
  /** This node's consensus key, or null for an observer that never votes. */
  key: KeyPair | null;
  /** The sealer set that decides `height` (genesis now; governance: effective from the height after the deciding block). */
  sealersAt(height: number): SealerSet;
  /**
   * Signature check, expected to remember what it verified: the engine has no cache of its own
   * and checks a message's signature each time it takes one (re-sent votes, view-change
   * justifications). A node passes the SignatureMemo its gossip boundary fills, so a signature
   * is verified once per node; default: a memo of the engine's own.
   */
  verify?: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
}

/** The last finalized block, from storage. Height 0 is genesis. */
export interface Head {
  height: number;
  hash: Uint8Array;
  timestamp: number;
}

/** Every input carries the node's current time (ms): the engine has no clock. */
export type EngineInput =
  /** First input after construction: the storage head and the WAL records (in append order). */
  | { type: 'start'; now: number; head: Head; wal: readonly Uint8Array[]; pending?: boolean; full?: boolean }
  /**
   * Bytes from the network; `from` is an optional transport peer hint (for logs/scoring).
   * `block`: a compact proposal's block, rebuilt by the driver (ledger/compact.ts: the txs from
   * its pool or fetched, put together by chain/block.ts `assembleBlock`, which checks what
   * `decodeBlock` checks). It stands for the envelope's attachment, which is then empty (the
   * envelope carries `compact` instead); without it such an envelope has no block.
   */
  | { type: 'message'; now: number; bytes: Uint8Array; from?: string; block?: DecodedBlock }
  /** The timer set by the last `set-timer` fired (or any time: early calls are harmless). */
  | { type: 'timer'; now: number }
  /**
   * Whether the pool holds transactions (the view timer runs only when there is work), and
   * whether they fill a block (`full`: a leader with a block period proposes at once).
   */
  | { type: 'work'; now: number; pending: boolean; full?: boolean }
  /** Answer to request-build: a block for (height, view), or null if there is nothing to propose. */
  | { type: 'built'; now: number; height: number; view: number; block: DecodedBlock | null }
  /** Answer to request-validate: verdict of tx checks + re-execution, and the state root computed. */
  | { type: 'validated'; now: number; hash: Uint8Array; valid: boolean; stateRoot: Uint8Array | null; reason?: string }
  /**
   * A finalized block obtained by sync (answer to request-sync), the next height first.
   * `decoded`, if given, is `block` already decoded by chain/block.ts `decodeBlock` with this
   * chain's id and params (the node decodes synced blocks ahead of delivery): it is used
   * instead of decoding the bytes again.
   */
  | { type: 'synced'; now: number; block: Uint8Array; certificate: CommitCertificate; decoded?: DecodedBlock };

/**
 * Outputs, in order. A `persist` must be durable before any later `broadcast`/`send` of the
 * same batch is transmitted (persist-before-send). `finalize` must be applied (block stored,
 * state advanced) before the next input.
 */
export type EngineOutput =
  | { type: 'persist'; record: Uint8Array }
  | { type: 'broadcast'; bytes: Uint8Array; kind: ConsensusKind; height: number; view: number }
  | { type: 'send'; to: number; toKey: Uint8Array; bytes: Uint8Array; kind: ConsensusKind; height: number; view: number }
  | { type: 'finalize'; block: DecodedBlock; certificate: CommitCertificate; viaSync: boolean }
  /** Call step({type:'timer'}) at `at` (node clock); null cancels. Replaces any earlier timer. */
  | { type: 'set-timer'; at: number | null }
  /** Leader: build a block on `parentHash` with exactly this `timestamp`, header view `view`, then answer `built`. */
  | { type: 'request-build'; height: number; view: number; parentHash: Uint8Array; timestamp: number }
  /** Validate every tx and re-execute on the current head, then answer `validated`. */
  | { type: 'request-validate'; height: number; view: number; block: DecodedBlock }
  /** Fetch finalized blocks + certificates from `fromHeight` on, answer with `synced` inputs. */
  | { type: 'request-sync'; fromHeight: number }
  /**
   * Evidence: sealer `sender` signed two conflicting messages of one kind at (height, view):
   * `messages` are the two signed envelopes (attachments stripped), each verifiable on its own
   * (docs/CONSENSUS.md, "Equivocation evidence"). Emitted once per (kind, height, view, sender).
   */
  | { type: 'equivocation'; kind: 'prePrepare' | 'prepare' | 'commit'; height: number; view: number; sender: number; messages: [Uint8Array, Uint8Array] };

export type Phase = 'idle' | 'proposed' | 'prepared' | 'view-change';

export interface EngineStatus {
  height: number;
  view: number;
  phase: Phase;
  leaderIndex: number;
  leaderAddress: string;
  sealerIndex: number;
  isSealer: boolean;
  lockedHash: string | null;
  lockedView: number | null;
  pending: boolean;
  timerAt: number | null;
}

export type Verdict = 'accept' | 'ignore' | 'reject';
