import type { ConnectionGater, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { AllowList } from './identity.ts';

/**
 * Admits only peers whose Ed25519 key is in the allow list. Outbound: refused before the
 * dial (by peer id, or by the /p2p/ part of the address). Inbound: the peer id is first
 * known once the Noise handshake authenticates it, so `denyInboundEncryptedConnection` is
 * the earliest hook; the connection is dropped before any protocol (identify, gossipsub,
 * requests) runs on it. The later hooks repeat the check as defence in depth.
 */
export function allowListGater(allow: AllowList, onDeny: (peer: string, hook: string) => void): ConnectionGater {
  const deny = (peer: PeerId, hook: string): boolean => {
    if (allow.has(peer)) return false;
    onDeny(peer.toString(), hook);
    return true;
  };
  return {
    denyDialPeer: (peer) => deny(peer, 'dialPeer'),
    denyDialMultiaddr: (ma: Multiaddr) => {
      const p2p = ma.getComponents().find((c) => c.name === 'p2p')?.value;
      if (p2p === undefined || allow.has(p2p)) return false;
      onDeny(p2p, 'dialMultiaddr');
      return true;
    },
    denyOutboundConnection: (peer) => deny(peer, 'outboundConnection'),
    denyInboundEncryptedConnection: (peer) => deny(peer, 'inboundEncrypted'),
    denyOutboundEncryptedConnection: (peer) => deny(peer, 'outboundEncrypted'),
    denyInboundUpgradedConnection: (peer) => deny(peer, 'inboundUpgraded'),
    denyOutboundUpgradedConnection: (peer) => deny(peer, 'outboundUpgraded'),
    denyInboundRelayReservation: () => true,
    denyOutboundRelayedConnection: () => true,
    denyInboundRelayedConnection: () => true,
  };
}
