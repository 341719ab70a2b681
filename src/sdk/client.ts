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

/** One answer of a batch: the result, or the node's error for that call. */
export type BatchAnswer = { ok: true; result: unknown } | { ok: false; error: RpcCallError };

/** A finalized block as `followBlocks` delivers it: its number and tx hashes. */
export interface FollowedBlock {
  number: number;
  hash: string;
  timestamp: number;
  transactions: string[];
}

/** A running `followBlocks`: `ready` once the event stream is open; `idle()` once every announced block was delivered. */
export interface BlockFollower {
  ready: Promise<void>;
  stop(): void;
  idle(): Promise<void>;
  /** The highest block delivered (or the starting height). */
  readonly height: number;
}

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
    const { body } = await this.withRetries(() => this.post({ jsonrpc: '2.0', id: this.nextId++, method, params }, this.opts.timeoutMs));
    const one = body as { result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };
    if (one.error) throw new RpcCallError(one.error.code, one.error.message, one.error.data ?? {});
    return one.result;
  }

  /**
   * Many calls in one HTTP request (a JSON-RPC batch; the node's limit is rpc.maxBatch, 100 by
   * default): the answers in call order, each a result or the node's error. A request that fails
   * in transport is sent again as a whole (`retries`); `resent` says it was, so a caller can read
   * a TXPOOL_DUPLICATE as "the first attempt arrived". No shape checks (raw results).
   */
  async batch(calls: readonly { method: string; params: unknown[] }[], timeoutMs = this.opts.timeoutMs): Promise<{ answers: BatchAnswer[]; resent: boolean }> {
    if (calls.length === 0) return { answers: [], resent: false };
    const first = this.nextId;
    this.nextId += calls.length;
    const request = calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params }));
    const { body, attempts } = await this.withRetries(() => this.post(request, timeoutMs));
    if (!Array.isArray(body)) {
      const e = (body as { error?: { code: number; message: string; data?: Record<string, unknown> } }).error;
      const err = new RpcCallError(e?.code ?? -32603, e?.message ?? 'the node did not answer the batch with a list', e?.data ?? {});
      return { answers: calls.map(() => ({ ok: false, error: err })), resent: attempts > 1 };
    }
    type Answer = { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };
    const byId = new Map<unknown, Answer>();
    for (const a of body as Answer[]) if (a && typeof a === 'object') byId.set(a.id, a);
    const answers = calls.map((_, i): BatchAnswer => {
      const a = byId.get(first + i);
      if (!a) return { ok: false, error: new RpcCallError(-32603, 'no answer for this call in the batch') };
      return a.error ? { ok: false, error: new RpcCallError(a.error.code, a.error.message, a.error.data ?? {}) } : { ok: true, result: a.result };
    });
    return { answers, resent: attempts > 1 };
  }

  /**
   * `sendRawTransaction` for many signed txs (0x-hex) in one batch: per tx its hash, or the
   * node's error (`NODE_BUSY`: send it again later, see `BusyPolicy`). After a resend of the
   * whole request, TXPOOL_DUPLICATE counts as taken (the first attempt had arrived; hash null).
   */
  async sendRawTransactions(rawTxs: readonly string[], timeoutMs = this.opts.timeoutMs): Promise<({ ok: true; hash: string | null } | { ok: false; error: RpcCallError })[]> {
    const { answers, resent } = await this.batch(rawTxs.map((hex) => ({ method: 'sendRawTransaction', params: [hex] })), timeoutMs);
    return answers.map((a) => (a.ok ? { ok: true, hash: String(a.result) } : resent && a.error.reason === 'TXPOOL_DUPLICATE' ? { ok: true, hash: null } : a));
  }

  private async withRetries<T>(f: () => Promise<T>): Promise<{ body: T; attempts: number }> {
    let delay = this.opts.retryDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return { body: await f(), attempts: attempt + 1 };
      } catch (e) {
        if (!(e instanceof RpcTransportError) || attempt >= this.opts.retries) throw e;
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  private async post(payload: unknown, timeoutMs: number): Promise<unknown> {
    let res: Response;
    try {
      res = await this.opts.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new RpcTransportError(`cannot reach ${this.url} (${cause}: ${(e as Error).message})`);
    }
    try {
      return await res.json();
    } catch {
      throw new RpcTransportError(`${this.url} answered HTTP ${res.status} without JSON`);
    }
  }

  /**
   * Follows finalized blocks without polling: on each `block` server-sent event it fetches the
   * blocks not yet seen (tx hashes only, in batches of 100) and calls `onBlock` for each in
   * height order with `receivedAt` = `performance.now()` when the event arrived (the time a
   * client learns of finalization). Starts after `from` (default: the head when called).
   */
  followBlocks(onBlock: (b: FollowedBlock, receivedAt: number) => void, opts: { from?: number; onError?: (e: Error) => void } = {}): BlockFollower {
    let last = opts.from ?? -1;
    let fetching: Promise<void> = Promise.resolve();
    let stopSse: (() => void) | null = null;
    let stopped = false;
    const fail = (e: Error) => opts.onError?.(e);
    const pull = (to: number, at: number) => {
      if (to <= last) return;
      const from = last + 1;
      last = to;
      fetching = fetching.then(async () => {
        for (let h = from; h <= to; h += 100) {
          const calls = [];
          for (let k = h; k <= Math.min(to, h + 99); k++) calls.push({ method: 'getBlockByNumber', params: [k, false] });
          const { answers } = await this.batch(calls, Math.max(this.opts.timeoutMs, 30_000));
          answers.forEach((a, i) => {
            if (!a.ok || !a.result) throw new RpcTransportError(`block ${h + i} missing on ${this.url}${a.ok ? '' : `: ${a.error.message}`}`);
            const b = a.result as FollowedBlock;
            onBlock({ number: b.number, hash: b.hash, timestamp: b.timestamp, transactions: (b.transactions ?? []).map(String) }, at);
          });
        }
      }).catch((e: Error) => fail(e));
    };
    const ready = (async () => {
      if (last < 0) last = await this.call('getBlockNumber', []);
      if (stopped) return;
      await new Promise<void>((resolve, reject) => {
        stopSse = this.subscribe(
          (event, data) => {
            if (event === 'block') pull(Number((data as { number: number }).number), performance.now());
          },
          (e) => {
            reject(e);
            fail(e);
          },
          resolve,
        );
      });
    })();
    return {
      ready,
      stop: () => {
        stopped = true;
        stopSse?.();
      },
      idle: () => fetching,
      get height() {
        return last;
      },
    };
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
   * view}) and `status`. `onOpen` once the stream is open. Returns a function that stops the subscription.
   */
  subscribe(onEvent: (event: string, data: unknown) => void, onError?: (e: Error) => void, onOpen?: () => void): () => void {
    const ctl = new AbortController();
    void (async () => {
      try {
        const res = await this.opts.fetch(this.url + '/events', { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
        if (!res.ok || !res.body) throw new RpcTransportError(`/events answered HTTP ${res.status}`);
        onOpen?.();
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
