/**
 * Multi-process test harness: a testnet of real node processes on loopback (real libp2p,
 * real LevelDB) in a temp dir with free ports; kill -9, restart, and RPC helpers. Everything
 * it starts is stopped by `stop()` (register it in afterAll), bounded in time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTestnet, type TestnetLayout, type TestnetNode } from '../../src/node/testnet.ts';
import { RpcClient } from '../../src/cli/rpc-client.ts';
import { readKeyFile, type KeyPair } from '../../src/crypto/index.ts';
import type { SignedTx } from '../../src/chain/tx.ts';
import { Account, Client, ReceiptWatcher } from '../../src/sdk/index.ts';
import { genesisHash, parseGenesis } from '../../src/chain/genesis.ts';
import type { TxPayload } from '../../src/codec/types.ts';
import { toHex } from '../../src/util/bytes.ts';
import { NODE_RUNTIME_FLAGS } from '../../src/node/runtime-flags.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'edgechain.js');

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Polls `fn` until it returns a truthy value or the time is up (for conditions with no event to wait on). */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RunningNode {
  node: TestnetNode;
  rpc: RpcClient;
  proc: ChildProcess | null;
}

export class Testnet {
  readonly dir: string;
  readonly layout: TestnetLayout;
  readonly nodes: RunningNode[];
  readonly chainId: string;
  /** The genesis hash every tx signs (chain/tx.ts, txSignMessage). */
  readonly genesisHash: Uint8Array;
  /** A command prefix for a node's process (e.g. `ip netns exec <ns>`: the chaos runner's namespaces); none by default. */
  launchPrefix: ((name: string) => string[]) | null = null;
  /** Processes that exited without the harness stopping them: "<name>: code …, signal …". */
  readonly unexpectedExits: string[] = [];
  private readonly accounts = new Map<string, Account>();
  private readonly clients = new Map<string, Client>();
  private readonly watchers = new Map<string, ReceiptWatcher>();

  private constructor(dir: string, layout: TestnetLayout) {
    this.dir = dir;
    this.layout = layout;
    this.nodes = layout.nodes.map((node) => ({ node, rpc: new RpcClient(node.rpcUrl, 5000), proc: null }));
    const genesisJson = JSON.parse(readFileSync(layout.genesisPath, 'utf8'));
    this.chainId = genesisJson.chainId;
    this.genesisHash = genesisHash(parseGenesis(genesisJson));
  }

  /** `rpc`, `consensus`: settings merged into every node's config sections of those names (the bench's per-client caps, a block period). */
  static async create(opts: { sealers?: number; observers?: number; devices?: number; params?: Record<string, number>; rpc?: Record<string, unknown>; consensus?: Record<string, unknown> } = {}): Promise<Testnet> {
    const dir = mkdtempSync(join(tmpdir(), 'edgechain-e2e-'));
    const n = (opts.sealers ?? 4) + (opts.observers ?? 1);
    const ports = await freePorts(2 * n);
    const layout = initTestnet({ dir, sealers: opts.sealers ?? 4, observers: opts.observers ?? 1, devices: opts.devices ?? 3, deterministic: false, dataRoot: './data', rpcBasePort: 0, p2pBasePort: 0 });
    // initTestnet numbers ports from a base; give each node its own free ports instead
    layout.nodes.forEach((node, i) => {
      node.rpcPort = ports[i];
      node.p2pPort = ports[n + i];
      node.rpcUrl = `http://127.0.0.1:${node.rpcPort}`;
    });
    for (const node of layout.nodes) {
      const cfg = JSON.parse(readFileSync(node.configPath, 'utf8'));
      cfg.rpc = { ...cfg.rpc, ...opts.rpc, port: node.rpcPort };
      if (opts.consensus) cfg.consensus = { ...cfg.consensus, ...opts.consensus };
      cfg.p2p.listen = [`/ip4/127.0.0.1/tcp/${node.p2pPort}`];
      cfg.p2p.bootstrap = layout.nodes.filter((p) => p.role === 'sealer' && p.name !== node.name).map((p) => `/ip4/127.0.0.1/tcp/${p.p2pPort}/p2p/${p.peerId}`);
      writeFileSync(node.configPath, JSON.stringify(cfg, null, 2));
    }
    if (opts.params) {
      const g = JSON.parse(readFileSync(layout.genesisPath, 'utf8'));
      g.params = { ...g.params, ...opts.params };
      writeFileSync(layout.genesisPath, JSON.stringify(g, null, 2));
    }
    return new Testnet(dir, layout);
  }

  byName(name: string): RunningNode {
    const n = this.nodes.find((x) => x.node.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  start(name: string): RunningNode {
    const rn = this.byName(name);
    if (rn.proc && rn.proc.exitCode === null && rn.proc.signalCode === null) return rn;
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const cmd = [...(this.launchPrefix?.(name) ?? []), process.execPath, ...NODE_RUNTIME_FLAGS, BIN, 'start', '--config', rn.node.configPath];
    const proc = spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: { ...process.env, EDGECHAIN_LOG_PRETTY: '0', EDGECHAIN_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    rn.proc = proc;
    // kill()/stopNode()/stop() clear rn.proc first: any other exit is a crash
    proc.once('exit', (code, signal) => {
      if (rn.proc === proc) this.unexpectedExits.push(`${name}: exited with code ${code}, signal ${signal}`);
    });
    return rn;
  }

  async startAll(names = this.nodes.map((n) => n.node.name)): Promise<void> {
    for (const n of names) this.start(n);
    await Promise.all(names.map((n) => this.ready(n)));
  }

  async ready(name: string, timeoutMs = 30_000): Promise<void> {
    const rn = this.byName(name);
    await waitFor(`${name} RPC`, async () => (await rn.rpc.call<number>('getBlockNumber')) >= 0, timeoutMs, 100);
  }

  /** kill -9 */
  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  /** Graceful stop (SIGTERM), bounded. */
  stopNode(name: string): Promise<void> {
    return this.signal(name, 'SIGTERM');
  }

  private async signal(name: string, sig: NodeJS.Signals): Promise<void> {
    const rn = this.byName(name);
    const p = rn.proc;
    rn.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.signal(n.node.name, 'SIGKILL')));
    if (process.env.EDGECHAIN_KEEP_E2E) console.log(`e2e testnet kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * The end-of-suite check: every node the harness started and did not stop on purpose is
   * still running and answers RPC, no node exited on its own, and no log holds a fatal line
   * (pino level 60) or an uncaught exception. Throws with every problem found.
   */
  async assertHealthy(): Promise<{ alive: string[] }> {
    const problems = [...this.unexpectedExits];
    const alive: string[] = [];
    for (const rn of this.nodes) {
      const name = rn.node.name;
      const log = this.log(name);
      const fatal = log.split('\n').filter((l) => /"level":60\b/.test(l) || /^(Uncaught|Error \[ERR_|.*\bFATAL\b)/.test(l));
      if (fatal.length) problems.push(`${name} logged ${fatal.length} fatal line(s), first: ${fatal[0].slice(0, 300)}`);
      if (!rn.proc) continue;
      if (rn.proc.exitCode !== null || rn.proc.signalCode !== null) {
        problems.push(`${name} is not running (code ${rn.proc.exitCode}, signal ${rn.proc.signalCode})`);
        continue;
      }
      try {
        await rn.rpc.call<number>('getBlockNumber');
        alive.push(name);
      } catch (e) {
        problems.push(`${name} does not answer RPC: ${(e as Error).message}`);
      }
    }
    if (problems.length) throw new Error(`unhealthy testnet:\n  ${problems.join('\n  ')}`);
    return { alive };
  }

  /** The last lines of every node's log: printed when a test fails, so a CI failure can be read. */
  dumpLogs(lines = 40): void {
    for (const n of this.nodes) {
      const tail = this.log(n.node.name).trim().split('\n').slice(-lines).join('\n');
      console.log(`----- ${n.node.name} (last ${lines} log lines)\n${tail}`);
    }
  }

  log(name: string): string {
    try {
      return readFileSync(join(this.dir, `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  account(name: string): KeyPair {
    const a = this.layout.accounts.find((x) => x.name === name);
    if (!a) throw new Error(`no account ${name}`);
    return readKeyFile(a.keyPath);
  }

  /** Signs with the SDK's managed nonces (starting from the chain's pending nonce), without sending: tests route txs themselves. */
  async sign(key: KeyPair, payload: TxPayload, via = this.nodes[0]): Promise<SignedTx> {
    let a = this.accounts.get(key.address);
    if (!a) this.accounts.set(key.address, (a = new Account(this.sdkClient(via.rpc.url), key)));
    return a.sign(payload);
  }

  /** One SDK client (and so one receipt watcher) per node URL. */
  private sdkClient(url: string): Client {
    let c = this.clients.get(url);
    if (!c) this.clients.set(url, (c = new Client(url, { timeoutMs: 15_000 })));
    return c;
  }

  async send(stx: SignedTx, via = this.nodes[0]): Promise<string> {
    return via.rpc.call<string>('sendRawTransaction', ['0x' + toHex(stx.bytes)]);
  }

  /** The receipt of a tx, from `via` (the SDK's receipt watcher: follows the head, no polling per tx). */
  async receipt(hash: string, via: RunningNode | RpcClient = this.nodes[0], timeoutMs = 30_000): Promise<Record<string, any>> {
    const url = via instanceof RpcClient ? via.url : via.rpc.url;
    let w = this.watchers.get(url);
    if (!w) this.watchers.set(url, (w = new ReceiptWatcher(this.sdkClient(url), 100)));
    return w.wait(hash, timeoutMs);
  }

  rpcOf(name: string): RpcClient {
    return this.byName(name).rpc;
  }

  async height(name: string): Promise<number> {
    return this.byName(name).rpc.call<number>('getBlockNumber');
  }

  /** Waits until every named node reports at least `h`, then returns their hashes at `h`. */
  async heads(names: string[], h: number, timeoutMs = 30_000): Promise<string[]> {
    await Promise.all(names.map((n) => waitFor(`${n} at height ${h}`, async () => (await this.height(n)) >= h, timeoutMs)));
    return Promise.all(names.map(async (n) => (await this.byName(n).rpc.call<{ hash: string }>('getBlockByNumber', [h])).hash));
  }
}

/** Runs the `edgechain` command (bin/edgechain.js) with `args`; its output and exit code, never a throw for a non-zero exit. */
export async function runCli(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'edgechain.js'), ...args], { cwd: ROOT, timeout: timeoutMs });
    return { ...r, code: 0 };
  } catch (e) {
    const x = e as { stdout: string; stderr: string; code: number };
    return { stdout: x.stdout, stderr: x.stderr, code: x.code };
  }
}
