import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EdgeError } from '../util/errors.ts';
import { RpcCode, RpcError } from './errors.ts';

export type RpcParams = unknown[];
export type RpcHandler = (params: RpcParams) => unknown | Promise<unknown>;

export interface RpcServerOptions {
  host: string;
  port: number;
  /** Largest accepted request body; larger ones get HTTP 413 and a JSON-RPC error. */
  maxBodyBytes: number;
  /** Largest JSON-RPC batch. */
  maxBatch: number;
  /** Largest response body (all members of a batch together); a result past it is replaced by a LIMIT_EXCEEDED error. */
  maxResponseBytes: number;
  /** Most cost units one HTTP request may ask for (a batch: the sum of its members; see `cost`). */
  maxRequestCost: number;
  /** Open HTTP connections in all. */
  maxConnections: number;
  /** Open HTTP connections from one client address (SSE streams included). */
  maxConnectionsPerClient: number;
  /** Requests of one client address being answered at once. */
  maxConcurrentPerClient: number;
  /** Token bucket per client address, in cost units: refilled at `perSecond`, holding at most `burst`. 0 = off. */
  rateLimit: { perSecond: number; burst: number };
  /** Origins that may call from a web page (CORS). Empty = none (no CORS headers); "*" = any. */
  corsOrigins: string[];
  /**
   * Host header names accepted (DNS-rebinding protection); "*" = any. Empty = the defaults:
   * localhost, 127.0.0.1, ::1 and the host the server is bound to (unless a wildcard).
   */
  allowedHosts: string[];
}

export const DEFAULT_RPC_OPTIONS: RpcServerOptions = {
  host: '127.0.0.1',
  port: 8545,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  maxResponseBytes: 8 * 1024 * 1024,
  maxRequestCost: 200,
  maxConnections: 512,
  maxConnectionsPerClient: 64,
  maxConcurrentPerClient: 32,
  rateLimit: { perSecond: 2000, burst: 4000 },
  corsOrigins: [],
  allowedHosts: [],
};

/** GET paths served whatever the Host header says (probes of orchestrators use the pod or container address). */
const HOST_EXEMPT_PATHS = new Set(['/health', '/health/live', '/health/ready']);

/** The `method` label of calls to methods that do not exist (their names are client input: never a label value). */
export const UNKNOWN_METHOD_LABEL = 'unknown';

export interface HttpRoute {
  /** Answers a GET; return null for "not mine". */
  (path: string, req: IncomingMessage): Promise<{ status?: number; type: string; body: string | Uint8Array; headers?: Record<string, string> } | null>;
}

export type RejectReason = 'host' | 'origin' | 'content_type' | 'rate' | 'concurrent' | 'connections' | 'cost' | 'response_size' | 'body_size';

export interface RpcServerModules {
  methods: Record<string, RpcHandler>;
  /** Cost units of one call (default 1); see RpcServerOptions.maxRequestCost. */
  cost?: (method: string, params: RpcParams) => number;
  /** GET routes tried in order (health, metrics, explorer files, server-sent events…). */
  routes?: HttpRoute[];
  /** Streams (SSE) handled outside the request/response model; return true if handled. */
  streams?: ((path: string, req: IncomingMessage, res: ServerResponse) => boolean)[];
  /** After each call: the method name (UNKNOWN_METHOD_LABEL for one that does not exist) and whether it succeeded. */
  onCall?: (method: string, ok: boolean) => void;
  /** A request refused by one of the limits above. */
  onReject?: (reason: RejectReason) => void;
  logger?: { warn(obj: object, msg?: string): void } | null;
}

interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

interface Parsed {
  item: unknown;
  method: string | null;
  params: RpcParams;
}

/** The client address a request or socket comes from (IPv4-mapped IPv6 folded to IPv4). */
export function clientAddress(socket: Socket): string {
  const a = socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * JSON-RPC 2.0 over HTTP POST, plus GET routes. Malformed JSON, bad requests, unknown
 * methods, bad params and oversized bodies get the proper JSON-RPC error and change nothing.
 * Hostile clients meet the limits of RpcServerOptions (docs/RPC.md, "Limits"): Host and Origin
 * allow-lists, a JSON Content-Type, connection / concurrency / rate caps per client address,
 * a cost budget per request and a response size cap.
 */
export class RpcServer {
  private readonly opts: RpcServerOptions;
  private readonly modules: RpcServerModules;
  private server: Server | null = null;
  private readonly hosts: Set<string> | null;
  private readonly connections = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Clock for the rate limiter (tests may drive it). */
  now: () => number = () => performance.now();

  constructor(opts: Partial<RpcServerOptions>, modules: RpcServerModules) {
    this.opts = { ...DEFAULT_RPC_OPTIONS, ...opts };
    this.modules = modules;
    const hosts = this.opts.allowedHosts.length ? this.opts.allowedHosts : ['localhost', '127.0.0.1', '::1', this.opts.host];
    this.hosts = hosts.includes('*') ? null : new Set(hosts.filter((h) => h !== '0.0.0.0' && h !== '::').map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1')));
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      const client = clientAddress(req.socket);
      this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
      let done = false;
      const release = () => {
        if (done) return;
        done = true;
        const n = (this.inFlight.get(client) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(client);
        else this.inFlight.set(client, n);
      };
      res.once('finish', release);
      res.once('close', release);
      this.handle(req, res, client).catch((e) => {
        this.modules.logger?.warn({ err: (e as Error).message }, 'rpc handler failed');
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify(errorResponse(null, RpcCode.INTERNAL_ERROR, 'internal error')));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.maxConnections = this.opts.maxConnections;
    server.on('connection', (socket: Socket) => {
      const client = clientAddress(socket);
      const n = (this.connections.get(client) ?? 0) + 1;
      if (n > this.opts.maxConnectionsPerClient) {
        this.modules.onReject?.('connections');
        socket.destroy();
        return;
      }
      this.connections.set(client, n);
      socket.once('close', () => {
        const m = (this.connections.get(client) ?? 1) - 1;
        if (m <= 0) this.connections.delete(client);
        else this.connections.set(client, m);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** Open connections from one client address (for tests and metrics). */
  connectionsOf(client: string): number {
    return this.connections.get(client) ?? 0;
  }

  private reject(res: ServerResponse, status: number, reason: RejectReason, message: string, headers: Record<string, string> = {}): void {
    this.modules.onReject?.(reason);
    const limit = { rate: 'rate', concurrent: 'concurrent', cost: 'cost', response_size: 'responseBytes' }[reason as string];
    const code = limit ? RpcCode.LIMIT_EXCEEDED : RpcCode.INVALID_REQUEST;
    send(res, status, 'application/json', JSON.stringify(errorResponse(null, code, message, limit ? { limit } : { reason })), headers);
  }

  /** null if the Host header is acceptable, else the reason. */
  private badHost(req: IncomingMessage): string | null {
    if (!this.hosts) return null;
    const raw = req.headers.host;
    if (!raw) return 'a Host header is required';
    const name = raw.toLowerCase().replace(/^\[([^\]]*)\](:\d+)?$/, '$1').replace(/^([^:]*)(:\d+)?$/, '$1');
    return this.hosts.has(name) ? null : `host "${raw.slice(0, 100)}" is not served here (rpc.allowedHosts)`;
  }

  /** The CORS verdict for this request: headers to add, or null when its Origin is not allowed. */
  private cors(req: IncomingMessage): Record<string, string> | null {
    const origin = req.headers.origin;
    if (origin === undefined) return {};
    // the explorer this node serves is same-origin: its fetches carry Origin = this host
    if (req.headers.host && (origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`)) return {};
    const list = this.opts.corsOrigins;
    if (list.includes('*')) return { 'access-control-allow-origin': '*', ...CORS_COMMON };
    if (list.includes(origin)) return { 'access-control-allow-origin': origin, vary: 'Origin', ...CORS_COMMON };
    return null;
  }

  private takeTokens(client: string, units: number): boolean {
    const { perSecond, burst } = this.opts.rateLimit;
    if (perSecond <= 0) return true;
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(client, b);
    // forget clients whose bucket has refilled (they are indistinguishable from new ones), so
    // many addresses (an IPv6 range) cannot grow the map without bound
    if (this.buckets.size > 10_000) for (const [k, v] of this.buckets) if (v.tokens + ((t - v.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
    if (b.tokens < units) return false;
    b.tokens -= units;
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, client: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (!((req.method === 'GET' || req.method === 'HEAD') && HOST_EXEMPT_PATHS.has(path))) {
      const hostBad = this.badHost(req);
      if (hostBad) return this.reject(res, 403, 'host', hostBad);
    }
    const cors = this.cors(req);
    if (cors === null) return this.reject(res, 403, 'origin', `origin "${String(req.headers.origin).slice(0, 100)}" is not allowed (rpc.corsOrigins)`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    if ((this.inFlight.get(client) ?? 0) > this.opts.maxConcurrentPerClient) {
      return this.reject(res, 429, 'concurrent', `too many requests at once from ${client} (limit ${this.opts.maxConcurrentPerClient})`);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
      for (const s of this.modules.streams ?? []) if (s(path, req, res)) return;
      if (!this.takeTokens(client, 1)) return this.reject(res, 429, 'rate', `rate limit of ${this.opts.rateLimit.perSecond}/s for ${client} exceeded; retry later`, { 'retry-after': '1', ...cors });
      for (const route of this.modules.routes ?? []) {
        const r = await route(path, req);
        if (r) {
          send(res, r.status ?? 200, r.type, r.body, { ...cors, ...r.headers });
          return;
        }
      }
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', cors);
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, POST', ...cors });
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return this.reject(res, 415, 'content_type', 'Content-Type must be application/json');
    }
    const body = await readBody(req, this.opts.maxBodyBytes);
    if (body === null) return this.reject(res, 413, 'body_size', `request body larger than ${this.opts.maxBodyBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(res, errorResponse(null, RpcCode.PARSE_ERROR, 'parse error: body is not valid JSON'), cors);
    }
    const batch = Array.isArray(parsed);
    const items = batch ? (parsed as unknown[]) : [parsed];
    if (batch && items.length === 0) return sendJson(res, errorResponse(null, RpcCode.INVALID_REQUEST, 'empty batch'), cors);
    if (items.length > this.opts.maxBatch) return sendJson(res, errorResponse(null, RpcCode.INVALID_REQUEST, `batch larger than ${this.opts.maxBatch}`), cors);

    // the cost of the whole request is known before anything runs
    const calls = items.map((item) => this.parse(item));
    let cost = 0;
    for (const c of calls) cost += c.method && Object.hasOwn(this.modules.methods, c.method) ? Math.max(1, this.modules.cost?.(c.method, c.params) ?? 1) : 1;
    if (cost > this.opts.maxRequestCost) {
      return this.reject(res, 200, 'cost', `request costs ${cost} units, limit ${this.opts.maxRequestCost} per request: split the batch or ask for less (e.g. blocks without full transactions)`);
    }
    if (!this.takeTokens(client, cost)) return this.reject(res, 429, 'rate', `rate limit of ${this.opts.rateLimit.perSecond} units/s for ${client} exceeded; retry later`, { 'retry-after': '1', ...cors });

    const out: string[] = [];
    let size = 2;
    for (const c of calls) {
      const r = await this.call(c);
      if (!r) continue;
      let text = JSON.stringify(r);
      if (size + text.length + 1 > this.opts.maxResponseBytes) {
        this.modules.onReject?.('response_size');
        const msg = `response larger than ${this.opts.maxResponseBytes} bytes: ask for less (fewer or smaller items, blocks without full transactions)`;
        text = JSON.stringify(errorResponse(r.id, RpcCode.LIMIT_EXCEEDED, msg, { limit: 'responseBytes' }));
      }
      size += Buffer.byteLength(text) + 1;
      out.push(text);
    }
    if (out.length === 0) {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    send(res, 200, 'application/json', batch ? `[${out.join(',')}]` : out[0], cors);
  }

  private parse(item: unknown): Parsed {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { item, method: null, params: [] };
    const r = item as Record<string, unknown>;
    const params = Array.isArray(r.params) ? r.params : typeof r.params === 'object' && r.params !== null ? [r.params] : [];
    return { item, method: typeof r.method === 'string' ? r.method : null, params };
  }

  /** One request object → its response (null for a valid notification). */
  private async call({ item: req }: Parsed): Promise<JsonRpcResponse | null> {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return errorResponse(null, RpcCode.INVALID_REQUEST, 'request must be an object');
    const r = req as Record<string, unknown>;
    const id = r.id;
    const validId = id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || !validId) {
      return errorResponse(validId ? ((id as string | number | undefined) ?? null) : null, RpcCode.INVALID_REQUEST, 'invalid request: needs jsonrpc "2.0", a string method and a string/number id');
    }
    const isNotification = id === undefined;
    const respId = (id ?? null) as string | number | null;
    let params: RpcParams;
    if (r.params === undefined) params = [];
    else if (Array.isArray(r.params)) params = r.params;
    else if (typeof r.params === 'object' && r.params !== null) params = [r.params];
    else return errorResponse(respId, RpcCode.INVALID_PARAMS, 'params must be an array or an object');
    const handler = Object.hasOwn(this.modules.methods, r.method) ? this.modules.methods[r.method] : undefined;
    if (!handler) {
      this.modules.onCall?.(UNKNOWN_METHOD_LABEL, false);
      return isNotification ? null : errorResponse(respId, RpcCode.METHOD_NOT_FOUND, `method not found: ${r.method.slice(0, 64)}`);
    }
    try {
      const result = await handler(params);
      this.modules.onCall?.(r.method, true);
      return isNotification ? null : { jsonrpc: '2.0', id: respId, result: result === undefined ? null : result };
    } catch (e) {
      this.modules.onCall?.(r.method, false);
      if (isNotification) return null;
      if (e instanceof RpcError) return errorResponse(respId, e.rpcCode, e.message, Object.keys(e.data).length ? e.data : undefined);
      if (e instanceof EdgeError) return errorResponse(respId, RpcCode.INTERNAL_ERROR, e.message, { code: e.code });
      this.modules.logger?.warn({ method: r.method, err: (e as Error).message }, 'rpc method threw');
      return errorResponse(respId, RpcCode.INTERNAL_ERROR, 'internal error');
    }
  }
}

const CORS_COMMON = { 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'GET, POST, OPTIONS' };

function errorResponse(id: string | number | null, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcResponse['error'] = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, v: unknown, headers: Record<string, string> = {}): void {
  send(res, 200, 'application/json', JSON.stringify(v), headers);
}

/** Reads the whole body, or returns null as soon as it exceeds the limit (the rest is discarded). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
