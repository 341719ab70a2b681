import { readFileSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { EdgeError } from '../util/errors.ts';
import { fromHex } from '../util/bytes.ts';
import { defaultVerifyWorkers } from '../crypto/verify-pool.ts';

/**
 * Node configuration (JSON file). Paths are relative to the config file's folder.
 *
 * {
 *   "name": "proxy",                      // label in logs and the explorer
 *   "role": "sealer",                     // "sealer" votes (its key must be in genesis); "observer" syncs only
 *   "genesis": "genesis.json",
 *   "key": "keys/proxy.json",             // node key: consensus key and libp2p identity
 *   "dataDir": "../.testnet/proxy",       // LevelDB lives in <dataDir>/db
 *   "signState": "../.testnet/proxy.sign-state.json",  // optional: the double-sign guard file (sealers),
 *                                          // default <dataDir>.sign-state.json (outside the data dir)
 *   "p2p": { "listen": ["/ip4/127.0.0.1/tcp/30301"], "bootstrap": ["/ip4/127.0.0.1/tcp/30302/p2p/12D3…"],
 *            "observers": ["<public key hex>"] },   // extra peers the gater admits
 *   "rpc": { "host": "127.0.0.1", "port": 8545 },
 *   "log": { "level": "info" },
 *   "sync": { "verifyWorkers": 1 },        // optional: threads checking synced txs' signatures (0 = main thread)
 *   "load": { "busyPoolTxs": 2000, "busyBacklogTxs": 1000, "gossipBacklogTxs": 20000, "proposalMaxTxs": 1000 }
 *                                          // optional: overload protection (docs/NODE.md, "Overload")
 * }
 *
 * Environment overrides (for containers and scripts): EDGECHAIN_DATA_DIR, EDGECHAIN_SIGN_STATE, EDGECHAIN_RPC_HOST,
 * EDGECHAIN_RPC_PORT, EDGECHAIN_P2P_LISTEN (comma-separated multiaddrs), EDGECHAIN_LOG_LEVEL.
 */
export interface NodeConfig {
  name: string;
  role: 'sealer' | 'observer';
  genesisPath: string;
  keyPath: string;
  dataDir: string;
  /** The double-sign guard file (docs/CONSENSUS.md): outside the data dir, so wiping that keeps it. */
  signStatePath: string;
  p2p: { listen: string[]; bootstrap: string[]; observers: Uint8Array[] };
  rpc: { host: string; port: number };
  log: { level: string };
  /** Catching up: worker threads that verify the tx signatures of synced blocks (0 = on the main thread). */
  sync: { verifyWorkers: number };
  /** Overload protection (docs/NODE.md, "Overload"). */
  load: {
    /** Client txs are refused (NODE_BUSY) while the pool holds this many txs. */
    busyPoolTxs: number;
    /** …or while this many gossiped txs wait for admission. */
    busyBacklogTxs: number;
    /** Gossiped txs waiting for admission at most; a batch beyond it is dropped (not forwarded). */
    gossipBacklogTxs: number;
    /** Most txs this node puts in one proposal (also bounded by the chain's maxBlockTxs). */
    proposalMaxTxs: number;
  };
}

export const DEFAULT_LOAD: NodeConfig['load'] = { busyPoolTxs: 2000, busyBacklogTxs: 1000, gossipBacklogTxs: 20_000, proposalMaxTxs: 1000 };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const bad = (msg: string) => new EdgeError('CONFIG_INVALID', msg);

export function loadConfig(path: string, env: Record<string, string | undefined> = process.env): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EdgeError('CONFIG_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad(`${path} is not valid JSON`);
  }
  return parseConfig(json, dirname(resolve(path)), env);
}

export function parseConfig(json: unknown, baseDir: string, env: Record<string, string | undefined> = {}): NodeConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('config must be a JSON object');
  const c = json as Record<string, any>;
  const rel = (p: unknown, field: string): string => {
    if (typeof p !== 'string' || !p) throw bad(`"${field}" must be a path`);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  const role = c.role ?? 'sealer';
  if (role !== 'sealer' && role !== 'observer') throw bad('"role" must be "sealer" or "observer"');
  const p2p = c.p2p ?? {};
  const strings = (v: unknown, field: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw bad(`"${field}" must be a list of strings`);
    return v as string[];
  };
  const observers = strings(p2p.observers, 'p2p.observers').map((h, i) => {
    const b = fromHex(h);
    if (!b || b.length !== 32) throw bad(`p2p.observers[${i}] must be a 64-hex-character public key`);
    return b;
  });
  const rpc = c.rpc ?? {};
  const cfg: NodeConfig = {
    name: typeof c.name === 'string' && c.name ? c.name : 'node',
    role,
    genesisPath: rel(c.genesis, 'genesis'),
    keyPath: rel(c.key, 'key'),
    dataDir: rel(c.dataDir ?? './data', 'dataDir'),
    signStatePath: '',
    p2p: { listen: strings(p2p.listen, 'p2p.listen'), bootstrap: strings(p2p.bootstrap, 'p2p.bootstrap'), observers },
    rpc: { host: rpc.host ?? '127.0.0.1', port: rpc.port ?? 8545 },
    log: { level: c.log?.level ?? 'info' },
    sync: { verifyWorkers: c.sync?.verifyWorkers ?? defaultVerifyWorkers() },
    load: { ...DEFAULT_LOAD, ...(typeof c.load === 'object' && c.load !== null ? c.load : {}) },
  };
  if (env.EDGECHAIN_DATA_DIR) cfg.dataDir = resolve(env.EDGECHAIN_DATA_DIR);
  cfg.signStatePath = env.EDGECHAIN_SIGN_STATE ? resolve(env.EDGECHAIN_SIGN_STATE) : c.signState !== undefined ? rel(c.signState, 'signState') : cfg.dataDir.replace(/\/+$/, '') + '.sign-state.json';
  if (env.EDGECHAIN_RPC_HOST) cfg.rpc.host = env.EDGECHAIN_RPC_HOST;
  if (env.EDGECHAIN_RPC_PORT) cfg.rpc.port = Number(env.EDGECHAIN_RPC_PORT);
  if (env.EDGECHAIN_P2P_LISTEN) cfg.p2p.listen = env.EDGECHAIN_P2P_LISTEN.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.EDGECHAIN_LOG_LEVEL) cfg.log.level = env.EDGECHAIN_LOG_LEVEL;
  if (!Number.isInteger(cfg.rpc.port) || cfg.rpc.port < 0 || cfg.rpc.port > 65535) throw bad('rpc.port must be 0..65535');
  if (typeof cfg.rpc.host !== 'string' || !cfg.rpc.host) throw bad('rpc.host must be a host name or address');
  if (!LEVELS.includes(cfg.log.level)) throw bad(`log.level must be one of ${LEVELS.join(', ')}`);
  if (c.sync !== undefined && (typeof c.sync !== 'object' || c.sync === null || Array.isArray(c.sync))) throw bad('"sync" must be an object');
  if (!Number.isInteger(cfg.sync.verifyWorkers) || cfg.sync.verifyWorkers < 0 || cfg.sync.verifyWorkers > 64) throw bad('sync.verifyWorkers must be an integer 0..64');
  if (c.load !== undefined && (typeof c.load !== 'object' || c.load === null || Array.isArray(c.load))) throw bad('"load" must be an object');
  for (const k of Object.keys(c.load ?? {})) if (!(k in DEFAULT_LOAD)) throw bad(`load.${k} is not an option (known: ${Object.keys(DEFAULT_LOAD).join(', ')})`);
  for (const [k, v] of Object.entries(cfg.load)) if (!Number.isSafeInteger(v) || v < 1) throw bad(`load.${k} must be a positive integer`);
  if (cfg.p2p.listen.length === 0) cfg.p2p.listen = ['/ip4/127.0.0.1/tcp/0'];
  return cfg;
}
