import { sha256, ZERO_HASH } from '../crypto/hash.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { BlockCodec, BlockHeaderCodec } from '../codec/chain.ts';
import type { Block, BlockHeader, ChainParams } from '../codec/types.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { type Result, ok, err } from '../util/errors.ts';
import { chainError, type ChainError } from './errors.ts';
import { decodeTx, type SignedTx } from './tx.ts';

/** A decoded block with its hash and decoded transactions. */
export interface DecodedBlock {
  /** The encoded Block. */
  readonly bytes: Uint8Array;
  readonly headerBytes: Uint8Array;
  readonly header: BlockHeader;
  /** SHA-256 of the header bytes. */
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly txs: readonly SignedTx[];
}

export function blockHash(headerBytes: Uint8Array): Uint8Array {
  return sha256(headerBytes);
}

export function txRoot(txs: readonly SignedTx[]): Uint8Array {
  return merkleRoot(txs.map((t) => t.hash));
}

export interface HeaderFields {
  chainId: string;
  height: number;
  parentHash: Uint8Array;
  timestamp: number;
  proposer: Uint8Array;
  view: number;
  stateRoot: Uint8Array;
  receiptRoot: Uint8Array;
}

/** Assembles a block from header fields and already-decoded txs (tx root and count are derived). */
export function buildBlock(fields: HeaderFields, txs: readonly SignedTx[]): DecodedBlock {
  const header: BlockHeader = { ...fields, txRoot: txRoot(txs), txCount: txs.length };
  const headerBytes = BlockHeaderCodec.encode(header);
  const block: Block = { header: headerBytes, txs: txs.map((t) => t.bytes) };
  const bytes = BlockCodec.encode(block);
  const hash = blockHash(headerBytes);
  return { bytes, headerBytes, header, hash, hashHex: toHex(hash, true), txs };
}

export interface BlockCheckOptions {
  chainId: string;
  params: Pick<ChainParams, 'maxBlockTxs' | 'maxBlockBytes' | 'maxTxBytes'>;
}

/**
 * Decodes untrusted block bytes and checks what needs no state: limits, canonical
 * encodings, chain id, every tx's structure, tx count, tx root, no duplicate txs.
 * Tx signatures, parent, proposer, timestamp and state root are checked by the caller.
 */
export function decodeBlock(bytes: Uint8Array, opts: BlockCheckOptions): Result<DecodedBlock, ChainError> {
  if (!(bytes instanceof Uint8Array)) return err(chainError('BLOCK_MALFORMED', 'block is not bytes'));
  if (bytes.length > opts.params.maxBlockBytes) return err(chainError('BLOCK_TOO_LARGE', `block is ${bytes.length} bytes, limit ${opts.params.maxBlockBytes}`));
  const b = BlockCodec.decode(bytes);
  if (!b.ok) return err(chainError('BLOCK_MALFORMED', b.error.message));
  const h = BlockHeaderCodec.decode(b.value.header);
  if (!h.ok) return err(chainError('BLOCK_MALFORMED', 'header: ' + h.error.message));
  const header = h.value;
  if (header.chainId !== opts.chainId) return err(chainError('BLOCK_WRONG_CHAIN', `chain id "${header.chainId}" is not "${opts.chainId}"`));
  if (header.parentHash.length !== 32 || header.txRoot.length !== 32 || header.stateRoot.length !== 32 || header.receiptRoot.length !== 32) {
    return err(chainError('BLOCK_MALFORMED', 'header hashes must be 32 bytes'));
  }
  if (b.value.txs.length > opts.params.maxBlockTxs) return err(chainError('BLOCK_TOO_MANY_TXS', `${b.value.txs.length} txs, limit ${opts.params.maxBlockTxs}`));
  if (header.txCount !== b.value.txs.length) return err(chainError('BLOCK_BAD_TX_COUNT', `header says ${header.txCount} txs, block has ${b.value.txs.length}`));
  const txs: SignedTx[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < b.value.txs.length; i++) {
    const t = decodeTx(b.value.txs[i], { chainId: opts.chainId, maxTxBytes: opts.params.maxTxBytes });
    if (!t.ok) return err(chainError('BLOCK_BAD_TX', `tx ${i}: ${t.error.message}`, { index: i, code: t.error.code }));
    if (seen.has(t.value.hashHex)) return err(chainError('BLOCK_DUPLICATE_TX', `tx ${i} appears twice`, { index: i }));
    seen.add(t.value.hashHex);
    txs.push(t.value);
  }
  if (!equalBytes(txRoot(txs), header.txRoot)) return err(chainError('BLOCK_BAD_TX_ROOT', 'tx root does not match the txs'));
  const hash = blockHash(b.value.header);
  return ok({ bytes, headerBytes: b.value.header, header, hash, hashHex: toHex(hash, true), txs });
}

/**
 * A block from its header bytes and txs that were already decoded (by decodeTx, with this
 * chain's id and tx limit: a pool's txs, or fetched ones) — the compact proposal's rebuild.
 * Makes the same checks as decodeBlock over what it is given (header, chain id, limits, tx
 * count, no duplicate, tx root), so the result is what decodeBlock would return for the block's
 * bytes; only the txs are not decoded again. Never throws.
 */
export function assembleBlock(headerBytes: Uint8Array, txs: readonly SignedTx[], opts: BlockCheckOptions): Result<DecodedBlock, ChainError> {
  const h = BlockHeaderCodec.decode(headerBytes);
  if (!h.ok) return err(chainError('BLOCK_MALFORMED', 'header: ' + h.error.message));
  const header = h.value;
  if (header.chainId !== opts.chainId) return err(chainError('BLOCK_WRONG_CHAIN', `chain id "${header.chainId}" is not "${opts.chainId}"`));
  if (header.parentHash.length !== 32 || header.txRoot.length !== 32 || header.stateRoot.length !== 32 || header.receiptRoot.length !== 32) {
    return err(chainError('BLOCK_MALFORMED', 'header hashes must be 32 bytes'));
  }
  if (txs.length > opts.params.maxBlockTxs) return err(chainError('BLOCK_TOO_MANY_TXS', `${txs.length} txs, limit ${opts.params.maxBlockTxs}`));
  if (header.txCount !== txs.length) return err(chainError('BLOCK_BAD_TX_COUNT', `header says ${header.txCount} txs, block has ${txs.length}`));
  const seen = new Set<string>();
  for (let i = 0; i < txs.length; i++) {
    const t = txs[i];
    if (t.bytes.length > opts.params.maxTxBytes || t.body.chainId !== opts.chainId) return err(chainError('BLOCK_BAD_TX', `tx ${i}: not a tx of this chain within its limits`, { index: i }));
    if (seen.has(t.hashHex)) return err(chainError('BLOCK_DUPLICATE_TX', `tx ${i} appears twice`, { index: i }));
    seen.add(t.hashHex);
  }
  if (!equalBytes(txRoot(txs), header.txRoot)) return err(chainError('BLOCK_BAD_TX_ROOT', 'tx root does not match the txs'));
  const bytes = BlockCodec.encode({ header: headerBytes, txs: txs.map((t) => t.bytes) });
  if (bytes.length > opts.params.maxBlockBytes) return err(chainError('BLOCK_TOO_LARGE', `block is ${bytes.length} bytes, limit ${opts.params.maxBlockBytes}`));
  const hash = blockHash(headerBytes);
  return ok({ bytes, headerBytes, header, hash, hashHex: toHex(hash, true), txs });
}

export { ZERO_HASH };
