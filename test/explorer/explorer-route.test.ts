import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EXPLORER_CSP, explorerRoute } from '../../src/rpc/explorer.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { ReceiptStatus } from '../../src/domain/receipts.ts';
import { TX_KINDS } from '../../src/codec/types.ts';

const req = (url: string, headers: Record<string, string> = {}) => ({ url, headers }) as unknown as IncomingMessage;
const route = explorerRoute();
const get = (url: string, headers: Record<string, string> = {}) => route(url.split('?')[0], req(url, headers));

describe('explorerRoute', () => {
  it('serves the page at / and /index.html with a strict same-origin CSP', async () => {
    for (const path of ['/', '/index.html']) {
      const r = await get(path);
      expect(r?.status).toBe(200);
      expect(r?.type).toBe('text/html; charset=utf-8');
      expect(r?.headers?.['content-security-policy']).toBe(EXPLORER_CSP);
      expect(r?.headers?.['x-content-type-options']).toBe('nosniff');
      expect(r?.headers?.['cache-control']).toBe('no-cache');
    }
    expect(EXPLORER_CSP).toContain("default-src 'none'");
    expect(EXPLORER_CSP).toContain("script-src 'self'");
    expect(EXPLORER_CSP).not.toMatch(/unsafe|http|\*/);
  });

  it('references every asset by a versioned URL and no external origin', async () => {
    const html = String((await get('/'))!.body);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('#'));
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const u of refs) {
      expect(u).toMatch(/^\/explorer\/[a-z]+\.(js|css|svg)\?v=[0-9a-f]{16}$/);
      const r = await get(u);
      expect(r?.status).toBe(200);
      expect(r?.headers?.['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves assets with their content types; unversioned URLs revalidate; ETags give 304', async () => {
    expect((await get('/explorer/app.js'))?.type).toBe('text/javascript; charset=utf-8');
    expect((await get('/explorer/style.css'))?.type).toBe('text/css; charset=utf-8');
    expect((await get('/explorer/favicon.svg'))?.type).toBe('image/svg+xml');
    const r = await get('/explorer/app.js');
    expect(r?.headers?.['cache-control']).toBe('no-cache');
    const again = await get('/explorer/app.js', { 'if-none-match': r!.headers!.etag });
    expect(again?.status).toBe(304);
    expect(String(again?.body)).toBe('');
  });

  it('answers nothing outside its whitelist (no traversal), so other routes can answer', async () => {
    for (const p of ['/explorer/', '/explorer/../explorer.ts', '/explorer/%2e%2e/explorer.ts', '/explorer.ts', '/app.js', '/explorer/index.html', '/../package.json', '/health', '/metrics', '/events', '/favicon.ico', '//']) {
      expect(await get(p), p).toBeNull();
    }
  });

  it('works inside RpcServer: 404 for unknown paths, the page and JSON-RPC side by side', async () => {
    const server = new RpcServer({ host: '127.0.0.1', port: 0 }, { methods: { ping: () => 'pong' }, routes: [explorerRoute()] });
    const { port } = await server.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      const page = await fetch(base + '/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe(EXPLORER_CSP);
      expect(await page.text()).toContain('<script type="module" src="/explorer/app.js?v=');
      expect((await fetch(base + '/explorer/../../package.json')).status).toBe(404);
      expect((await fetch(base + '/nope')).status).toBe(404);
      const rpc = await fetch(base + '/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
      expect(await rpc.json()).toEqual({ jsonrpc: '2.0', id: 1, result: 'pong' });
    } finally {
      await server.stop();
    }
  });

  it("the page's tables of tx kinds and receipt status names are the chain's (a hand copy in a file without a build step)", async () => {
    const js = String((await get('/explorer/app.js'))!.body);
    const list = (name: string) => JSON.parse(js.match(new RegExp(`const ${name} = (\\[[^\\]]*\\]);`))![1].replace(/'/g, '"')) as string[];
    expect(list('TX_KINDS')).toEqual([...TX_KINDS]);
    const codes = new Map(Object.entries(ReceiptStatus).map(([k, v]) => [v as number, k]));
    expect(list('STATUS_NAMES')).toEqual(Array.from({ length: Math.max(...codes.keys()) + 1 }, (_, code) => codes.get(code) ?? ''));
  });
});
