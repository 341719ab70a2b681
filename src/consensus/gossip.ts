import { ConsensusMessageCodec, ConsensusPayloadCodec, payloadPosition, type ConsensusMessage } from '../codec/consensus.ts';
import { voteBytes } from '../chain/certificate.ts';
import type { SealerSet } from '../chain/sealers.ts';
import { signedBytes } from './engine.ts';
import type { VerifyFn } from './sigmemo.ts';

/** `envelope`: the decoded message, for the caller's next step (compact proposals), so it is not decoded again. */
export type GossipCheck = { ok: true; envelope: ConsensusMessage } | { ok: false; reason: 'malformed' | 'not-a-sealer' | 'bad-signature' | 'undecided-set' | 'stale-height' };

/**
 * The gossip boundary's check of a consensus message, before it is delivered or forwarded:
 * envelope and payload decode, the sender is a sealer of the payload's height, and the
 * envelope signature is that sealer's (votes over voteBytes, every other kind over the
 * consensus domain ‖ payload). A forged message stops at the first honest node. Protocol
 * rules (views, heights, duplicates) stay the engine's. With `decidedThrough` (the highest
 * height whose sealer set this node knows for certain: its applied height + 2, docs/GOVERNANCE.md),
 * a message of a later height that fails the sender or signature check is 'undecided-set'
 * instead: it may be a valid message of a sealer this lagging node does not know yet, so the
 * caller ignores it rather than blaming the peer. With `staleBelow` (the engine's height: every
 * lower height is finalized here), a message of a lower height is 'stale-height' before any
 * signature is checked: the engine would drop it unread, and the caller neither delivers nor
 * forwards it (a peer that lags shows nothing of the next height, so every sealer announces
 * its own commit certificate to it directly, and sync serves it too; docs/CONSENSUS.md).
 */
export function gossipCheck(
  bytes: Uint8Array,
  opts: { chainId: string; sealersAt: (height: number) => SealerSet; verify: VerifyFn; decidedThrough?: number; staleBelow?: number },
): GossipCheck {
  const e = ConsensusMessageCodec.decode(bytes);
  if (!e.ok) return { ok: false, reason: 'malformed' };
  const p = ConsensusPayloadCodec.decode(e.value.payload);
  if (!p.ok) return { ok: false, reason: 'malformed' };
  const pos = payloadPosition(p.value);
  if (opts.staleBelow !== undefined && pos.height < opts.staleBelow) return { ok: false, reason: 'stale-height' };
  const sealers = opts.sealersAt(pos.height);
  const undecided = opts.decidedThrough !== undefined && pos.height > opts.decidedThrough;
  if (e.value.sender >= sealers.n) return { ok: false, reason: undecided ? 'undecided-set' : 'not-a-sealer' };
  const msg = pos.kind === 'prepare' || pos.kind === 'commit' ? voteBytes(pos.kind, opts.chainId, pos.height, pos.view, pos.blockHash!) : signedBytes(e.value.payload);
  if (!opts.verify(e.value.signature, msg, sealers.sealers[e.value.sender].publicKey)) return { ok: false, reason: undecided ? 'undecided-set' : 'bad-signature' };
  return { ok: true, envelope: e.value };
}
