import { EdgeError } from '../util/errors.ts';
import { FinalizedBlockCodec } from '../codec/index.ts';
import type { CommitCertificate } from '../codec/types.ts';
import { decodeBlock, decodeCertificate, type DecodedBlock, type SignedTx, type TxVerifier } from '../chain/index.ts';
import type { BatchVerifier } from '../crypto/verify-pool.ts';

/** A synced block decoded ahead of delivery (or why it is unusable). */
export type SyncedBlock = { block: DecodedBlock; certificate: CommitCertificate } | { error: EdgeError };

/** One encoded FinalizedBlock: its block decoded (every check of decodeBlock) and its certificate, or why it is unusable. */
export function decodeSynced(bytes: Uint8Array, opts: Parameters<typeof decodeBlock>[1]): SyncedBlock {
  const bad = (why: string): SyncedBlock => ({ error: new EdgeError('SYNC_BAD_BLOCK', why) });
  const f = FinalizedBlockCodec.decode(bytes);
  if (!f.ok) return bad(f.error.message);
  const c = decodeCertificate(f.value.certificate);
  if (!c.ok) return bad(c.error.message);
  const b = decodeBlock(plainBytes(f.value.block), opts);
  if (!b.ok) return bad(b.error.message);
  return { block: b.value, certificate: c.value };
}

/**
 * Decodes a batch of synced FinalizedBlocks (untrusted bytes: every canonical and structural
 * check of decodeBlock applies) and checks their tx signatures in `batch` (worker threads),
 * which fills the verifier's cache: Ledger.finalize then finds them verified. The verdicts
 * themselves are not acted on here: a block with a bad signature is refused by finalize (or
 * earlier, by its certificate). Decoding stops at the first unusable block.
 */
export async function prepareSynced(
  raw: Uint8Array[],
  opts: Parameters<typeof decodeBlock>[1],
  verifier: Pick<TxVerifier, 'verifyMany'>,
  batch: BatchVerifier | null,
): Promise<SyncedBlock[]> {
  const out: SyncedBlock[] = [];
  const txs: SignedTx[] = [];
  for (const bytes of raw) {
    const s = decodeSynced(bytes, opts);
    out.push(s);
    if ('error' in s) break;
    txs.push(...s.block.txs);
  }
  if (batch && txs.length > 0) await verifier.verifyMany(txs, batch);
  return out;
}

/** A plain Uint8Array over the same memory (protobufjs decodes bytes fields as Buffers on Node). */
function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
