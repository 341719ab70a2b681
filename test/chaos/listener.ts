/**
 * The chaos runner's double-sign detector: a passive gossip listener. It joins the testnet as
 * a peer with a spare observer key of the genesis (so the sealers' connection gater admits
 * it), dials every node, subscribes to the consensus topic and records each signed vote it
 * sees. It never forwards anything: every message gets the verdict `ignore`, so gossipsub
 * neither relays it nor keeps it for IHAVE/IWANT, and it serves no status or blocks (nodes
 * never sync from it). A node's cut links therefore stay cut.
 *
 * Black-box: it reads only what a sealer put on the wire and checks each signature against
 * the sealer's public key from the genesis, as any peer could. Two validly signed messages of
 * one sealer with the same (kind, height, view) and different block hashes are a double
 * sign (PRE-PREPARE, PREPARE, COMMIT, NEW-VIEW).
 */
import { P2PNetwork } from '../../src/p2p/index.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, type ConsensusPayload } from '../../src/codec/consensus.ts';
import { voteBytes } from '../../src/chain/certificate.ts';
import { signedBytes } from '../../src/consensus/engine.ts';
import { verify } from '../../src/crypto/keys.ts';
import { toHex } from '../../src/util/bytes.ts';

export interface DoubleSign {
  sealer: number;
  kind: string;
  height: number;
  view: number;
  hashes: string[];
}

export interface ListenerStats {
  messages: number;
  badSignature: number;
  malformed: number;
  /** Distinct (sealer, kind, height, view) votes recorded. */
  votes: number;
  bySealer: number[];
}

function position(p: ConsensusPayload): { kind: string; height: number; view: number; hash: Uint8Array } | null {
  if (p.prePrepare) return { kind: 'prePrepare', height: p.prePrepare.height, view: p.prePrepare.view, hash: p.prePrepare.blockHash };
  if (p.prepare) return { kind: 'prepare', height: p.prepare.height, view: p.prepare.view, hash: p.prepare.blockHash };
  if (p.commit) return { kind: 'commit', height: p.commit.height, view: p.commit.view, hash: p.commit.blockHash };
  if (p.newView) return { kind: 'newView', height: p.newView.height, view: p.newView.view, hash: p.newView.blockHash };
  return null; // VIEW-CHANGE carries no block hash of its own
}

export class VoteListener {
  private net: P2PNetwork | null = null;
  private readonly seen = new Map<string, Set<string>>();
  private readonly conflicts: DoubleSign[] = [];
  readonly stats: ListenerStats;
  private readonly chainId: string;
  private readonly sealerKeys: Uint8Array[];

  constructor(chainId: string, sealerKeys: Uint8Array[]) {
    this.chainId = chainId;
    this.sealerKeys = sealerKeys;
    this.stats = { messages: 0, badSignature: 0, malformed: 0, votes: 0, bySealer: sealerKeys.map(() => 0) };
  }

  async start(opts: { secretKey: Uint8Array; listen: string; bootstrap: string[]; allowedPublicKeys: Uint8Array[] }): Promise<void> {
    this.net = await P2PNetwork.create(
      {
        secretKey: opts.secretKey,
        listen: [opts.listen],
        bootstrap: opts.bootstrap,
        chainId: this.chainId,
        allowedPublicKeys: opts.allowedPublicKeys,
        // reconnect quickly to a restarted node: its votes are what we are here for
        redialBaseMs: 200,
        redialMaxMs: 1_000,
      },
      { onConsensus: (bytes) => this.observe(bytes) },
    );
  }

  /** One consensus gossip message (the handler the network calls; public so a test can feed it). */
  observe(bytes: Uint8Array): 'ignore' {
    this.stats.messages++;
    const e = ConsensusMessageCodec.decode(bytes);
    const p = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
    if (!e.ok || !p || !p.ok) {
      this.stats.malformed++;
      return 'ignore';
    }
    const env = e.value;
    const pos = position(p.value);
    if (!pos) return 'ignore';
    const pub = this.sealerKeys[env.sender];
    if (!pub) {
      this.stats.malformed++;
      return 'ignore';
    }
    const msg = pos.kind === 'prepare' || pos.kind === 'commit' ? voteBytes(pos.kind, this.chainId, pos.height, pos.view, pos.hash) : signedBytes(env.payload);
    if (!verify(env.signature, msg, pub)) {
      this.stats.badSignature++;
      return 'ignore';
    }
    const key = `${env.sender}/${pos.kind}/${pos.height}/${pos.view}`;
    const hash = toHex(pos.hash);
    let set = this.seen.get(key);
    if (!set) {
      set = new Set();
      this.seen.set(key, set);
      this.stats.votes++;
      this.stats.bySealer[env.sender]++;
    }
    if (!set.has(hash)) {
      set.add(hash);
      if (set.size === 2) this.conflicts.push({ sealer: env.sender, kind: pos.kind, height: pos.height, view: pos.view, hashes: [...set] });
      else if (set.size > 2) this.conflicts.find((c) => `${c.sealer}/${c.kind}/${c.height}/${c.view}` === key)!.hashes = [...set];
    }
    return 'ignore';
  }

  doubleSigns(): DoubleSign[] {
    return this.conflicts.map((c) => ({ ...c, hashes: [...c.hashes] }));
  }

  connectedPeers(): number {
    return this.net ? this.net.connectedPeers().length : 0;
  }

  async stop(): Promise<void> {
    const n = this.net;
    this.net = null;
    await n?.stop();
  }
}
