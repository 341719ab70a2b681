import { P2PNetwork, type P2POptions, type P2PModules } from '../../src/p2p/index.ts';
import { keyPairFromLabel, type KeyPair } from '../../src/crypto/index.ts';

export const CHAIN = 'p2p-test';

export function testKeys(tag: string, n: number): KeyPair[] {
  return Array.from({ length: n }, (_, i) => keyPairFromLabel(`p2p-${tag}-${i}`));
}

/** Every network a test starts; the test file stops them all in afterEach. */
export const running = new Set<P2PNetwork>();

export async function stopAll(): Promise<void> {
  const nets = [...running];
  running.clear();
  await Promise.all(nets.map((n) => n.stop()));
}

export async function startNode(
  key: KeyPair,
  allowed: KeyPair[],
  bootstrap: string[] = [],
  extra: Partial<P2POptions> = {},
  modules: P2PModules = {},
): Promise<P2PNetwork> {
  const net = await P2PNetwork.create(
    {
      secretKey: key.secretKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      chainId: CHAIN,
      allowedPublicKeys: allowed.map((k) => k.publicKey),
      redialBaseMs: 100,
      redialMaxMs: 800,
      heartbeatMs: 200,
      ...extra,
    },
    modules,
  );
  running.add(net);
  return net;
}

export async function stopNode(net: P2PNetwork): Promise<void> {
  running.delete(net);
  await net.stop();
}

/** Polls `cond` every 20 ms; throws if it is still false after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function addr(net: P2PNetwork): string {
  return net.listenAddrs()[0];
}
