import { fromHex, toHex } from '../util/bytes.ts';
import type { KeyProof, LeafWitness, RangeProof } from './smt.ts';

/**
 * The JSON form of proofs (JSON-RPC `getProof`, `getServiceTypeProof`; docs/VERIFY.md): every
 * byte string as 0x-hex. The parsers take untrusted input: anything malformed is an Error
 * saying what, never a partial proof.
 */

export interface LeafWitnessJson {
  path: string;
  keyHash: string;
  valueHash: string;
}
export interface KeyProofJson {
  siblings: string[];
  leaf: LeafWitnessJson | null;
}
export interface RangeProofJson {
  siblings: string[];
  leaves: { key: string; value: string }[];
  witness: LeafWitnessJson | null;
}

const hex = (b: Uint8Array) => toHex(b, true);
const witnessJson = (w: LeafWitness | null): LeafWitnessJson | null => (w ? { path: hex(w.path), keyHash: hex(w.keyHash), valueHash: hex(w.valueHash) } : null);

export function keyProofJson(p: KeyProof): KeyProofJson {
  return { siblings: p.siblings.map(hex), leaf: witnessJson(p.leaf) };
}

export function rangeProofJson(p: RangeProof): RangeProofJson {
  return { siblings: p.siblings.map(hex), leaves: p.leaves.map((l) => ({ key: hex(l.key), value: hex(l.value) })), witness: witnessJson(p.witness) };
}

export function parseBytes(v: unknown, what: string, len?: number): Uint8Array {
  const b = typeof v === 'string' ? fromHex(v) : null;
  if (!b || (len !== undefined && b.length !== len)) throw new Error(`malformed ${what}: expected ${len === undefined ? '' : len + '-byte '}hex`);
  return b;
}

function parseWitness(v: unknown, what: string): LeafWitness | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') throw new Error(`malformed ${what}`);
  const o = v as Record<string, unknown>;
  return { path: parseBytes(o.path, what + '.path', 32), keyHash: parseBytes(o.keyHash, what + '.keyHash', 32), valueHash: parseBytes(o.valueHash, what + '.valueHash', 32) };
}

function parseSiblings(v: unknown): Uint8Array[] {
  if (!Array.isArray(v) || v.length > 256) throw new Error('malformed proof: siblings must be a list of at most 256 hashes');
  return v.map((s, i) => parseBytes(s, `sibling ${i}`, 32));
}

export function parseKeyProof(v: unknown): KeyProof {
  if (!v || typeof v !== 'object') throw new Error('malformed key proof');
  const o = v as Record<string, unknown>;
  return { siblings: parseSiblings(o.siblings), leaf: parseWitness(o.leaf, 'proof leaf') };
}

export function parseRangeProof(v: unknown): RangeProof {
  if (!v || typeof v !== 'object') throw new Error('malformed range proof');
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.leaves)) throw new Error('malformed range proof: leaves');
  const leaves = o.leaves.map((l, i) => {
    if (!l || typeof l !== 'object') throw new Error(`malformed range proof: leaf ${i}`);
    const x = l as Record<string, unknown>;
    return { key: parseBytes(x.key, `leaf ${i} key`), value: parseBytes(x.value, `leaf ${i} value`) };
  });
  return { siblings: parseSiblings(o.siblings), leaves, witness: parseWitness(o.witness, 'range witness') };
}
