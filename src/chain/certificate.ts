import { verify } from '../crypto/keys.ts';
import { CommitCertificateCodec } from '../codec/chain.ts';
import { voteBytes } from '../codec/consensus.ts';
import type { CommitCertificate, CommitSeal } from '../codec/types.ts';
import { equalBytes } from '../util/bytes.ts';
import { type Result, ok, err } from '../util/errors.ts';
import { chainError, type ChainError } from './errors.ts';
import type { SealerSet } from './sealers.ts';

export { voteBytes, type VoteKind } from '../codec/consensus.ts';

export function encodeCertificate(cert: CommitCertificate): Uint8Array {
  return CommitCertificateCodec.encode(cert);
}

export function decodeCertificate(bytes: Uint8Array): Result<CommitCertificate, ChainError> {
  const r = CommitCertificateCodec.decode(bytes);
  return r.ok ? ok(r.value) : err(chainError('CERT_MALFORMED', r.error.message));
}

/** Builds a certificate from seals, sorted by sealer index (one canonical certificate per seal set). */
export function buildCertificate(height: number, view: number, blockHash: Uint8Array, seals: readonly CommitSeal[]): CommitCertificate {
  return { height, view, blockHash, seals: [...seals].sort((a, b) => a.sealer - b.sealer) };
}

/**
 * Verifies a commit certificate against the sealer set of its height: it names the
 * expected block, every seal is by a distinct sealer of that set with a valid signature
 * over the commit vote bytes, and there are at least a quorum of them.
 */
export function verifyCertificate(
  cert: CommitCertificate,
  expected: { chainId: string; height: number; blockHash: Uint8Array },
  sealers: SealerSet,
  verifyFn: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean = verify,
): Result<void, ChainError> {
  if (cert.height !== expected.height || !equalBytes(cert.blockHash, expected.blockHash)) {
    return err(chainError('CERT_WRONG_BLOCK', `certificate is for height ${cert.height}, not for block ${expected.height}`));
  }
  const msg = voteBytes('commit', expected.chainId, cert.height, cert.view, cert.blockHash);
  const seen = new Set<number>();
  for (const s of cert.seals) {
    if (!Number.isInteger(s.sealer) || s.sealer < 0 || s.sealer >= sealers.n) return err(chainError('CERT_UNKNOWN_SEALER', `seal by unknown sealer index ${s.sealer}`));
    if (seen.has(s.sealer)) return err(chainError('CERT_DUPLICATE_SEALER', `two seals by sealer ${s.sealer}`));
    seen.add(s.sealer);
    if (!verifyFn(s.signature, msg, sealers.sealers[s.sealer].publicKey)) return err(chainError('CERT_BAD_SIGNATURE', `bad seal by sealer ${s.sealer}`));
  }
  if (seen.size < sealers.quorum) return err(chainError('CERT_NO_QUORUM', `${seen.size} seals, quorum is ${sealers.quorum}`));
  return ok(undefined);
}
