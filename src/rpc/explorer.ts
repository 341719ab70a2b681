import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { HttpRoute } from './server.ts';

/**
 * The block explorer ("information port"): static files from src/rpc/explorer/, served at
 * GET / of the RPC port. Only a fixed whitelist of files is served (no path is ever joined
 * to a directory), every response carries a strict same-origin Content-Security-Policy, and
 * assets are fetched by versioned URLs (`?v=<content hash>`) so they can be cached for good.
 * The page itself talks only to the public JSON-RPC (POST /) and GET /events.
 */

export const EXPLORER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': EXPLORER_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset { file: string; type: string }

/** URL path → file in src/rpc/explorer/. Nothing outside this table is ever read or served. */
const ASSETS: Record<string, Asset> = {
  '/explorer/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/explorer/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/explorer/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};
const INDEX_PATHS = new Set(['/', '/index.html']);

interface Loaded { body: Buffer; type: string; etag: string; version: string }

function etagOf(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

function load(dir: URL): { index: Loaded; assets: Map<string, Loaded> } {
  const assets = new Map<string, Loaded>();
  for (const [path, a] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(a.file, dir));
    const v = etagOf(body);
    assets.set(path, { body, type: a.type, etag: `"${v}"`, version: v });
  }
  // index.html references assets as `/explorer/<file>?v={{<file>}}`; fill in the content hashes.
  const html = readFileSync(new URL('index.html', dir), 'utf8').replace(/\{\{([a-z.]+)\}\}/g, (_m, file: string) => {
    const path = `/explorer/${file}`;
    return assets.get(path)?.version ?? '0';
  });
  const body = Buffer.from(html, 'utf8');
  const v = etagOf(body);
  return { index: { body, type: 'text/html; charset=utf-8', etag: `"${v}"`, version: v }, assets };
}

function notModified(req: IncomingMessage, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  return typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag);
}

/**
 * The explorer's GET route. Reads the files once, when called. Answers `/`, `/index.html` and
 * the asset paths; returns null for every other path so later routes can answer.
 */
export function explorerRoute(dir: URL = new URL('./explorer/', import.meta.url)): HttpRoute {
  const { index, assets } = load(dir);
  return async (path, req) => {
    let f: Loaded | undefined;
    let cache: string;
    if (INDEX_PATHS.has(path)) {
      f = index;
      cache = 'no-cache';
    } else {
      f = assets.get(path);
      if (!f) return null;
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      // A versioned URL names exact content: cache it for good; otherwise revalidate.
      cache = query.get('v') === f.version ? 'public, max-age=31536000, immutable' : 'no-cache';
    }
    const headers = { ...SECURITY_HEADERS, 'cache-control': cache, etag: f.etag };
    if (notModified(req, f.etag)) return { status: 304, type: f.type, body: '', headers };
    return { status: 200, type: f.type, body: f.body, headers };
  };
}
