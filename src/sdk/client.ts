import { RPC_API, type RpcMethod, type RpcParams, type RpcResult } from './api.ts';

/** A JSON-RPC error answer (the node's `code`, `message` and `data`; `data.code` names the reason, e.g. NODE_BUSY). */
export class RpcCallError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown>;
  constructor(code: number, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'RpcCallError';
    this.code = code;
    this.data = data;
  }
  /** The reason code in `data.code` (e.g. `NODE_BUSY`, `TXPOOL_NONCE_TOO_LOW`), if any. */
  get reason(): string | undefined {
    return typeof this.data.code === 'string' ? this.data.code : undefined;
  }
}

/** The node could not be reached or did not answer JSON (retried by the client). */
export class RpcTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcTransportError';
  }
}

export interface ClientOptions {
  /** Per request (ms). Default 10 s. */
  timeoutMs?: number;
  /** Times a request that failed in transport is sent again (reads and sendRawTransaction are idempotent). Default 3. */
  retries?: number;
  /** Wait before the first resend (ms), doubled each time. Default 200. */
  retryDelayMs?: number;
  /** Check each answer's shape against the API definition (src/sdk/api.ts). Default true. */
  checkResults?: boolean;
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A typed JSON-RPC client of an edgechain node (Node and browsers: fetch only). Every method
 * of `RPC_API` is a typed call: `client.call('getAccount', [address])`, or the same through
 * `client.rpc.getAccount(address)`. Transport failures are resent with back-off; error
 * answers are `RpcCallError`s.
 */
export class Client {
  readonly url: string;
  readonly rpc: { [M in RpcMethod]: (...params: RpcParams<M>) => Promise<RpcResult<M>> };
  private readonly opts: Required<Omit<ClientOptions, 'fetch'>> & { fetch: typeof fetch };
  private nextId = 1;

  constructor(url: string, opts: ClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.opts = { timeoutMs: opts.timeoutMs ?? 10_000, retries: opts.retries ?? 3, retryDelayMs: opts.retryDelayMs ?? 200, checkResults: opts.checkResults ?? true, fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)) };
    // (a bare `fetch` called as a property of another object is an 'Illegal invocation' in browsers)
    const rpc = {} as Record<string, (...p: unknown[]) => Promise<unknown>>;
    for (const m of Object.keys(RPC_API)) rpc[m] = (...p: unknown[]) => this.call(m as RpcMethod, p as never);
    this.rpc = rpc as Client['rpc'];
  }

  /** One call; the answer's shape is checked against the API definition. */
  async call<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResult<M>> {
    const result = await this.raw(method, params as unknown[]);
    if (!this.opts.checkResults) return result as RpcResult<M>;
    const r = RPC_API[method].result.safeParse(result);
    if (!r.success) throw new RpcTransportError(`${method}: the node's answer does not have the documented shape (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
    return r.data as RpcResult<M>;
  }

  /** A call of any method name (no type or shape check): for methods this SDK does not know yet. */
  async raw(method: string, params: unknown[] = []): Promise<unknown> {
    let delay = this.opts.retryDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, params);
      } catch (e) {
        if (!(e instanceof RpcTransportError) || attempt >= this.opts.retries) throw e;
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  private async once(method: string, params: unknown[]): Promise<unknown> {
    let res: Response;
    try {
      res = await this.opts.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new RpcTransportError(`cannot reach ${this.url} (${cause}: ${(e as Error).message})`);
    }
    let body: { result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new RpcTransportError(`${this.url} answered HTTP ${res.status} without JSON`);
    }
    if (body.error) throw new RpcCallError(body.error.code, body.error.message, body.error.data ?? {});
    return body.result;
  }

  /**
   * The receipt of `hash`, following new blocks over server-sent events (one stream, a
   * receipt lookup per new block) instead of polling; rejects after `timeoutMs`.
   */
  watchReceipt(hash: string, timeoutMs = 30_000): Promise<NonNullable<RpcResult<'getTransactionReceipt'>>> {
    return new Promise((resolve, reject) => {
      let done = false;
      let checking = false;
      let again = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stop();
        f();
      };
      const check = async () => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const r = await this.call('getTransactionReceipt', [hash]);
            if (r) return finish(() => resolve(r));
          } while (again && !done);
        } catch (e) {
          finish(() => reject(e));
        } finally {
          checking = false;
        }
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no receipt for ${hash} after ${Math.round(timeoutMs / 1000)} s`))), timeoutMs);
      const stop = this.subscribe(
        (event) => {
          if (event === 'block') void check();
        },
        (e) => finish(() => reject(e)),
      );
      void check(); // it may be in a block already
    });
  }

  /**
   * Server-sent events of the node (GET /events): `block` ({number, hash, txCount, timestamp,
   * view}) and `status`. Returns a function that stops the subscription.
   */
  subscribe(onEvent: (event: string, data: unknown) => void, onError?: (e: Error) => void): () => void {
    const ctl = new AbortController();
    void (async () => {
      try {
        const res = await this.opts.fetch(this.url + '/events', { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
        if (!res.ok || !res.body) throw new RpcTransportError(`/events answered HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const chunk = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of chunk.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trim());
            }
            if (data.length) onEvent(event, JSON.parse(data.join('\n')));
          }
        }
      } catch (e) {
        if (!ctl.signal.aborted) onError?.(e as Error);
      }
    })();
    return () => ctl.abort();
  }
}
