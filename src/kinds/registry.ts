import { TX_KINDS, type TxBody, type TxKind, type TxPayload, type TxPayloads } from '../codec/types.ts';
import { ReceiptStatus, fail, type TxOutcome } from '../domain/receipts.ts';
import type { Domains } from '../domain/index.ts';
import type { BlockEnv } from '../domain/leases.ts';
import type { FlagReader, TxKindModule } from './kind.ts';
import { checkKindModules } from './check.ts';
import { KIND_MODULES } from './all.ts';

/**
 * The one registry of transaction kinds: the modules listed in `all.ts`, a static index
 * generated from this folder by `node scripts/gen-kind-index.ts` (test/kinds/registry.test.ts
 * fails while it is stale), so the registry reads no directory at run time and works in a
 * browser bundle and an installed package. Loading fails (a programmer error, at start-up and
 * in every test) unless the modules and the members of the `TxBody.kind` oneof match one to
 * one. Everything that depends on the kind of a tx goes through the functions below; nothing
 * else switches over kinds.
 */

/** Every kind module, by kind. */
export const KINDS = Object.fromEntries(checkKindModules(KIND_MODULES, TX_KINDS).map((m) => [m.kind, m])) as {
  readonly [K in TxKind]: TxKindModule<K>;
};

/** The kind modules in the order of the oneof (proto field numbers). */
export const KIND_LIST: readonly TxKindModule[] = TX_KINDS.map((k) => KINDS[k] as TxKindModule);

/** The set kind of a body and its payload, or null if no kind is set or its payload is missing. */
function payloadOf(body: TxBody): { m: TxKindModule; p: TxPayloads[TxKind] } | null {
  const kind = body.kind;
  if (!kind || !Object.hasOwn(KINDS, kind)) return null;
  const p = body[kind];
  if (!p) return null;
  return { m: KINDS[kind] as TxKindModule, p };
}

/** Stateless bounds of a tx body's payload: a reason, or null if well-formed. */
export function checkPayload(body: TxBody): string | null {
  const x = payloadOf(body);
  return x ? x.m.check(x.p) : 'unknown transaction kind';
}

/** The block and sender a payload is applied for. */
export interface ApplyTarget {
  readonly env: BlockEnv;
  readonly sender: string;
  readonly publicKey: Uint8Array;
}

/** Applies a tx body's payload to the state (its nonce already consumed). */
export function applyPayload(state: Domains, t: ApplyTarget, body: TxBody): TxOutcome {
  const x = payloadOf(body);
  return x
    ? x.m.apply({ height: t.env.height, time: t.env.time, env: t.env, sender: t.sender, publicKey: t.publicKey, state }, x.p)
    : fail(ReceiptStatus.INVALID_TX, 'unknown or empty transaction payload');
}

/** The JSON form of a tx body's payload (docs/RPC.md); {} for an unknown kind. */
export function payloadJson(body: TxBody): Record<string, unknown> {
  const x = payloadOf(body);
  return x ? x.m.json(x.p) : {};
}

/** The kind module of an `edgechain tx <command>`, or undefined. */
export function kindOfCommand(command: string): TxKindModule | undefined {
  return KIND_LIST.find((k) => k.command === command);
}

/** Builds `{ kind, [kind]: payload }` for a tx from command-line flags (throws an EdgeError on bad flags). */
export function payloadFromFlags(m: TxKindModule, flags: FlagReader): TxPayload {
  return { kind: m.kind, [m.kind]: m.fromFlags(flags) } as TxPayload;
}
