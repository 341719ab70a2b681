import { toHex } from '../util/bytes.ts';
import type { SealerSet } from '../chain/sealers.ts';
import type { EngineStatus } from '../consensus/types.ts';
import { peerIdFromPublicKey } from '../p2p/identity.ts';
import type { PeerInfo, PeerStatus } from '../p2p/network.ts';
import type { ChainStore } from '../storage/chain-store.ts';
import type { RpcContext } from './methods.ts';

/** What the status JSON of a node is read from (the composition root provides it). */
export interface StatusSource {
  nodeName: string;
  role: 'sealer' | 'observer';
  /** The sealer set in effect now (the next height's: it follows governance). */
  sealers: () => SealerSet;
  /** Public keys of the configured observers, in config order (named observer-1, …). */
  observerKeys: readonly Uint8Array[];
  store: Pick<ChainStore, 'head'>;
  engine(): EngineStatus;
  viewChanges(): number;
  syncing(): boolean;
  /** Counters of compact proposals (sent, rebuilt from the pool, waited for txs, fetched…), docs/CONSENSUS.md. */
  compactProposals?(): Record<string, number | boolean>;
  /** Last status each peer reported. */
  peerStatus: ReadonlyMap<string, PeerStatus>;
  network: { peers(): PeerInfo[]; connectedPeers(): string[]; readonly peerId: { toString(): string } };
}

/** The JSON of `getConsensusStatus`, `getSyncStatus`, `getPeers`, and `getObservers` (health: rpc/health.ts). */
export class StatusJson {
  private readonly src: StatusSource;
  private peerNames: Map<string, string> | null = null;
  private peerNamesOf: SealerSet | null = null;

  constructor(src: StatusSource) {
    this.src = src;
  }

  /** The RpcContext members that are status JSON. */
  context(): Pick<RpcContext, 'observers' | 'consensusStatus' | 'syncStatus' | 'peers'> {
    return { observers: () => this.observers(), consensusStatus: () => this.consensus(), syncStatus: () => this.sync(), peers: () => this.peers() };
  }

  consensus(): Record<string, unknown> {
    const s = this.src.engine();
    return {
      nodeName: this.src.nodeName,
      role: this.src.role,
      height: this.src.store.head()?.height ?? 0,
      deciding: s.height,
      view: s.view,
      phase: s.phase,
      leader: this.src.sealers().sealers[s.leaderIndex]?.name ?? null,
      leaderIndex: s.leaderIndex,
      lockedHash: s.lockedHash,
      pending: s.pending,
      viewChanges: this.src.viewChanges(),
      timerAt: s.timerAt,
      ...(this.src.compactProposals ? { compactProposals: this.src.compactProposals() } : {}),
    };
  }

  sync(): Record<string, unknown> {
    const h = this.src.store.head();
    const peers = [...this.src.peerStatus.entries()].map(([peerId, s]) => ({ peerId, name: this.nameOfPeer(peerId), height: s.height, headHash: toHex(s.headHash, true) }));
    const highest = Math.max(h?.height ?? 0, ...peers.map((p) => p.height));
    return { syncing: this.src.syncing(), height: h?.height ?? 0, headHash: h ? toHex(h.hash, true) : null, highestPeerHeight: highest, peers };
  }

  peers(): Record<string, unknown>[] {
    return this.src.network.peers().map((p) => {
      const st = this.src.peerStatus.get(p.peerId);
      const name = this.nameOfPeer(p.peerId);
      const isSealer = this.src.sealers().sealers.some((s) => s.name === name);
      return { ...p, name, role: isSealer ? 'sealer' : 'observer', height: st?.height ?? null, headHash: st ? toHex(st.headHash, true) : null };
    });
  }

  observers(): Record<string, unknown>[] {
    const connected = new Set(this.src.network.connectedPeers());
    const me = this.src.network.peerId.toString();
    return this.src.observerKeys.map((pk, i) => {
      const peerId = peerIdFromPublicKey(pk);
      return { name: `observer-${i + 1}`, publicKey: toHex(pk), peerId, connected: connected.has(peerId) || peerId === me };
    });
  }

  /** Names of the known peers: sealers (of the current set and earlier ones), and observers by their order in the config. */
  private nameOfPeer(peerId: string): string | null {
    const set = this.src.sealers();
    if (!this.peerNames || this.peerNamesOf !== set) {
      // rebuilt when the set changes (governance); sealers voted out keep their names
      const names = new Map(this.peerNames ?? []);
      for (const s of set.sealers) names.set(peerIdFromPublicKey(s.publicKey), s.name);
      this.peerNamesOf = set;
      this.src.observerKeys.forEach((k, i) => names.set(peerIdFromPublicKey(k), `observer-${i + 1}`));
      this.peerNames = names;
    }
    return this.peerNames.get(peerId) ?? null;
  }
}
