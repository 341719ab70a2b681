/**
 * Steady load for the chaos runner: a fixed rate of transfer txs from every funded account of
 * the testnet, each sender one tx at a time in nonce order, as a careful client of a system
 * that tolerates one faulty node would send them: every tx goes to two different nodes at
 * once (a node that is paused, cut off or about to be killed cannot swallow it alone), and a
 * tx whose fate is unknown (both requests timed out or were refused as busy) is sent again,
 * same bytes, until a node answers. The client knows the node list, not which node is faulty.
 *
 * `accepted` = sendRawTransaction returned the hash on some node (or TXPOOL_DUPLICATE: some
 * node already had it). Those are the txs that must all be finalized.
 *
 * Built on the SDK: an `Account` per sender signs with managed nonces (resynced after a
 * definite refusal), a `Client` per node (no transport resend: the two-node delivery below is
 * this client's resend policy) sends and reads receipts in batches.
 */
import type { KeyPair } from '../../src/crypto/index.ts';
import { Account, Client, RpcCallError } from '../../src/sdk/index.ts';
import { toHex } from '../../src/util/bytes.ts';

export interface AcceptedTx {
  hash: string;
  sender: string;
  nonce: number;
  /** ms since the load started */
  acceptedAt: number;
  /** Names of the nodes that answered with the hash (or DUPLICATE). */
  acceptedBy: string[];
  finalizedAt: number | null;
  block: number | null;
}

export interface LoadCounters {
  attempts: number;
  accepted: number;
  /** A definite refusal on every node asked (then the sender's nonce is read again). */
  rejected: Record<string, number>;
  /** Requests that timed out or failed to connect (the node was paused, cut off or down). */
  unreachable: number;
  busy: number;
  resent: number;
}

const SOFT_REFUSALS = new Set(['NODE_BUSY', 'NODE_UNAVAILABLE']);

export class SteadyLoad {
  readonly txs = new Map<string, AcceptedTx>();
  readonly counters: LoadCounters = { attempts: 0, accepted: 0, rejected: {}, unreachable: 0, busy: 0, resent: 0 };
  private readonly clients = new Map<string, Client>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private t0 = 0;
  private readonly opts: {
    chainId: string;
    /** The genesis hash every tx signs (chain/tx.ts, txSignMessage). */
    genesisHash: Uint8Array;
    senders: KeyPair[];
    nodes: () => { name: string; url: string }[];
    rate: number;
    random: () => number;
    requestTimeoutMs?: number;
  };

  constructor(opts: SteadyLoad['opts']) {
    this.opts = opts;
  }

  now(): number {
    return performance.now() - this.t0;
  }

  async start(): Promise<void> {
    this.t0 = performance.now();
    const chain = { chainId: this.opts.chainId, genesisHash: this.opts.genesisHash };
    const nonces = await Promise.all(this.opts.senders.map((k) => this.pendingNonce(k.address)));
    const accounts = this.opts.senders.map((k, i) => new Account(this.client(this.opts.nodes()[0].url), k, { chain, nonce: nonces[i] }));
    this.loops = accounts.map((a, i) => this.senderLoop(a, i));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private client(url: string): Client {
    let c = this.clients.get(url);
    if (!c) this.clients.set(url, (c = new Client(url, { timeoutMs: this.opts.requestTimeoutMs ?? 3_000, retries: 0, checkResults: false })));
    return c;
  }

  /** The sender's pendingNonce from the first node that answers (any node may be down). */
  private async pendingNonce(address: string): Promise<number> {
    for (;;) {
      for (const n of this.opts.nodes()) {
        try {
          return (await this.client(n.url).call('getAccount', [address])).pendingNonce;
        } catch {
          /* try the next node */
        }
      }
      await sleep(500);
    }
  }

  private async senderLoop(account: Account, index: number): Promise<void> {
    const period = (1000 * this.opts.senders.length) / this.opts.rate;
    let next = performance.now() + period * (index / this.opts.senders.length);
    const sink = new Uint8Array(20).fill(0xee);
    while (!this.stopped) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + period, performance.now() - period);
      if (this.stopped) break;
      const stx = await account.sign({ kind: 'transfer', transfer: { to: sink, amount: 1 } });
      const outcome = await this.deliver(stx.bytes, toHex(stx.hash, true));
      if (outcome.ok) {
        this.counters.accepted++;
        this.txs.set(outcome.hash, { hash: outcome.hash, sender: account.address, nonce: stx.body.nonce, acceptedAt: this.now(), acceptedBy: outcome.by, finalizedAt: null, block: null });
      } else if (!this.stopped) {
        this.counters.rejected[outcome.code] = (this.counters.rejected[outcome.code] ?? 0) + 1;
        await account.resync(await this.pendingNonce(account.address));
      }
    }
  }

  /** Sends one tx to two nodes at once, again (same bytes) while no node gives a definite answer. */
  private async deliver(bytes: Uint8Array, hash: string): Promise<{ ok: true; hash: string; by: string[] } | { ok: false; code: string }> {
    const hex = '0x' + toHex(bytes);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.counters.resent++;
      const nodes = pickTwo(this.opts.nodes(), this.opts.random);
      const answers = await Promise.all(
        nodes.map(async (n) => {
          this.counters.attempts++;
          try {
            await this.client(n.url).call('sendRawTransaction', [hex]);
            return { node: n.name, code: 'OK' };
          } catch (e) {
            if (e instanceof RpcCallError) return { node: n.name, code: e.reason ?? (e.code === -32002 ? 'NODE_UNAVAILABLE' : String(e.code)) };
            this.counters.unreachable++;
            return { node: n.name, code: 'UNREACHABLE' };
          }
        }),
      );
      const by = answers.filter((a) => a.code === 'OK' || a.code === 'TXPOOL_DUPLICATE').map((a) => a.node);
      if (by.length > 0) return { ok: true, hash, by };
      // an earlier attempt of unknown fate may have been admitted and even committed since
      if (attempt > 0 && answers.some((a) => a.code === 'TXPOOL_NONCE_TOO_LOW')) return { ok: true, hash, by: [] };
      const definite = answers.find((a) => a.code !== 'UNREACHABLE' && !SOFT_REFUSALS.has(a.code));
      if (definite && answers.every((a) => a.code !== 'UNREACHABLE' && !SOFT_REFUSALS.has(a.code))) return { ok: false, code: definite.code };
      if (answers.some((a) => SOFT_REFUSALS.has(a.code))) this.counters.busy++;
      if (this.stopped && attempt >= 3) return { ok: false, code: 'GAVE_UP_AT_STOP' };
      await sleep(300);
    }
  }

  /** Asks `url` for the receipts of every accepted tx not yet known finalized; returns how many are still not. */
  async refreshFinalized(url: string): Promise<number> {
    const open = [...this.txs.values()].filter((t) => t.finalizedAt === null);
    for (let i = 0; i < open.length; i += 100) {
      const chunk = open.slice(i, i + 100);
      const { answers } = await this.client(url).batch(chunk.map((t) => ({ method: 'getTransactionReceipt', params: [t.hash] })), 10_000);
      answers.forEach((r, k) => {
        if (!r.ok) return; // an error for one tx: asked again next round
        const rec = r.result as { blockNumber: number } | null;
        if (rec) {
          chunk[k].finalizedAt = this.now();
          chunk[k].block = rec.blockNumber;
        }
      });
    }
    return [...this.txs.values()].filter((t) => t.finalizedAt === null).length;
  }

  /** Accepted txs not known finalized that were accepted before `beforeMs` (load clock). */
  unfinalizedBefore(beforeMs: number): AcceptedTx[] {
    return [...this.txs.values()].filter((t) => t.finalizedAt === null && t.acceptedAt < beforeMs);
  }
}

function pickTwo<T>(xs: T[], random: () => number): T[] {
  if (xs.length <= 2) return xs;
  const a = Math.floor(random() * xs.length);
  let b = Math.floor(random() * (xs.length - 1));
  if (b >= a) b++;
  return [xs[a], xs[b]];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
