/**
 * The RPC server against hostile clients and web pages (issue: unbounded labels, cheap requests
 * doing expensive work, any page driving a local node). Every limit answers with a clear error
 * and runs nothing.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { RpcServer, NodeMetrics, EventHub, rpcCost, type RpcServerOptions, type RpcServerModules } from '../../src/rpc/index.ts';

const servers: RpcServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(opts: Partial<RpcServerOptions>, modules: Partial<RpcServerModules> = {}) {
  const calls: string[] = [];
  const server = new RpcServer(
    { host: '127.0.0.1', port: 0, ...opts },
    { methods: { echo: (p) => (calls.push('echo'), p), big: (p) => 'x'.repeat(Number(p[0])), getBlockByNumber: (p) => (calls.push('block'), { number: p[0] }) }, cost: rpcCost, ...modules },
  );
  servers.push(server);
  const a = await server.start();
  return { server, port: a.port, url: `http://127.0.0.1:${a.port}/`, calls };
}

/** A raw HTTP request (fetch does not let a test set Host). */
function raw(port: number, o: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method ?? 'POST', path: o.path ?? '/', headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
const rpc = (method: string, params: unknown[] = [], id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const JSON_CT = { 'content-type': 'application/json' };

describe('metrics labels', () => {
  it('counts every unknown method under one label value, whatever the name', async () => {
    const metrics = new NodeMetrics({ defaultMetrics: false });
    const { url } = await serve({}, { onCall: (m, ok) => metrics.rpcCalls.inc({ method: m, ok: String(ok) }) });
    const batch = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: `junk_${i}_${Math.random()}` }));
    for (let k = 0; k < 5; k++) await fetch(url, { method: 'POST', headers: JSON_CT, body: JSON.stringify(batch) });
    await fetch(url, { method: 'POST', headers: JSON_CT, body: rpc('echo') });
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('edgechain_rpc_calls_total{'));
    expect(series.sort()).toEqual(['edgechain_rpc_calls_total{method="echo",ok="true"} 1', 'edgechain_rpc_calls_total{method="unknown",ok="false"} 500']);
  });
});

describe('web pages and DNS rebinding', () => {
  it('sends no CORS headers by default and refuses a foreign Origin', async () => {
    const { port, calls } = await serve({});
    const r = await raw(port, { headers: { ...JSON_CT, origin: 'http://evil.example' }, body: rpc('echo') });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/origin "http:\/\/evil\.example" is not allowed \(rpc\.corsOrigins\)/);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await raw(port, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(403);
    const plain = await raw(port, { headers: JSON_CT, body: rpc('echo') });
    expect(plain.status).toBe(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect(calls).toEqual(['echo']);
  });

  it('answers the origins of the allow-list (and the same origin, as the explorer it serves)', async () => {
    const { port } = await serve({ corsOrigins: ['https://dash.example'] });
    const ok = await raw(port, { headers: { ...JSON_CT, origin: 'https://dash.example' }, body: rpc('echo') });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example');
    const pre = await raw(port, { method: 'OPTIONS', headers: { origin: 'https://dash.example' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://dash.example');
    const same = await raw(port, { headers: { ...JSON_CT, origin: `http://127.0.0.1:${port}` }, body: rpc('echo') });
    expect(same.status).toBe(200);
    expect((await raw(port, { headers: { ...JSON_CT, origin: 'https://other.example' }, body: rpc('echo') })).status).toBe(403);
  });

  it('refuses a POST that is not application/json (a form or text/plain post needs no preflight)', async () => {
    const { port, calls } = await serve({});
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await raw(port, { headers: { 'content-type': ct }, body: rpc('echo') });
      expect(r.status, ct).toBe(415);
      expect(JSON.parse(r.body).error.message).toBe('Content-Type must be application/json');
    }
    expect((await raw(port, { headers: {}, body: rpc('echo') })).status).toBe(415);
    expect((await raw(port, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: rpc('echo') })).status).toBe(200);
    expect(calls).toEqual(['echo']);
  });

  it('refuses a Host it does not serve (DNS rebinding), but not the health probes', async () => {
    const { port, calls } = await serve({}, { routes: [async (p) => (p.startsWith('/health') ? { type: 'text/plain', body: 'ok' } : null)] });
    const r = await raw(port, { headers: { ...JSON_CT, host: `rebind.evil.example:${port}` }, body: rpc('echo') });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/host "rebind\.evil\.example:\d+" is not served here \(rpc\.allowedHosts\)/);
    expect((await raw(port, { method: 'GET', path: '/metrics', headers: { host: 'rebind.evil.example' } })).status).toBe(403);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) expect((await raw(port, { headers: { ...JSON_CT, host }, body: rpc('echo') })).status, host).toBe(200);
    expect((await raw(port, { method: 'GET', path: '/health/ready', headers: { host: '10.1.2.3:8545' } })).status).toBe(200);
    expect(calls).toHaveLength(3);
    const open = await serve({ allowedHosts: ['node-1'] });
    expect((await raw(open.port, { headers: { ...JSON_CT, host: 'node-1:8545' }, body: rpc('echo') })).status).toBe(200);
    expect((await raw(open.port, { headers: { ...JSON_CT, host: 'localhost' }, body: rpc('echo') })).status).toBe(403);
  });
});

describe('cost, size and rate', () => {
  it('refuses a batch whose cost is over the budget before running any of it', async () => {
    const { url, calls } = await serve({});
    const batch = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'getBlockByNumber', params: [i, true] }));
    const r = (await (await fetch(url, { method: 'POST', headers: JSON_CT, body: JSON.stringify(batch) })).json()) as any;
    expect(r.error).toMatchObject({ code: -32005, data: { limit: 'cost' } });
    expect(r.error.message).toMatch(/request costs 2000 units, limit 200 per request/);
    const echo = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo' }));
    expect(await (await fetch(url, { method: 'POST', headers: JSON_CT, body: JSON.stringify(echo) })).json()).toHaveLength(100);
    expect(calls).toHaveLength(100);
  });

  it('replaces results past the response size limit by a clear error', async () => {
    const { url } = await serve({ maxResponseBytes: 10_000 });
    const batch = [0, 1, 2].map((id) => ({ jsonrpc: '2.0', id, method: 'big', params: [4000] }));
    const r = (await (await fetch(url, { method: 'POST', headers: JSON_CT, body: JSON.stringify(batch) })).json()) as any;
    expect(r[0].result).toHaveLength(4000);
    expect(r[1].result).toHaveLength(4000);
    expect(r[2]).toMatchObject({ id: 2, error: { code: -32005, data: { limit: 'responseBytes' } } });
    expect(r[2].error.message).toMatch(/response larger than 10000 bytes: ask for less/);
  });

  it('rate-limits each client address with a token bucket (429, Retry-After), refilled over time', async () => {
    const { server, port, calls } = await serve({ rateLimit: { perSecond: 10, burst: 20 } });
    let t = 0;
    server.now = () => t;
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await raw(port, { headers: JSON_CT, body: rpc('echo') })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    const r = await raw(port, { headers: JSON_CT, body: rpc('echo') });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(JSON.parse(r.body).error).toMatchObject({ code: -32005, data: { limit: 'rate' } });
    t += 500; // half a second: 5 more units
    for (let i = 0; i < 5; i++) expect((await raw(port, { headers: JSON_CT, body: rpc('echo') })).status).toBe(200);
    expect((await raw(port, { headers: JSON_CT, body: rpc('echo') })).status).toBe(429);
    expect(calls).toHaveLength(25);
  });
});

describe('connections, concurrency, event streams', () => {
  it('caps the requests of one client being answered at once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const { port } = await serve({ maxConcurrentPerClient: 3 }, { methods: { slow: async () => (started++, await gate, 'done') } });
    const slow = [0, 1, 2].map(() => raw(port, { headers: JSON_CT, body: rpc('slow') }));
    while (started < 3) await new Promise((r) => setImmediate(r));
    const extra = await raw(port, { headers: JSON_CT, body: rpc('slow') });
    expect(extra.status).toBe(429);
    expect(JSON.parse(extra.body).error.message).toMatch(/too many requests at once from 127\.0\.0\.1 \(limit 3\)/);
    release();
    for (const r of await Promise.all(slow)) expect(JSON.parse(r.body).result).toBe('done');
    expect(started).toBe(3);
  });

  it('closes connections of one client past its cap (slow sockets cannot take every slot)', async () => {
    const { server, port } = await serve({ maxConnectionsPerClient: 5 });
    const sockets: Socket[] = [];
    const closed: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const s = connect(port, '127.0.0.1');
      const k = i;
      closed[k] = false;
      s.on('close', () => (closed[k] = true));
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
    }
    while (closed.filter(Boolean).length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(closed.slice(0, 5)).toEqual([false, false, false, false, false]);
    expect(server.connectionsOf('127.0.0.1')).toBe(5);
    for (const s of sockets) s.destroy();
  });

  it('one client cannot take every event stream', async () => {
    const hub = new EventHub(256, 2);
    const { port } = await serve({}, { streams: [hub.handler()] });
    const open: Promise<unknown>[] = [];
    const reqs: ReturnType<typeof request>[] = [];
    const first = (): Promise<number> =>
      new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
          resolve(res.statusCode!);
          res.resume();
        });
        req.on('error', () => {});
        req.end();
        reqs.push(req);
      });
    for (let i = 0; i < 2; i++) open.push(first());
    expect(await Promise.all(open)).toEqual([200, 200]);
    expect(await first()).toBe(429);
    expect(hub.size).toBe(2);
    for (const r of reqs) r.destroy();
    hub.close();
  });
});
