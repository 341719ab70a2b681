import { sha256 } from '../crypto/hash.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { StateError } from '../domain/errors.ts';
import { keyProofJson, rangeProofJson } from '../state/proof-json.ts';
import { MAX_RANGE_PARTS, TYPE_PREFIX_BITS } from '../state/smt.ts';
import { RpcCode, RpcError, invalidParams, notFound } from './errors.ts';
import type { RpcContext } from './methods.ts';
import type { RpcHandler, RpcParams } from './server.ts';

/** Most leaves one `getServiceTypeProof` answer carries; a larger range is asked for in parts. */
export const MAX_RANGE_LEAVES = 4096;

const hex = (b: Uint8Array) => toHex(b, true);

function heightParam(ctx: RpcContext, p: RpcParams, i: number): number {
  const v = p[i];
  if (v === undefined || v === null) return ctx.state.height;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidParams('height must be a non-negative integer');
  return v;
}

/** Runs a state proof, turning "height not kept" into a clear RPC error. */
function atHeight<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof StateError && e.code === 'STATE_HEIGHT_UNAVAILABLE') throw new RpcError(RpcCode.NOT_FOUND, e.message, e.data);
    if (e instanceof RangeError) throw invalidParams(e.message);
    throw e;
  }
}

/**
 * The authenticated-state methods (docs/VERIFY.md, docs/RPC.md "Proofs"): proofs of state keys
 * and of whole service-type ranges against the state root of a committed height within the
 * retention window, and the raw certified material of a block. Answers are to be checked by
 * the caller (src/verify/), never trusted.
 */
export function proofMethods(ctx: RpcContext): Record<string, RpcHandler> {
  return {
    getProof: (p) => {
      const key = typeof p[0] === 'string' ? fromHex(p[0]) : null;
      if (!key || key.length === 0 || key.length > 256) throw invalidParams('key must be the hex of a state key (1..256 bytes)');
      const height = heightParam(ctx, p, 1);
      const r = atHeight(() => ctx.state.proveKey(key, height));
      return { height, stateRoot: hex(r.stateRoot), key: hex(key), value: r.value ? hex(r.value) : null, proof: keyProofJson(r.proof) };
    },

    getServiceTypeProof: (p) => {
      const serviceType = p[0];
      if (typeof serviceType !== 'string' || serviceType.length === 0 || serviceType.length > 64) throw invalidParams('service type must be a non-empty string of at most 64 characters');
      const height = heightParam(ctx, p, 1);
      const o = (p[2] ?? {}) as Record<string, unknown>;
      if (typeof o !== 'object' || Array.isArray(o)) throw invalidParams('options must be {part?, parts?}');
      const parts = o.parts ?? 1;
      const part = o.part ?? 0;
      if (typeof parts !== 'number' || typeof part !== 'number') throw invalidParams('part and parts must be integers');
      const r = atHeight(() => ctx.state.proveServiceType(serviceType, height, part, parts));
      if (r.proof.leaves.length > MAX_RANGE_LEAVES) {
        let more = parts;
        while (more < MAX_RANGE_PARTS && (r.proof.leaves.length * parts) / more > MAX_RANGE_LEAVES / 2) more *= 2;
        throw new RpcError(RpcCode.LIMIT_EXCEEDED, `the range holds ${r.proof.leaves.length} leaves, more than ${MAX_RANGE_LEAVES}: ask for it in ${more} parts`, {
          limit: 'rangeLeaves',
          leaves: r.proof.leaves.length,
          parts: more,
        });
      }
      return { height, stateRoot: hex(r.stateRoot), serviceType, prefixBits: TYPE_PREFIX_BITS, part, parts, ...rangeProofJson(r.proof) };
    },

    getBlockEvidence: async (p) => {
      const height = p[0];
      if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0) throw invalidParams('height must be a non-negative integer');
      const b = await ctx.store.getBlockByHeight(height);
      if (!b) throw notFound(`no block at height ${height}`);
      const receipts: string[] = [];
      for (const tx of b.txs) {
        const r = await ctx.store.getReceipt(sha256(tx));
        receipts.push(r ? hex(r) : '0x');
      }
      return { height, block: hex(b.block), certificate: hex(b.certificate), receipts };
    },
  };
}

/** Cost units of the proof methods (rpcCost). */
export function proofCost(method: string): number | null {
  if (method === 'getServiceTypeProof') return 10;
  if (method === 'getBlockEvidence') return 5;
  if (method === 'getProof') return 1;
  return null;
}
