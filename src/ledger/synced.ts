import { EdgeError } from '../util/errors.ts';
import { FinalizedBlockCodec } from '../codec/index.ts';
import type { CommitCertificate } from '../codec/types.ts';
import { decodeBlock, decodeCertificate, voteBytes, type DecodedBlock, type SealerSet, type SignedTx, type TxVerifier } from '../chain/index.ts';
import type { BatchVerifier, VerifyItem } from '../crypto/verify-pool.ts';

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

/** Where the seals of synced certificates are checked ahead (prepareSynced). */
export interface SealCheck {
  /** The sealer set a certificate of `height` should be signed by, as far as this node knows it now. */
  sealersAt(height: number): SealerSet;
  /** Records a seal the workers found valid (SignatureMemo.remember): the engine's check then finds it. */
  remember(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void;
}

/**
 * Decodes a batch of synced FinalizedBlocks (untrusted bytes: every canonical and structural
 * check of decodeBlock applies) and checks their tx signatures in `batch` (worker threads),
 * which fills the verifier's cache: Ledger.finalize then finds them verified. With `seals`, the
 * certificates' seals are checked in the workers too and the valid ones remembered, so the
 * engine's certificate check (every seal, against the set of the block's height) finds them
 * verified instead of doing 3+ Ed25519 checks per block on the main thread. The verdicts
 * themselves are not acted on here: a block with a bad signature is refused by finalize (or
 * earlier, by its certificate); a seal checked against a set that turns out not to be the
 * height's (a governance change this node has not applied yet) is only a cache entry the
 * engine does not ask for. Decoding stops at the first unusable block.
 */
export async function prepareSynced(
  raw: Uint8Array[],
  opts: Parameters<typeof decodeBlock>[1],
  verifier: Pick<TxVerifier, 'verifyMany'>,
  batch: BatchVerifier | null,
  seals?: SealCheck,
): Promise<SyncedBlock[]> {
  const out: SyncedBlock[] = [];
  const txs: SignedTx[] = [];
  const sealItems: VerifyItem[] = [];
  for (const bytes of raw) {
    const s = decodeSynced(bytes, opts);
    out.push(s);
    if ('error' in s) break;
    txs.push(...s.block.txs);
    if (seals && batch) {
      const c = s.certificate;
      const set = seals.sealersAt(c.height);
      const message = voteBytes('commit', opts.chainId, c.height, c.view, c.blockHash);
      for (const seal of c.seals) {
        const sealer = set.sealers[seal.sealer];
        if (sealer) sealItems.push({ signature: seal.signature, message, publicKey: sealer.publicKey });
      }
    }
  }
  const work: Promise<unknown>[] = [];
  if (batch && txs.length > 0) work.push(verifier.verifyMany(txs, batch));
  if (batch && seals && sealItems.length > 0) {
    work.push(batch.verifyMany(sealItems).then((ok) => ok.forEach((v, i) => v && seals.remember(sealItems[i].signature, sealItems[i].message, sealItems[i].publicKey))));
  }
  await Promise.all(work);
  return out;
}

/** A plain Uint8Array over the same memory (protobufjs decodes bytes fields as Buffers on Node). */
function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
