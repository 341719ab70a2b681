import { sha256Bin } from '../crypto/hash.ts';
import { addressOf, sign, verify, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, type KeyPair } from '../crypto/keys.ts';
import type { BatchVerifier, VerifyItem } from '../crypto/verify-pool.ts';
import { TxBodyCodec, TxCodec } from '../codec/chain.ts';
import type { Tx, TxBody, TxPayload } from '../codec/types.ts';
import { binaryToBytes, binaryToHex, concatBytes, utf8 } from '../util/bytes.ts';
import { type Result, ok, err } from '../util/errors.ts';
import { chainError, type ChainError } from './errors.ts';
import { checkPayload } from '../kinds/registry.ts';

/** Domain tag prepended to the body bytes before signing, so a tx signature can never be a consensus signature. */
export const TX_SIGN_DOMAIN = utf8('edgechain/tx/v1');

/** A decoded, structurally valid transaction with everything derived from its bytes. */
export interface SignedTx {
  /** The encoded Tx: what is gossiped, stored and hashed. */
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly tx: Tx;
  readonly body: TxBody;
  /** Sender address (`0x…`), derived from the public key. */
  readonly sender: string;
}

/**
 * What a tx signature covers, and the one place that says so: the domain tag, the hash of the
 * genesis of the chain the tx is for, then the body bytes. The genesis hash is not in the tx
 * (its bytes and hash are unchanged); signer and verifier each supply their chain's, so a tx
 * signed for one network never verifies on another, even one with the same chain id.
 */
export function txSignMessage(body: Uint8Array, genesisHash: Uint8Array): Uint8Array {
  if (genesisHash.length !== 32) throw new RangeError('genesis hash must be 32 bytes');
  return concatBytes(TX_SIGN_DOMAIN, genesisHash, body);
}

/**
 * The genesis hash of no chain (32 zero bytes): the default of signTx and TxVerifier for unit
 * tests and tools that have no chain. A node verifies with its real genesis hash, so a tx signed
 * with this one never verifies there.
 */
export const NO_GENESIS: Uint8Array = new Uint8Array(32);

export function encodeTxBody(chainId: string, nonce: number, payload: TxPayload): Uint8Array {
  const body: TxBody = { chainId, nonce, ...(payload as object) } as TxBody;
  delete (body as { kind?: unknown }).kind;
  return TxBodyCodec.encode(body);
}

/** Builds and signs a transaction for the chain of `genesisHash` (getChainInfo's genesisHash). */
export function signTx(key: KeyPair, chainId: string, nonce: number, payload: TxPayload, genesisHash: Uint8Array = NO_GENESIS): SignedTx {
  const body = encodeTxBody(chainId, nonce, payload);
  const tx: Tx = { body, signature: sign(txSignMessage(body, genesisHash), key.secretKey), publicKey: key.publicKey };
  const bytes = TxCodec.encode(tx);
  const r = decodeTx(bytes, { chainId, maxTxBytes: Number.MAX_SAFE_INTEGER });
  if (!r.ok) throw r.error;
  return r.value;
}

export interface TxCheckOptions {
  chainId: string;
  maxTxBytes: number;
}

/** A tx's id: SHA-256 of its encoded bytes, and its hex with `0x` (SignedTx.hash, hashHex). */
export function txId(bytes: Uint8Array): { hash: Uint8Array; hashHex: string } {
  // one digest, as a binary string: the bytes and the hex both come from it
  const bin = sha256Bin(bytes);
  return { hash: binaryToBytes(bin), hashHex: '0x' + binaryToHex(bin) };
}

/**
 * Decodes untrusted tx bytes and checks everything that does not need state or the
 * signature: size, canonical encoding, chain id, key and signature lengths, field bounds.
 * Never throws. The signature is checked separately (TxVerifier) so it can be cached.
 * `id`: the bytes' txId when the caller already has it (the pool hashes first to drop known txs).
 */
export function decodeTx(bytes: Uint8Array, opts: TxCheckOptions, id?: { hash: Uint8Array; hashHex: string }): Result<SignedTx, ChainError> {
  if (!(bytes instanceof Uint8Array)) return err(chainError('TX_MALFORMED', 'tx is not bytes'));
  if (bytes.length > opts.maxTxBytes) return err(chainError('TX_TOO_LARGE', `tx is ${bytes.length} bytes, limit ${opts.maxTxBytes}`, { size: bytes.length }));
  const t = TxCodec.decode(bytes);
  if (!t.ok) return err(chainError(t.error.code === 'CODEC_TOO_LARGE' ? 'TX_TOO_LARGE' : 'TX_MALFORMED', t.error.message));
  const tx = t.value;
  if (tx.publicKey.length !== PUBLIC_KEY_LENGTH) return err(chainError('TX_BAD_PUBLIC_KEY', 'public key must be 32 bytes'));
  if (tx.signature.length !== SIGNATURE_LENGTH) return err(chainError('TX_BAD_SIGNATURE', 'signature must be 64 bytes'));
  const b = TxBodyCodec.decode(tx.body);
  if (!b.ok) return err(chainError('TX_MALFORMED', 'body: ' + b.error.message));
  const body = b.value;
  if (body.chainId !== opts.chainId) return err(chainError('TX_WRONG_CHAIN', `chain id "${body.chainId}" is not "${opts.chainId}"`));
  const bad = checkTxFields(body);
  if (bad) return err(chainError('TX_INVALID_FIELD', bad));
  const { hash, hashHex } = id ?? txId(bytes);
  return ok({ bytes, hash, hashHex, tx, body, sender: addressOf(tx.publicKey) });
}

export { checkNodeId } from '../kinds/fields.ts';

/** Stateless bounds of the tx's kind (its module in src/kinds/); returns a reason, or null if well-formed. */
export function checkTxFields(body: TxBody): string | null {
  return checkPayload(body);
}

/**
 * Verifies tx signatures once per node: a verified tx hash is remembered (bounded, oldest
 * forgotten first), so the pool's admission check and block validation share one verification.
 * The hash covers body, signature and key, so a cached hash is exactly a verified tx.
 */
export class TxVerifier {
  private readonly verified = new Set<string>();
  private readonly max: number;
  /** The chain whose txs this verifier accepts (see txSignMessage). */
  readonly genesisHash: Uint8Array;
  hits = 0;
  misses = 0;

  constructor(maxEntries = 200_000, genesisHash: Uint8Array = NO_GENESIS) {
    this.max = maxEntries;
    this.genesisHash = genesisHash;
  }

  verify(stx: SignedTx): boolean {
    if (this.verified.has(stx.hashHex)) {
      this.hits++;
      return true;
    }
    this.misses++;
    const okSig = verify(stx.tx.signature, txSignMessage(stx.tx.body, this.genesisHash), stx.tx.publicKey);
    if (okSig) this.remember(stx.hashHex);
    return okSig;
  }

  /**
   * Verifies many txs at once through a batch verifier (e.g. a VerifyPool of worker threads):
   * the same check and the same cache as verify(), the signatures not yet cached are checked
   * together. One verdict per tx, in order.
   */
  async verifyMany(txs: readonly SignedTx[], batch: BatchVerifier): Promise<boolean[]> {
    const out: boolean[] = new Array(txs.length).fill(true);
    const idx: number[] = [];
    const items: VerifyItem[] = [];
    for (let i = 0; i < txs.length; i++) {
      const stx = txs[i];
      if (this.verified.has(stx.hashHex)) {
        this.hits++;
        continue;
      }
      idx.push(i);
      items.push({ signature: stx.tx.signature, message: txSignMessage(stx.tx.body, this.genesisHash), publicKey: stx.tx.publicKey });
    }
    if (items.length === 0) return out;
    this.misses += items.length;
    const verdicts = await batch.verifyMany(items);
    for (let k = 0; k < idx.length; k++) {
      const okSig = verdicts[k] === true;
      out[idx[k]] = okSig;
      if (okSig) this.remember(txs[idx[k]].hashHex);
    }
    return out;
  }

  private remember(hashHex: string): void {
    if (this.verified.has(hashHex)) return;
    if (this.verified.size >= this.max) this.verified.delete(this.verified.values().next().value as string);
    this.verified.add(hashHex);
  }

  /** Forgets a tx (after it is finalized, its verdict is no longer needed). */
  forget(hashHex: string): void {
    this.verified.delete(hashHex);
  }

  get size(): number {
    return this.verified.size;
  }
}

/** Decode + signature check in one step, for callers without a shared verifier. */
export function decodeAndVerifyTx(bytes: Uint8Array, opts: TxCheckOptions, verifier: TxVerifier): Result<SignedTx, ChainError> {
  const r = decodeTx(bytes, opts);
  if (!r.ok) return r;
  if (!verifier.verify(r.value)) return err(chainError('TX_BAD_SIGNATURE', 'signature does not verify', { hash: r.value.hashHex }));
  return r;
}
