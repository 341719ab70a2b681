import type { TxKind, TxPayloads } from '../codec/types.ts';
import type { Domains } from '../domain/index.ts';
import type { TxOutcome } from '../domain/receipts.ts';
import type { BlockEnv } from '../domain/leases.ts';

/** What a kind's CLI part reads its flags from (cli/args.ts `Args`). Invalid flags throw an EdgeError. */
export interface FlagReader {
  has(name: string): boolean;
  str(name: string, def?: string): string;
  int(name: string, def?: number, min?: number, max?: number): number;
  /** Decimal degrees within ±maxAbs, as integer micro-degrees. */
  degrees(name: string, maxAbs: number): number;
  list(name: string): string[];
}

/**
 * What a kind's state handler runs in: the block (height, header time, chain parameters), the
 * sender (nonce already consumed) with its public key, and the domain modules.
 */
export interface ApplyContext {
  readonly height: number;
  /** The block's header timestamp (ms since the Unix epoch): block time, the only clock of the state. */
  readonly time: number;
  /** The block's environment for domain calls: height, time, chain parameters. */
  readonly env: BlockEnv;
  /** Sender address (`0x…`, lower case). */
  readonly sender: string;
  /** Sender's Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  readonly state: Domains;
}

/**
 * One transaction kind, whole: its proto message (the `TxBody.kind` oneof member `kind`),
 * its stateless field bounds, its state handler, its JSON form (RPC and explorer) and its
 * command-line flags. Each lives in its own module under src/kinds/ with `export default
 * defineKind({...})`; kinds/registry.ts finds them (docs/ARCHITECTURE.md, "Adding a
 * transaction kind").
 */
export interface TxKindModule<K extends TxKind = TxKind> {
  readonly kind: K;
  /** `edgechain tx <command>`. */
  readonly command: string;
  /** The flags of the command, for `edgechain help` (after `--key <file>`). */
  readonly flags: string;
  /** Stateless bounds (decodeTx): a reason, or null if the payload is well-formed. Must not throw. */
  check(p: TxPayloads[K]): string | null;
  /** Applies the payload to the state; deterministic, no I/O. A failure is a receipt status, never a throw. */
  apply(x: ApplyContext, p: TxPayloads[K]): TxOutcome;
  /** The payload as JSON (docs/RPC.md). */
  json(p: TxPayloads[K]): Record<string, unknown>;
  /** The payload from command-line flags. */
  fromFlags(f: FlagReader): TxPayloads[K];
}

/** Declares a kind module (identity; it only ties the payload type to `kind`). */
export function defineKind<K extends TxKind>(m: TxKindModule<K>): TxKindModule<K> {
  return m;
}
