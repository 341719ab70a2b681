import { signTx, type SignedTx } from '../chain/tx.ts';
import type { TxPayload } from '../codec/types.ts';
import type { KeyPair } from '../crypto/keys.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import type { RpcResult } from './api.ts';
import { Client, RpcCallError } from './client.ts';

export type Receipt = NonNullable<RpcResult<'getTransactionReceipt'>>;

/** A tx was not finalized within the wait. It may still be: look its receipt up later. */
export class ReceiptTimeoutError extends Error {
  readonly hash: string;
  constructor(hash: string, ms: number) {
    super(`no receipt for ${hash} after ${Math.round(ms / 1000)} s (it may still be finalized: look it up later)`);
    this.name = 'ReceiptTimeoutError';
    this.hash = hash;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for receipts of many txs with few requests: it follows the chain head and looks into
 * each new block's tx list, asking for a receipt only for a tx it holds. One per Client.
 */
export class ReceiptWatcher {
  private readonly client: Client;
  private readonly pollMs: number;
  private readonly waiting = new Map<string, { resolve(r: Receipt): void; reject(e: Error): void; deadline: number; ms: number; fresh: boolean }[]>();
  private height: number | null = null;
  private running = false;

  constructor(client: Client, pollMs = 150) {
    this.client = client;
    this.pollMs = pollMs;
  }

  /** The receipt of `hash` once its block is finalized; ReceiptTimeoutError after `timeoutMs`. */
  wait(hash: string, timeoutMs = 30_000): Promise<Receipt> {
    const h = hash.toLowerCase();
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(h) ?? [];
      list.push({ resolve, reject, deadline: Date.now() + timeoutMs, ms: timeoutMs, fresh: true });
      this.waiting.set(h, list);
      if (!this.running) void this.loop();
    });
  }

  private settle(hash: string, r: Receipt): void {
    for (const w of this.waiting.get(hash) ?? []) w.resolve(r);
    this.waiting.delete(hash);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        try {
          await this.step();
        } catch {
          // a failed poll is tried again next round (the client already resent it)
        }
        const now = Date.now();
        for (const [h, list] of this.waiting) {
          const left = list.filter((w) => (w.deadline <= now ? (w.reject(new ReceiptTimeoutError(h, w.ms)), false) : true));
          if (left.length) this.waiting.set(h, left);
          else this.waiting.delete(h);
        }
        if (this.waiting.size > 0) await sleep(this.pollMs);
      }
    } finally {
      this.running = false;
    }
  }

  private async step(): Promise<void> {
    // new waiters: one direct look (their tx may be in a block already)
    const fresh = [...this.waiting].filter(([, l]) => l.some((w) => w.fresh)).map(([h]) => h);
    const head = await this.client.call('getBlockNumber', []);
    for (const h of fresh) {
      for (const w of this.waiting.get(h) ?? []) w.fresh = false;
      const r = await this.client.call('getTransactionReceipt', [h]);
      if (r) this.settle(h, r);
    }
    if (this.height === null) this.height = head;
    for (let n = this.height + 1; n <= head && this.waiting.size > 0; n++) {
      const b = await this.client.call('getBlockByNumber', [n]);
      for (const t of (b?.transactions ?? []) as string[]) {
        const h = String(t).toLowerCase();
        if (!this.waiting.has(h)) continue;
        const r = await this.client.call('getTransactionReceipt', [h]);
        if (r) this.settle(h, r);
      }
    }
    this.height = Math.max(this.height, head);
  }
}

/**
 * How long to wait before sending again a tx the node refused with NODE_BUSY (its overload
 * protection): given the error and how many busy refusals this tx had before, the delay in ms.
 */
export type BusyPolicy = (e: RpcCallError, attempt: number) => number;

/** Wait as long as the node asks (`data.retryAfterMs`; `fallbackMs` if it does not say). The default. */
export const busyRetryAfterNode = (fallbackMs = 1000): BusyPolicy => (e) => (typeof e.data.retryAfterMs === 'number' ? e.data.retryAfterMs : fallbackMs);

/** Wait a fixed time (a load generator that models clients with their own retry timer). */
export const busyFixedDelay = (ms: number): BusyPolicy => () => ms;

/** Whether an error is the node's NODE_BUSY refusal (send the same tx again later). */
export const isBusy = (e: unknown): boolean => e instanceof RpcCallError && e.reason === 'NODE_BUSY';

export interface AccountOptions {
  /** The receipt watcher to share (default: one per client). */
  watcher?: ReceiptWatcher;
  /** Chain id and genesis hash, if the caller has them (saves a getChainInfo call per account). */
  chain?: { chainId: string; genesisHash: Uint8Array };
  /** The next nonce, if the caller knows it (e.g. a fresh key: 0); otherwise read from the node's pendingNonce. */
  nonce?: number;
}

export interface SendOptions {
  /** NODE_BUSY back-off (default: the node's retryAfterMs). */
  busy?: BusyPolicy;
  /** Use this nonce instead of the managed one (the managed sequence is not changed). */
  nonce?: number;
  /** Give up on NODE_BUSY after this long (ms). Default 60 s. */
  busyTimeoutMs?: number;
  /** Receipt wait (ms). Default 30 s. */
  timeoutMs?: number;
}

export interface SentTx {
  hash: string;
  nonce: number;
  tx: SignedTx;
  /** NODE_BUSY refusals before the node took it. */
  busyRetries: number;
}

/**
 * One key on one chain: signs txs with locally managed nonces (many txs in flight), sends
 * them in nonce order (a tx refused with NODE_BUSY is sent again after the node's
 * `retryAfterMs`, the key's later txs waiting behind it so no nonce gap opens), and waits for
 * receipts. Nonces start at the node's `pendingNonce` and are taken again from the node after
 * a nonce refusal (another client using the same key).
 */
export class Account {
  readonly client: Client;
  readonly key: KeyPair;
  readonly address: string;
  private readonly watcher: ReceiptWatcher;
  private chain: Promise<{ chainId: string; genesisHash: Uint8Array }> | null = null;
  private next: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(client: Client, key: KeyPair, opts?: ReceiptWatcher | AccountOptions) {
    const o: AccountOptions = opts instanceof ReceiptWatcher ? { watcher: opts } : (opts ?? {});
    this.client = client;
    this.key = key;
    this.address = key.address;
    this.watcher = o.watcher ?? watcherOf(client);
    if (o.chain) this.chain = Promise.resolve(o.chain);
    if (o.nonce !== undefined) this.next = o.nonce;
  }

  /** The nonce the next signed tx gets (null until read from the node). */
  get nextNonce(): number | null {
    return this.next;
  }

  /**
   * Takes the next nonce from the node again (`pendingNonce`: its committed nonce plus the
   * sender's txs in its pool), after txs of this key were refused or lost, or sets it to
   * `nonce` if the caller read it elsewhere; in order with sends.
   */
  resync(nonce?: number): Promise<number> {
    const p = this.queue.then(async () => (this.next = nonce ?? (await this.client.call('getAccount', [this.address])).pendingNonce));
    this.queue = p.catch(() => {});
    return p;
  }

  private chainInfo() {
    this.chain ??= this.client.call('getChainInfo', []).then((c) => ({ chainId: c.chainId, genesisHash: fromHex(c.genesisHash)! }));
    return this.chain;
  }

  /** Signs `payload` with the next nonce and sends it (in nonce order); resolves once the node took it. */
  send(payload: TxPayload, opts: SendOptions = {}): Promise<SentTx> {
    const p = this.queue.then(() => this.sendNow(payload, opts));
    this.queue = p.catch(() => {});
    return p;
  }

  /** send() then the receipt (ReceiptTimeoutError after opts.timeoutMs). */
  async sendAndWait(payload: TxPayload, opts: SendOptions = {}): Promise<Receipt & { busyRetries: number }> {
    const sent = await this.send(payload, opts);
    const r = await this.watcher.wait(sent.hash, opts.timeoutMs ?? 30_000);
    return { ...r, busyRetries: sent.busyRetries };
  }

  /**
   * Signs `payload` with the next managed nonce without sending it (for a caller that routes
   * txs itself); the nonce counts as used.
   */
  async sign(payload: TxPayload): Promise<SignedTx> {
    const p = this.queue.then(async () => {
      const { chainId, genesisHash } = await this.chainInfo();
      if (this.next === null) this.next = (await this.client.call('getAccount', [this.address])).pendingNonce;
      return signTx(this.key, chainId, this.next++, payload, genesisHash);
    });
    this.queue = p.catch(() => {});
    return p;
  }

  /** Waits for the receipt of a tx sent by any means. */
  receipt(hash: string, timeoutMs = 30_000): Promise<Receipt> {
    return this.watcher.wait(hash, timeoutMs);
  }

  private async sendNow(payload: TxPayload, opts: SendOptions): Promise<SentTx> {
    const { chainId, genesisHash } = await this.chainInfo();
    const fixed = opts.nonce;
    if (this.next === null && fixed === undefined) this.next = (await this.client.call('getAccount', [this.address])).pendingNonce;
    const deadline = Date.now() + (opts.busyTimeoutMs ?? 60_000);
    let busyRetries = 0;
    let resynced = fixed !== undefined;
    for (;;) {
      const nonce = fixed ?? this.next!;
      const tx = signTx(this.key, chainId, nonce, payload, genesisHash);
      const hash = toHex(tx.hash, true);
      try {
        await this.client.call('sendRawTransaction', [toHex(tx.bytes, true)]);
      } catch (e) {
        if (!(e instanceof RpcCallError)) throw e;
        if (e.reason === 'TXPOOL_DUPLICATE') {
          // a resend of a request that had arrived: the node holds it
        } else if (e.reason === 'NODE_BUSY') {
          if (Date.now() > deadline) throw e;
          const after = (opts.busy ?? defaultBusy)(e, busyRetries);
          busyRetries++;
          await sleep(Math.min(after, Math.max(0, deadline - Date.now())));
          continue;
        } else if ((e.reason === 'TXPOOL_NONCE_TOO_LOW' || e.reason === 'TXPOOL_NONCE_TAKEN') && !resynced) {
          resynced = true;
          this.next = (await this.client.call('getAccount', [this.address])).pendingNonce;
          continue;
        } else throw e;
      }
      if (fixed === undefined) this.next = nonce + 1;
      return { hash, nonce, tx, busyRetries };
    }
  }
}

const defaultBusy = busyRetryAfterNode();

const watchers = new WeakMap<Client, ReceiptWatcher>();
function watcherOf(c: Client): ReceiptWatcher {
  let w = watchers.get(c);
  if (!w) watchers.set(c, (w = new ReceiptWatcher(c)));
  return w;
}
