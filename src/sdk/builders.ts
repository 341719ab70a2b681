import type { TxKind, TxPayload, TxPayloads } from '../codec/types.ts';
import { KIND_LIST } from '../kinds/registry.ts';

/**
 * A builder per tx kind, derived from the kind registry (a new kind needs nothing here):
 * `tx.edgeMatch({ lat, lon, taskType, demand, maxPrice })` → the `TxPayload` to sign.
 * Each checks the kind's stateless bounds (the same `check` the node runs) and throws a
 * RangeError with the reason, so a malformed tx is refused before it is signed.
 */
export const tx = Object.fromEntries(
  KIND_LIST.map((m) => [
    m.kind,
    (p: never) => {
      const bad = m.check(p);
      if (bad) throw new RangeError(`${m.kind}: ${bad}`);
      return { kind: m.kind, [m.kind]: p } as unknown as TxPayload;
    },
  ]),
) as { readonly [K in TxKind]: (p: TxPayloads[K]) => TxPayload };

/** Decimal degrees → the integer micro-degrees of a tx. */
export const microDegrees = (deg: number): number => Math.round(deg * 1e6);
