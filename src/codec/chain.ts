import { messageCodec } from './codec.ts';
import { TX_KINDS, type Block, type BlockHeader, type CommitCertificate, type FinalizedBlock, type Genesis, type Receipt, type Tx, type TxBody } from './types.ts';

/**
 * Hard ceilings of the codec layer: no message of these types is ever parsed above them.
 * Chain parameters (genesis) set the tighter limits that consensus enforces.
 */
export const LIMITS = {
  tx: 16 * 1024,
  txBody: 16 * 1024,
  header: 1024,
  block: 32 * 1024 * 1024,
  certificate: 64 * 1024,
  finalizedBlock: 33 * 1024 * 1024,
  receipt: 4 * 1024,
  genesis: 1024 * 1024,
} as const;

export const TxCodec = messageCodec<Tx>('Tx', { maxBytes: LIMITS.tx });
export const TxBodyCodec = messageCodec<TxBody>('TxBody', {
  maxBytes: LIMITS.txBody,
  check: (b) => (b.kind && (TX_KINDS as readonly string[]).includes(b.kind) ? null : 'no transaction kind set'),
});
export const BlockHeaderCodec = messageCodec<BlockHeader>('BlockHeader', { maxBytes: LIMITS.header });
export const BlockCodec = messageCodec<Block>('Block', { maxBytes: LIMITS.block });
export const CommitCertificateCodec = messageCodec<CommitCertificate>('CommitCertificate', { maxBytes: LIMITS.certificate });
export const FinalizedBlockCodec = messageCodec<FinalizedBlock>('FinalizedBlock', { maxBytes: LIMITS.finalizedBlock });
export const ReceiptCodec = messageCodec<Receipt>('Receipt', { maxBytes: LIMITS.receipt });
export const GenesisCodec = messageCodec<Genesis>('Genesis', { maxBytes: LIMITS.genesis });
