import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { lpStream } from '@libp2p/utils';
import { peerIdFromString } from '@libp2p/peer-id';
import {
  StatusRequestCodec, StatusResponseCodec, BlocksRequestCodec, BlocksResponseCodec, TxsRequestCodec, TxsResponseCodec,
} from '../../src/codec/p2p.ts';
import { toHex } from '../../src/util/bytes.ts';
import { ResultCode, type P2PNetwork, type PeerStatus } from '../../src/p2p/index.ts';
import { testKeys, startNode, stopAll, waitFor, addr, text, bytes } from './helpers.ts';

afterEach(stopAll);

const HEAD = 10;
const hash = (n: number) => new Uint8Array(32).fill(n);
const block = (h: number) => bytes(`block-${h}`);

/** Sends one raw frame on a protocol and returns the raw response frame (or throws). */
async function rawRequest(client: P2PNetwork, server: P2PNetwork, protocol: string, frame: Uint8Array): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(5000);
  const stream = await client.libp2p.dialProtocol(peerIdFromString(server.peerId), protocol, { signal });
  try {
    const lp = lpStream(stream);
    await lp.write(frame, { signal });
    await stream.close({ signal });
    return (await lp.read({ signal })).subarray();
  } catch (e) {
    stream.abort(e as Error);
    throw e;
  }
}

describe('p2p message codecs', () => {
  it('round trip, and refuse hashes of the wrong length and malformed bytes', () => {
    const s = { height: 42, headHash: hash(1), genesisHash: hash(2) };
    for (const codec of [StatusRequestCodec, StatusResponseCodec]) {
      const r = codec.decode(codec.encode(s));
      expect(r.ok && r.value.height === 42 && toHex(r.value.headHash) === toHex(s.headHash)).toBe(true);
      expect(codec.decode(codec.encode({ ...s, headHash: new Uint8Array(31) })).ok).toBe(false);
    }
    const b = BlocksResponseCodec.decode(BlocksResponseCodec.encode({ blocks: [bytes('x'), bytes('yz')] }));
    expect(b.ok && b.value.blocks.map(text)).toEqual(['x', 'yz']);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (junk) => {
        // never throws, whatever the bytes
        for (const c of [StatusRequestCodec, BlocksRequestCodec, BlocksResponseCodec]) c.decode(junk);
      }),
    );
  });
});

describe('status and blocks protocols', () => {
  const budgets: number[] = [];
  async function pair(serverExtra = {}) {
    const keys = testKeys('rr', 2);
    const peerStatuses: [string, PeerStatus][] = [];
    let release: () => void = () => {};
    const stalled = new Promise<void>((r) => (release = r));
    const server = await startNode(keys[0], keys, [], { maxBlocksResponseBytes: 4096, serverTimeoutMs: 2000, ...serverExtra }, {
      statusProvider: () => ({ height: HEAD, headHash: hash(HEAD), genesisHash: hash(0) }),
      blocksProvider: async (from, count, maxBytes) => {
        budgets.push(maxBytes);
        if (from === 1000) {
          await stalled; // a server that never answers in time
          return [];
        }
        if (from === 2000) throw new Error('disk on fire');
        if (from === 4000) return Array.from({ length: count }, (_, i) => new Uint8Array(2 * 1024 * 1024).fill(i + 1));
        if (from === 3000) return Array.from({ length: count }, () => new Uint8Array(1000).fill(7));
        const out: Uint8Array[] = [];
        for (let h = from; h < from + count && h <= HEAD; h++) out.push(block(h));
        return out;
      },
      onPeerStatus: (id, s) => peerStatuses.push([id, s]),
    });
    const client = await startNode(keys[1], keys, [addr(server)], {}, {
      statusProvider: () => ({ height: 3, headHash: hash(3), genesisHash: hash(0) }),
    });
    await waitFor(() => client.connectedPeers().length === 1, 'client to connect');
    return { server, client, peerStatuses, release };
  }

  it('status: round trip both ways (the request carries the client status)', async () => {
    const { server, client, peerStatuses } = await pair();
    const s = await client.requestStatus(server.peerId);
    expect(s.height).toBe(HEAD);
    expect(toHex(s.headHash)).toBe(toHex(hash(HEAD)));
    expect(toHex(s.genesisHash)).toBe(toHex(hash(0)));
    expect(peerStatuses).toHaveLength(1);
    expect(peerStatuses[0][0]).toBe(client.peerId);
    expect(peerStatuses[0][1].height).toBe(3);
    expect(server.getCounters().requestsServed.status).toBe(1);
    expect(client.getCounters().requestsSent.status).toBe(1);
  });

  it('blocks: ranges, the end of the chain, the byte budget and the count bound', async () => {
    const { server, client } = await pair();
    expect((await client.requestBlocks(server.peerId, 3, 5)).map(text)).toEqual(['block-3', 'block-4', 'block-5', 'block-6', 'block-7']);
    expect((await client.requestBlocks(server.peerId, 8, 5)).map(text)).toEqual(['block-8', 'block-9', 'block-10']);
    expect(await client.requestBlocks(server.peerId, 11, 5)).toEqual([]);
    // 1000-byte blocks against a 4096-byte budget: a shorter prefix, never more than the budget
    budgets.length = 0;
    const big = await client.requestBlocks(server.peerId, 3000, 10);
    expect(big.length).toBe(4);
    // the provider is told the byte budget, so it can stop reading before it is spent
    expect(budgets).toEqual([4096]);
    // the client refuses to ask for more than the bound
    await expect(client.requestBlocks(server.peerId, 0, 129)).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    await expect(client.requestBlocks(server.peerId, 0, 0)).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    await expect(client.requestBlocks(server.peerId, -1, 1)).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    // and the server refuses it when a peer asks anyway
    const resp = await rawRequest(client, server, server.protocols.blocks, BlocksRequestCodec.encode({ fromHeight: 0, count: 1000 }));
    expect(resp[0]).toBe(ResultCode.invalidRequest);
    expect(text(resp.subarray(1))).toMatch(/count must be 1\.\.128/);
    expect(server.getCounters().requestsServed.blocks).toBe(4);
  });

  it('a response above libp2p\'s 4 MiB stream defaults is delivered whole (3 blocks of 2 MiB, 7 MiB budget)', async () => {
    const { server, client } = await pair({ maxBlocksResponseBytes: 7 * 1024 * 1024 });
    const blocks = await client.requestBlocks(server.peerId, 4000, 5, { signal: AbortSignal.timeout(10_000) });
    expect(blocks.map((b) => [b.length, b[0]])).toEqual([[2 * 1024 * 1024, 1], [2 * 1024 * 1024, 2], [2 * 1024 * 1024, 3]]);
  });

  it('malformed requests get an error or a reset stream; the server keeps serving', async () => {
    const { server, client } = await pair();
    const garbage = await rawRequest(client, server, server.protocols.blocks, new Uint8Array([0xff, 0xff, 0xff]));
    expect(garbage[0]).toBe(ResultCode.invalidRequest);
    const badStatus = await rawRequest(client, server, server.protocols.status, StatusRequestCodec.encode({ height: 1, headHash: new Uint8Array(3), genesisHash: hash(0) }));
    expect(badStatus[0]).toBe(ResultCode.invalidRequest);
    // a frame over the request limit (64 bytes for blocks) resets the stream
    await expect(rawRequest(client, server, server.protocols.blocks, new Uint8Array(1000))).rejects.toThrow();
    // a provider that throws becomes a server error for the client
    await expect(client.requestBlocks(server.peerId, 2000, 1)).rejects.toMatchObject({ code: 'P2P_REMOTE_ERROR', data: { result: 'serverError' } });
    expect((await client.requestBlocks(server.peerId, 1, 2)).map(text)).toEqual(['block-1', 'block-2']);
    expect((await client.requestStatus(server.peerId)).height).toBe(HEAD);
    const c = server.getCounters();
    expect(c.requestsFailed.blocks).toBe(3);
    expect(c.requestsFailed.status).toBe(1);
  });

  it('a stalled server: the client request ends with a timeout through its AbortSignal', async () => {
    const { server, client, release } = await pair();
    // the request ends because its signal fired (the server never answers before release()),
    // and not before: a slow machine can only make it later, which is not a failure
    const signal = AbortSignal.timeout(300);
    let abortedBeforeRejection = false;
    const t0 = Date.now();
    await expect(
      client.requestBlocks(server.peerId, 1000, 1, { signal }).catch((e) => {
        abortedBeforeRejection = signal.aborted;
        throw e;
      }),
    ).rejects.toMatchObject({ code: 'P2P_REQUEST_TIMEOUT' });
    expect(abortedBeforeRejection).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    // a caller's own abort is reported as such
    const ac = new AbortController();
    const p = client.requestBlocks(server.peerId, 1000, 1, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'P2P_REQUEST_FAILED' });
    release();
    // the connection and the server are fine afterwards
    expect((await client.requestBlocks(server.peerId, 10, 1)).map(text)).toEqual(['block-10']);
    expect(client.getCounters().requestsSentFailed.blocks).toBe(2);
  });

  it('a peer that opens a stream and sends nothing is cut off by the server timeout', async () => {
    const { server, client } = await pair({ serverTimeoutMs: 300 });
    const stream = await client.libp2p.dialProtocol(peerIdFromString(server.peerId), server.protocols.status, { signal: AbortSignal.timeout(5000) });
    // the read ends because the server closed the stream, not because our own (long) signal fired
    const own = AbortSignal.timeout(45_000);
    let ownFired = true;
    await expect(
      lpStream(stream).read({ signal: own }).catch((e) => {
        ownFired = own.aborted;
        throw e;
      }),
    ).rejects.toThrow();
    expect(ownFired).toBe(false);
    await waitFor(() => server.getCounters().requestsFailed.status === 1, 'the server to count the dropped stream');
    expect((await client.requestStatus(server.peerId)).height).toBe(HEAD);
  });

  it('a server without providers answers "unavailable"; requests to unknown or malformed peer ids fail cleanly', async () => {
    const keys = testKeys('rr-empty', 2);
    const server = await startNode(keys[0], keys);
    const client = await startNode(keys[1], keys, [addr(server)]);
    await waitFor(() => client.connectedPeers().length === 1, 'client to connect');
    await expect(client.requestStatus(server.peerId)).rejects.toMatchObject({ code: 'P2P_REMOTE_ERROR', data: { result: 'unavailable' } });
    await expect(client.requestBlocks(server.peerId, 0, 1)).rejects.toMatchObject({ code: 'P2P_REMOTE_ERROR', data: { result: 'unavailable' } });
    await expect(client.requestStatus('not-a-peer-id')).rejects.toMatchObject({ code: 'P2P_UNKNOWN_PEER' });
    await server.stop();
    await expect(server.requestStatus(client.peerId)).rejects.toMatchObject({ code: 'P2P_NOT_STARTED' });
    await expect(server.publishTx(bytes('x'))).rejects.toMatchObject({ code: 'P2P_NOT_STARTED' });
  });
});

describe('txs protocol (compact-proposal fetch)', () => {
  const id = (n: number) => new Uint8Array(32).fill(n);
  const tx = (n: number, size = 100) => new Uint8Array(size).fill(n);

  async function pair(provider: (ids: Uint8Array[], maxBytes: number) => Uint8Array[], serverExtra = {}) {
    const keys = testKeys('rr-txs', 2);
    const server = await startNode(keys[0], keys, [], { maxTxsResponseBytes: 1000, ...serverExtra }, { txsProvider: provider });
    const client = await startNode(keys[1], keys, [addr(server)]);
    await waitFor(() => client.connectedPeers().length === 1, 'client to connect');
    return { server, client };
  }

  it('round trip; the server sends at most as many txs as ids and stays within its byte budget', async () => {
    const seen: number[][] = [];
    const { server, client } = await pair((ids) => {
      seen.push(ids.map((x) => x[0]));
      // a provider that returns too many: the server cuts to the count and the budget
      return [...ids.map((x) => tx(x[0])), tx(99), tx(98)];
    });
    const got = await client.requestTxs(server.peerId, [id(1), id(2)]);
    expect(got.map((t) => t[0])).toEqual([1, 2]);
    expect(seen).toEqual([[1, 2]]);
    // 1000 bytes: 9 txs of 100 (+8 framing each), not 20
    const many = await client.requestTxs(server.peerId, Array.from({ length: 20 }, (_, i) => id(i + 1)));
    expect(many).toHaveLength(9);
    expect(client.getCounters().requestsSent.txs).toBe(2);
    expect(server.getCounters().requestsServed.txs).toBe(2);
  });

  it('the client refuses to ask for no ids, too many, or ids that are not 32 bytes; a malformed request gets invalidRequest', async () => {
    const { server, client } = await pair((ids) => ids.map(() => tx(1)));
    await expect(client.requestTxs(server.peerId, [])).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    await expect(client.requestTxs(server.peerId, [new Uint8Array(31)])).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    await expect(client.requestTxs(server.peerId, Array.from({ length: 8193 }, () => id(1)))).rejects.toMatchObject({ code: 'P2P_BAD_REQUEST' });
    const frame = await rawRequest(client, server, `/edgechain/p2p-test/txs/1`, TxsRequestCodec.encode({ ids: [new Uint8Array(5)] }));
    expect(frame[0]).toBe(ResultCode.invalidRequest);
  });

  it('a peer answering with more txs than asked, or more bytes than the client takes, is a bad response', async () => {
    const { server, client } = await pair(() => []);
    const proto = '/edgechain/p2p-test/txs/1';
    // replace the honest handler with one that answers whatever we like
    let answer: Uint8Array = new Uint8Array(0);
    await server.libp2p.unhandle(proto);
    await server.libp2p.handle(proto, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 1 << 26 });
      await lp.read();
      await lp.write(answer);
      await stream.close();
    });
    answer = new Uint8Array([0, ...TxsResponseCodec.encode({ txs: [tx(1), tx(2), tx(3)] })]);
    await expect(client.requestTxs(server.peerId, [id(1), id(2)])).rejects.toMatchObject({ code: 'P2P_BAD_RESPONSE' });
    // over the client's own maxTxsResponseBytes (4 MiB default): the stream is refused, never buffered whole
    answer = new Uint8Array([0, ...TxsResponseCodec.encode({ txs: [new Uint8Array(5 * 1024 * 1024)] })]);
    await expect(client.requestTxs(server.peerId, [id(1)])).rejects.toMatchObject({ code: expect.stringMatching(/P2P_REQUEST_FAILED|P2P_BAD_RESPONSE/) });
    expect(client.getCounters().requestsSentFailed.txs).toBeGreaterThanOrEqual(2);
  });
});
