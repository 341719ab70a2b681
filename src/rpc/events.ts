import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress } from './server.ts';

/** Server-sent events at GET /events: the explorer's live updates. */
export class EventHub {
  private readonly clients = new Map<ServerResponse, string>();
  private readonly maxClients: number;
  private readonly maxPerClient: number;
  private readonly perClient = new Map<string, number>();
  private keepAlive: NodeJS.Timeout | null = null;

  /** At most `maxClients` streams in all and `maxPerClient` from one client address. */
  constructor(maxClients = 256, maxPerClient = 4) {
    this.maxClients = maxClients;
    this.maxPerClient = maxPerClient;
  }

  /** Stream handler for RpcServer (`streams`). */
  handler(): (path: string, req: IncomingMessage, res: ServerResponse) => boolean {
    return (path, req, res) => {
      if (path !== '/events') return false;
      if (this.clients.size >= this.maxClients) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('too many event streams\n');
        return true;
      }
      const client = clientAddress(req.socket);
      const mine = this.perClient.get(client) ?? 0;
      if (mine >= this.maxPerClient) {
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '5' });
        res.end(`too many event streams from ${client} (limit ${this.maxPerClient})\n`);
        return true;
      }
      this.perClient.set(client, mine + 1);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      this.clients.set(res, client);
      req.on('close', () => this.drop(res));
      if (!this.keepAlive) {
        this.keepAlive = setInterval(() => this.broadcastRaw(': keep-alive\n\n'), 15_000);
        this.keepAlive.unref();
      }
      return true;
    };
  }

  publish(event: string, data: unknown): void {
    this.broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcastRaw(s: string): void {
    for (const c of [...this.clients.keys()]) {
      if (c.writableLength > 1024 * 1024) {
        c.destroy(); // a client that does not read is dropped, not buffered forever
        this.drop(c);
      } else c.write(s);
    }
  }

  private drop(res: ServerResponse): void {
    const client = this.clients.get(res);
    if (client === undefined) return;
    this.clients.delete(res);
    const n = (this.perClient.get(client) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(client);
    else this.perClient.set(client, n);
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    for (const c of this.clients.keys()) c.end();
    this.clients.clear();
    this.perClient.clear();
  }
}
