import { describe, it, expect, afterEach, vi } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromPublicKey, peerIdFromSecretKey, Redialer, P2PNetwork } from '../../src/p2p/index.ts';
import { testKeys, startNode, stopNode, stopAll, waitFor, text, bytes, addr, CHAIN } from './helpers.ts';

afterEach(stopAll);

describe('identity', () => {
  it('the peer id follows from the consensus key, so config can compute it from genesis keys', async () => {
    const [k] = testKeys('id', 1);
    expect(peerIdFromPublicKey(k.publicKey)).toBe(await peerIdFromSecretKey(k.secretKey));
    const net = await startNode(k, [k]);
    expect(net.peerId).toBe(peerIdFromPublicKey(k.publicKey));
    expect(Buffer.from(net.publicKey).equals(Buffer.from(k.publicKey))).toBe(true);
    expect(net.listenAddrs()[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${net.peerId}$`));
  });

  it('refuses bad options: short keys, a bootstrap address without /p2p/, an unknown bootstrap peer, a bad chain id', async () => {
    const keys = testKeys('opts', 2);
    const base = { secretKey: keys[0].secretKey, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], chainId: CHAIN, allowedPublicKeys: [keys[0].publicKey] };
    await expect(P2PNetwork.create({ ...base, secretKey: new Uint8Array(31) })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    await expect(P2PNetwork.create({ ...base, chainId: 'bad/chain' })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    await expect(P2PNetwork.create({ ...base, bootstrap: ['/ip4/127.0.0.1/tcp/1'] })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    const other = `/ip4/127.0.0.1/tcp/1/p2p/${peerIdFromPublicKey(keys[1].publicKey)}`;
    await expect(P2PNetwork.create({ ...base, bootstrap: [other] })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    await expect(P2PNetwork.create({ ...base, maxConsensusBytes: 8 * 1024 * 1024 })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    await expect(P2PNetwork.create({ ...base, maxBlocksPerRequest: 0 })).rejects.toMatchObject({ code: 'P2P_BAD_OPTIONS' });
    expect(() => peerIdFromPublicKey(new Uint8Array(5))).toThrow(/32 bytes/);
  });
});

describe('connection gater', () => {
  it('a node with an unknown key cannot connect and gets no messages; the known peers are unaffected', async () => {
    const keys = testKeys('gater', 2);
    const [stranger] = testKeys('stranger', 1);
    const atA: string[] = [];
    const a = await startNode(keys[0], keys, [], {}, {
      onTx: (d) => {
        atA.push(text(d));
        return 'accept';
      },
    });
    const b = await startNode(keys[1], keys, [addr(a)]);
    // the stranger admits A (its own gater would otherwise stop it) and dials it at start
    const x = await startNode(stranger, [stranger, keys[0]], [addr(a)]);
    await waitFor(() => a.getCounters().gaterDenied >= 1, 'A to refuse the stranger');
    // the stranger's dial fails, or completes on its side and is dropped at once by A
    await waitFor(() => {
      const c = x.getCounters();
      return c.dialFailures + c.peerDisconnects >= 1 && x.connectedPeers().length === 0;
    }, "the stranger's dial to fail or be dropped");
    await waitFor(() => b.connectedPeers().length === 1, 'B to connect to A');
    expect(a.connectedPeers()).toEqual([b.peerId]);
    expect(a.peers().map((p) => p.peerId)).not.toContain(x.peerId);

    // A refuses outbound connections to it as well, before any dial
    await expect(a.libp2p.dial(multiaddr(addr(x)))).rejects.toThrow();
    await expect(a.requestStatus(x.peerId)).rejects.toMatchObject({ code: 'P2P_UNKNOWN_PEER' });
    expect(a.connectedPeers()).toEqual([b.peerId]);

    // nothing the stranger publishes reaches A; B's messages do
    expect(await x.publishTx(bytes('from-stranger'))).toBe(0);
    await waitFor(() => b.topicPeers('tx').length === 1, 'B to see A subscribed');
    await b.publishTx(bytes('from-b'));
    await waitFor(() => atA.length === 1, 'A to receive B’s tx');
    expect(atA).toEqual(['from-b']);
    expect(a.getCounters().messagesIn.tx).toBe(1);
  });
});

describe('redial', () => {
  it('backoff doubles per failure and is capped', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => Redialer.delay(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('a failing static peer is redialled on that schedule (with jitter), and stop() cancels the timer', async () => {
    vi.useFakeTimers();
    try {
      const dialTimes: number[] = [];
      const failures: number[] = [];
      const r = new Redialer(
        {
          dial: async () => {
            dialTimes.push(Date.now());
            throw new Error('refused');
          },
          isConnected: () => false,
          onDial: () => {},
          onDialFailure: (_p, _e, next) => failures.push(next),
          dialTimeoutMs: 1000,
          baseMs: 100,
          maxMs: 1000,
          stableMs: 5000,
          random: () => 1, // no jitter: delays are exact
        },
        [{ peerId: 'p', addr: multiaddr('/ip4/127.0.0.1/tcp/1') }],
      );
      const t0 = Date.now();
      r.start();
      await vi.advanceTimersByTimeAsync(5000);
      expect(failures.slice(0, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
      expect(dialTimes.slice(0, 5).map((t) => t - t0)).toEqual([0, 100, 300, 700, 1500]);
      r.stop();
      const n = dialTimes.length;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(dialTimes.length).toBe(n);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a static peer that restarts on the same port with the same key is redialled', async () => {
    const keys = testKeys('redial', 2);
    let a = await startNode(keys[0], keys);
    const port = multiaddr(addr(a)).getComponents().find((c) => c.name === 'tcp')!.value;
    const b = await startNode(keys[1], keys, [addr(a)]);
    await waitFor(() => b.connectedPeers().length === 1 && a.connectedPeers().length === 1, 'A and B to connect');

    await stopNode(a);
    await waitFor(() => b.connectedPeers().length === 0, 'B to notice A is gone');
    await waitFor(() => b.getCounters().dialFailures >= 2, 'B to fail redialling A at least twice');
    expect(b.peers()).toEqual([expect.objectContaining({ peerId: a.peerId, connected: false, static: true })]);

    const got: string[] = [];
    a = await startNode(keys[0], keys, [], { listen: [`/ip4/127.0.0.1/tcp/${port}`] }, {
      onConsensus: (d) => {
        got.push(text(d));
        return 'accept';
      },
    });
    await waitFor(() => b.connectedPeers().length === 1, 'B to reconnect to the restarted A', 10_000);
    expect(b.peers()).toEqual([expect.objectContaining({ peerId: a.peerId, connected: true })]);
    await waitFor(() => b.topicPeers('consensus').length === 1, 'B to see A subscribed again');
    await b.publishConsensus(bytes('after-restart'));
    await waitFor(() => got.length === 1, 'the restarted A to receive gossip');
    expect(got).toEqual(['after-restart']);
  });
});
