import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
}

export const DEFAULT_RPC_OPTIONS: RpcServerOptions = { host: '127.0.0.1', port: 8545, maxBodyBytes: 1024 * 1024, maxBatch: 100 };

export interface HttpRoute {
  /** Answers a GET; return null for "not mine". */
  (path: string, req: IncomingMessage): Promise<{ status?: number; type: string; body: string | Uint8Array; headers?: Record<string, string> } | null>;
}

export interface RpcServerModules {
  methods: Record<string, RpcHandler>;
  /** GET routes tried in order (health, metrics, explorer files, server-sent events…). */
  routes?: HttpRoute[];
  /** Streams (SSE) handled outside the request/response model; return true if handled. */
  streams?: ((path: string, req: IncomingMessage, res: ServerResponse) => boolean)[];
  onCall?: (method: string, ok: boolean) => void;
  logger?: { warn(obj: object, msg?: string): void } | null;
}

interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * JSON-RPC 2.0 over HTTP POST, plus GET routes. Malformed JSON, bad requests, unknown
 * methods, bad params and oversized bodies get the proper JSON-RPC error and change nothing.
 */
export class RpcServer {
  private readonly opts: RpcServerOptions;
  private readonly modules: RpcServerModules;
  private server: Server | null = null;

  constructor(opts: Partial<RpcServerOptions>, modules: RpcServerModules) {
    this.opts = { ...DEFAULT_RPC_OPTIONS, ...opts };
    this.modules = modules;
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        this.modules.logger?.warn({ err: (e as Error).message }, 'rpc handler failed');
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify(errorResponse(null, RpcCode.INTERNAL_ERROR, 'internal error')));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    server.requestTimeout = 30_000;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'OPTIONS') {
      res.writeHead(204, corsHeaders());
      res.end();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      for (const s of this.modules.streams ?? []) if (s(path, req, res)) return;
      for (const route of this.modules.routes ?? []) {
        const r = await route(path, req);
        if (r) {
          send(res, r.status ?? 200, r.type, r.body, r.headers);
          return;
        }
      }
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, POST' });
      return;
    }
    const body = await readBody(req, this.opts.maxBodyBytes);
    if (body === null) {
      send(res, 413, 'application/json', JSON.stringify(errorResponse(null, RpcCode.INVALID_REQUEST, `request body larger than ${this.opts.maxBodyBytes} bytes`)));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      sendJson(res, errorResponse(null, RpcCode.PARSE_ERROR, 'parse error: body is not valid JSON'));
      return;
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return sendJson(res, errorResponse(null, RpcCode.INVALID_REQUEST, 'empty batch'));
      if (parsed.length > this.opts.maxBatch) return sendJson(res, errorResponse(null, RpcCode.INVALID_REQUEST, `batch larger than ${this.opts.maxBatch}`));
      const out: JsonRpcResponse[] = [];
      for (const item of parsed) {
        const r = await this.call(item);
        if (r) out.push(r);
      }
      if (out.length === 0) {
        res.writeHead(204, corsHeaders());
        res.end();
        return;
      }
      sendJson(res, out);
      return;
    }
    const r = await this.call(parsed);
    if (!r) {
      res.writeHead(204, corsHeaders());
      res.end();
      return;
    }
    sendJson(res, r);
  }

  /** One request object → its response (null for a valid notification). */
  private async call(req: unknown): Promise<JsonRpcResponse | null> {
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
      this.modules.onCall?.(r.method.slice(0, 64), false);
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

function errorResponse(id: string | number | null, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcResponse['error'] = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

function corsHeaders(): Record<string, string> {
  return { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'GET, POST, OPTIONS' };
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...corsHeaders(), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, v: unknown): void {
  send(res, 200, 'application/json', JSON.stringify(v));
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
