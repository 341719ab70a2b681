import { EdgeError } from '../util/errors.ts';

/** A minimal JSON-RPC 2.0 client over fetch, for the CLI, scripts and tests. */
export class RpcClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private nextId = 1;

  constructor(url: string, timeoutMs = 10_000) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new EdgeError('RPC_UNREACHABLE', `cannot reach ${this.url} (${cause})`);
    }
    let body: { result?: T; error?: { code: number; message: string; data?: { code?: string } } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new EdgeError('RPC_BAD_RESPONSE', `${this.url} answered HTTP ${res.status} without JSON`);
    }
    if (body.error) {
      throw new EdgeError('RPC_ERROR', body.error.message, { rpcCode: body.error.code, reason: body.error.data?.code });
    }
    return body.result as T;
  }
}
