import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromPublicKey as libp2pPeerIdFromPublicKey } from '@libp2p/peer-id';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { toHex } from '../util/bytes.ts';
import { P2PError } from './errors.ts';

/**
 * The node's Ed25519 consensus key is its libp2p identity: the peer id is the identity
 * multihash of the public key, so the peer id of any sealer follows from the genesis.
 */

/** libp2p private key from a 32-byte Ed25519 seed (the node's consensus secret key). */
export async function libp2pKeyFromSeed(seed: Uint8Array): Promise<Ed25519PrivateKey> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new P2PError('P2P_BAD_OPTIONS', 'secretKey must be a 32-byte Ed25519 seed');
  return generateKeyPairFromSeed('Ed25519', seed);
}

/** Peer id string ("12D3KooW…") of a 32-byte Ed25519 public key. */
export function peerIdFromPublicKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) throw new P2PError('P2P_BAD_OPTIONS', 'public key must be 32 bytes');
  return libp2pPeerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
}

/** Peer id string of a 32-byte Ed25519 seed. */
export async function peerIdFromSecretKey(seed: Uint8Array): Promise<string> {
  return peerIdFromPrivateKey(await libp2pKeyFromSeed(seed)).toString();
}

/** Raw 32-byte Ed25519 public key embedded in a peer id, or null for other key types. */
export function publicKeyOfPeer(peer: PeerId): Uint8Array | null {
  if (peer.type !== 'Ed25519' || peer.publicKey == null) return null;
  return peer.publicKey.raw;
}

/**
 * The set of admitted peers: peer id string → public key hex. Built from the configured keys
 * and replaced whole when the on-chain members change (`replace`, docs/GOVERNANCE.md);
 * lookups by peer id string.
 */
export class AllowList {
  private byPeerId = new Map<string, Uint8Array>();
  constructor(publicKeys: Uint8Array[]) {
    for (const pk of publicKeys) this.byPeerId.set(peerIdFromPublicKey(pk), new Uint8Array(pk));
  }
  /** Admits exactly `publicKeys` from now on; returns the peer ids no longer admitted and those newly admitted. */
  replace(publicKeys: Uint8Array[]): { removed: string[]; added: string[] } {
    const next = new Map<string, Uint8Array>();
    for (const pk of publicKeys) next.set(peerIdFromPublicKey(pk), new Uint8Array(pk));
    const removed = [...this.byPeerId.keys()].filter((id) => !next.has(id));
    const added = [...next.keys()].filter((id) => !this.byPeerId.has(id));
    this.byPeerId = next;
    return { removed, added };
  }
  has(peer: PeerId | string): boolean {
    return this.byPeerId.has(typeof peer === 'string' ? peer : peer.toString());
  }
  publicKey(peer: PeerId | string): Uint8Array | undefined {
    return this.byPeerId.get(typeof peer === 'string' ? peer : peer.toString());
  }
  publicKeyHex(peer: PeerId | string): string | undefined {
    const pk = this.publicKey(peer);
    return pk ? toHex(pk) : undefined;
  }
  get size(): number {
    return this.byPeerId.size;
  }
}
