import { describe, it, expect, afterEach } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { coalesceWrites } from '../../src/p2p/coalesce.ts';

/** A stand-in for @libp2p/tcp's connection: one socket.write per buffer, like its sendData. */
function fakeConn(socket: Socket) {
  return {
    socket,
    sendData(data: Iterable<Uint8Array>) {
      let canSendMore = true;
      for (const b of data) canSendMore = socket.write(b);
      return { canSendMore };
    },
  };
}

let server: Server | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  if (server) await new Promise((r) => server!.close(r));
  server = null;
});

async function pair(): Promise<{ client: Socket; received: () => Buffer; gotBytes: (n: number) => Promise<void> }> {
  const chunks: Buffer[] = [];
  let waiter: { n: number; resolve: () => void } | null = null;
  const total = () => chunks.reduce((a, c) => a + c.length, 0);
  server = createServer((s) => {
    sockets.push(s);
    s.on('data', (c) => {
      chunks.push(c);
      if (waiter && total() >= waiter.n) waiter.resolve();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  await once(client, 'connect');
  return {
    client,
    received: () => Buffer.concat(chunks),
    gotBytes: (n) => (total() >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
  };
}

describe('coalesced socket writes', () => {
  it('hands everything written in one event-loop turn to the kernel in one writev, bytes in order', async () => {
    const { client, received, gotBytes } = await pair();
    const conn = fakeConn(client);
    const writes = { writev: 0, write: 0 };
    const s = client as unknown as { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown };
    const origWritev = s._writev.bind(client);
    const origWrite = s._write.bind(client);
    s._writev = (...a) => (writes.writev++, origWritev(...a));
    s._write = (...a) => (writes.write++, origWrite(...a));
    coalesceWrites(conn);
    const parts = Array.from({ length: 20 }, (_, i) => Buffer.from(`frame-${i};`));
    // three sendData calls in the same turn, several buffers each (as yamux + Noise produce)
    conn.sendData(parts.slice(0, 5));
    conn.sendData(parts.slice(5, 12));
    conn.sendData(parts.slice(12));
    const expected = Buffer.concat(parts);
    await gotBytes(expected.length);
    expect(received().toString()).toBe(expected.toString());
    expect(writes.writev).toBe(1);
    expect(writes.write).toBe(0);
    // a later turn is corked again on its own
    conn.sendData([Buffer.from('a'), Buffer.from('b')]);
    await gotBytes(expected.length + 2);
    expect(received().toString()).toBe(expected.toString() + 'ab');
    expect(writes.writev).toBe(2);
  });

  it('leaves a connection without a net socket alone, and a destroyed socket is not corked', async () => {
    const noSocket = { sendData: () => 'sent' };
    coalesceWrites(noSocket);
    expect(noSocket.sendData()).toBe('sent');
    const { client } = await pair();
    const conn = fakeConn(client);
    coalesceWrites(conn);
    client.destroy();
    expect(() => conn.sendData([Buffer.from('x')])).not.toThrow();
    expect(client.writableCorked).toBe(0);
  });
});
