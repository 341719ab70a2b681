import type { IncomingMessage, ServerResponse } from 'node:http';

/** Server-sent events at GET /events: the explorer's live updates. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly maxClients: number;
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(maxClients = 256) {
    this.maxClients = maxClients;
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
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'access-control-allow-origin': '*' });
      res.write('retry: 2000\n\n');
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
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
    for (const c of this.clients) {
      if (c.writableLength > 1024 * 1024) {
        c.destroy(); // a client that does not read is dropped, not buffered forever
        this.clients.delete(c);
      } else c.write(s);
    }
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
