/** Plain counters the node exports as metrics (docs/P2P.md, "Counters"). */

export type GossipKind = 'tx' | 'consensus';
export type RejectReason = 'too_large' | 'signed' | 'no_nonce' | 'unknown_peer' | 'handler_reject' | 'handler_error';
export type RequestKind = 'status' | 'blocks' | 'txs';

export interface P2PCounters {
  /** Gossip messages received from peers and passed to validation, by topic. */
  messagesIn: Record<GossipKind, number>;
  /** Received messages the handler accepted (forwarded on), by topic. */
  messagesAccepted: Record<GossipKind, number>;
  /** Received messages ignored (handler said ignore, or no handler yet), by topic. */
  messagesIgnored: Record<GossipKind, number>;
  /** Received consensus messages whose content was accepted within the replay window: ignored, not forwarded. */
  messagesReplayed: Record<GossipKind, number>;
  /** Messages published by this node, by topic. */
  messagesOut: Record<GossipKind, number>;
  /** Received messages rejected (not forwarded, penalise the sender), by reason. */
  rejected: Record<RejectReason, number>;
  /** Inbound requests served successfully / answered with an error or aborted. */
  requestsServed: Record<RequestKind, number>;
  requestsFailed: Record<RequestKind, number>;
  /** Outbound requests that completed / failed (including timeouts). */
  requestsSent: Record<RequestKind, number>;
  requestsSentFailed: Record<RequestKind, number>;
  /** Connection attempts refused by the gater (either direction). */
  gaterDenied: number;
  /** Dials of static peers started / failed. */
  dials: number;
  dialFailures: number;
  /** Peer connect / disconnect events. */
  peerConnects: number;
  peerDisconnects: number;
}

export function newCounters(): P2PCounters {
  return {
    messagesIn: { tx: 0, consensus: 0 },
    messagesAccepted: { tx: 0, consensus: 0 },
    messagesIgnored: { tx: 0, consensus: 0 },
    messagesReplayed: { tx: 0, consensus: 0 },
    messagesOut: { tx: 0, consensus: 0 },
    rejected: { too_large: 0, signed: 0, no_nonce: 0, unknown_peer: 0, handler_reject: 0, handler_error: 0 },
    requestsServed: { status: 0, blocks: 0, txs: 0 },
    requestsFailed: { status: 0, blocks: 0, txs: 0 },
    requestsSent: { status: 0, blocks: 0, txs: 0 },
    requestsSentFailed: { status: 0, blocks: 0, txs: 0 },
    gaterDenied: 0,
    dials: 0,
    dialFailures: 0,
    peerConnects: 0,
    peerDisconnects: 0,
  };
}

/** A deep copy, so callers cannot change the live counters. */
export function snapshotCounters(c: P2PCounters): P2PCounters {
  return structuredClone(c);
}
