import { readFileSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { EdgeError } from '../util/errors.ts';
import { fromHex } from '../util/bytes.ts';
import { defaultVerifyWorkers } from '../crypto/verify-pool.ts';
import { z } from 'zod';
import { describeIssues } from '../util/schema.ts';
import { DEFAULT_RPC_OPTIONS, type RpcServerOptions } from '../rpc/server.ts';
import { DEFAULT_RETENTION, type StateRetention } from '../state/world.ts';

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
 *   "rpc": { "host": "127.0.0.1", "port": 8545, "corsOrigins": [], "allowedHosts": [], "rateLimit": { … }, … },
 *                                          // limits: docs/RPC.md, "Limits"
 *   "log": { "level": "info" },
 *   "sync": { "verifyWorkers": 1 },        // optional: threads checking synced txs' signatures (0 = main thread)
 *   "proofs": { "maxHeights": 64, "minHeights": 16, "nodes": 400000 },  // optional: past heights kept provable (docs/VERIFY.md)
 *   "load": { "busyPoolTxs": 2000, "busyBacklogTxs": 1000, "gossipBacklogTxs": 20000, "proposalMaxTxs": 1000 }
 *                                          // optional: overload protection (docs/NODE.md, "Overload")
 *   "consensus": { "blockPeriodMs": 200 }  // optional: as leader, wait this long for a fuller block
 *                                          // (docs/CONSENSUS.md, "Block period")
 *   "health": { "maxSyncLagBlocks": 5, "maxStallSeconds": 30 }   // what /health/ready requires
 * }
 *
 * The file is checked against NodeConfigSchema (strict: an unknown key is an error, with the
 * key probably meant); `edgechain config check <file>` runs the same check.
 *
 * Environment overrides (for containers and scripts): EDGECHAIN_DATA_DIR, EDGECHAIN_SIGN_STATE, EDGECHAIN_RPC_HOST,
 * EDGECHAIN_RPC_PORT, EDGECHAIN_P2P_LISTEN (comma-separated multiaddrs), EDGECHAIN_COMPACT_PROPOSALS,
 * EDGECHAIN_BLOCK_PERIOD_MS, EDGECHAIN_LOG_LEVEL.
 */
export interface NodeConfig {
  name: string;
  role: 'sealer' | 'observer';
  genesisPath: string;
  keyPath: string;
  dataDir: string;
  /** The double-sign guard file (docs/CONSENSUS.md): outside the data dir, so wiping that keeps it. */
  signStatePath: string;
  /** `compactProposals`: send proposals as header + tx ids (docs/CONSENSUS.md, "Compact proposals"); default true. */
  p2p: { listen: string[]; bootstrap: string[]; observers: Uint8Array[]; compactProposals: boolean };
  /** Address and limits of the JSON-RPC server (docs/RPC.md, "Limits"). */
  rpc: RpcConfig;
  log: { level: string };
  /** Catching up: worker threads that verify the tx signatures of synced blocks (0 = on the main thread). */
  sync: { verifyWorkers: number };
  /** Past heights whose state stays provable (docs/VERIFY.md, "Retention"): at most maxHeights, fewer past a budget of tree nodes, never fewer than minHeights. */
  proofs: StateRetention;
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
  /** What /health/ready requires (docs/OPERATIONS.md, "Probes"). */
  health: { maxSyncLagBlocks: number; maxStallSeconds: number };
  /** This node's consensus policy (not chain rules): the leader's block period (docs/CONSENSUS.md, "Block period"). */
  consensus: { blockPeriodMs: number };
}

/** The RPC server's options (rpc/server.ts) and the event-stream caps (rpc/events.ts). */
export interface RpcConfig extends RpcServerOptions {
  maxEventStreams: number;
  maxEventStreamsPerClient: number;
}

export const DEFAULT_LOAD: NodeConfig['load'] = { busyPoolTxs: 2000, busyBacklogTxs: 1000, gossipBacklogTxs: 20_000, proposalMaxTxs: 1000 };
export const DEFAULT_HEALTH: NodeConfig['health'] = { maxSyncLagBlocks: 5, maxStallSeconds: 30 };
/** The most a block period may be configured to (the engine also caps it at a quarter of the chain's view timeout). */
export const MAX_BLOCK_PERIOD_MS = 10_000;
export const DEFAULT_CONSENSUS: NodeConfig['consensus'] = { blockPeriodMs: 200 };
export const DEFAULT_RPC: RpcConfig = { ...DEFAULT_RPC_OPTIONS, maxEventStreams: 256, maxEventStreamsPerClient: 4 };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const bad = (msg: string) => new EdgeError('CONFIG_INVALID', msg);

const posInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().min(1).max(max);
const strings = z.array(z.string().min(1));

/**
 * The node config file, as a strict schema: an unknown key or a wrong type is refused with its
 * path and, for a likely typo, the key meant. docs/schema/node-config.schema.json is generated
 * from it (npm run schema) for editors.
 */
export const NodeConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors'),
    name: z.string().min(1).max(64).optional().describe('Label in logs and the explorer (default "node")'),
    role: z.enum(['sealer', 'observer']).optional().describe('"sealer" votes (its key must be in genesis); "observer" syncs only. Default sealer'),
    genesis: z.string().min(1).describe('Genesis file, relative to this file'),
    key: z.string().min(1).describe('Node key file (consensus key and libp2p identity), relative to this file; mode 0600'),
    dataDir: z.string().min(1).optional().describe('Data directory (LevelDB in <dataDir>/db), relative to this file. Default ./data'),
    signState: z.string().min(1).optional().describe('The double-sign guard file of a sealer, relative to this file; keep it outside the data dir. Default <dataDir>.sign-state.json'),
    p2p: z
      .strictObject({
        listen: strings.optional().describe('Multiaddrs to listen on. Default /ip4/127.0.0.1/tcp/0'),
        bootstrap: strings.optional().describe('Multiaddrs (with /p2p/<peer id>) dialled at start and kept connected'),
        observers: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a 64-hex-character public key')).optional().describe('Public keys of observers the connection gater admits'),
        compactProposals: z.boolean().optional().describe('Send own proposals as header + tx ids; receivers rebuild them from their pools and fetch the txs they lack (docs/CONSENSUS.md). Default true; false sends whole blocks (received compact proposals are understood either way)'),
      })
      .optional(),
    rpc: z
      .strictObject({
        host: z.string().min(1).optional().describe('Address the JSON-RPC server binds to. Default 127.0.0.1'),
        port: z.number().int().min(0).max(65535).optional().describe('Port (0 = any free port). Default 8545'),
        corsOrigins: strings.optional().describe('Origins that may call from a web page ("*" = any). Default none: no CORS headers'),
        allowedHosts: strings.optional().describe('Host header names served ("*" = any). Default localhost, 127.0.0.1, ::1 and rpc.host'),
        rateLimit: z
          .strictObject({ perSecond: z.number().int().min(0).describe('Cost units refilled per second per client address; 0 = no limit'), burst: posInt().describe('Bucket size') })
          .optional()
          .describe('Token bucket per client address, in cost units (docs/RPC.md)'),
        maxBodyBytes: posInt().optional(),
        maxBatch: posInt(10_000).optional(),
        maxResponseBytes: posInt().optional(),
        maxRequestCost: posInt().optional(),
        maxConnections: posInt().optional(),
        maxConnectionsPerClient: posInt().optional(),
        maxConcurrentPerClient: posInt().optional(),
        maxEventStreams: posInt().optional(),
        maxEventStreamsPerClient: posInt().optional(),
      })
      .optional(),
    log: z.strictObject({ level: z.enum(LEVELS).optional().describe('Default info') }).optional(),
    sync: z.strictObject({ verifyWorkers: z.number().int().min(0).max(64).optional().describe('Threads verifying synced txs (0 = main thread)') }).optional(),
    proofs: z
      .strictObject({
        maxHeights: z.number().int().min(1).max(100_000).optional().describe('Most past heights kept provable (default 64)'),
        minHeights: z.number().int().min(1).max(100_000).optional().describe('Fewest past heights kept provable, whatever their size (default 16)'),
        nodes: z.number().int().min(0).optional().describe('Budget of state-tree nodes the kept heights may hold, ~120 B each (default 400000: ~50 MB)'),
      })
      .optional()
      .refine((p) => !p || (p.minHeights ?? DEFAULT_RETENTION.minHeights) <= (p.maxHeights ?? DEFAULT_RETENTION.maxHeights), { message: 'proofs.minHeights must not exceed proofs.maxHeights' })
      .describe('Past heights whose state stays provable for getProof and verify match (docs/VERIFY.md, "Retention")'),
    load: z
      .strictObject({ busyPoolTxs: posInt().optional(), busyBacklogTxs: posInt().optional(), gossipBacklogTxs: posInt().optional(), proposalMaxTxs: posInt().optional() })
      .optional()
      .describe('Overload protection (docs/NODE.md, "Overload")'),
    health: z
      .strictObject({
        maxSyncLagBlocks: z.number().int().min(0).optional().describe('/health/ready fails while this many blocks behind the best peer. Default 5'),
        maxStallSeconds: posInt().optional().describe('/health/ready fails when no block was finalized for this long while the pool has txs. Default 30'),
      })
      .optional(),
    consensus: z
      .strictObject({
        blockPeriodMs: z
          .number()
          .int()
          .min(0)
          .max(MAX_BLOCK_PERIOD_MS)
          .optional()
          .describe('As leader, wait this long after the parent block for more txs unless the pool holds a full block (0 = propose at once; at most a quarter of the view timeout is used). Default 200'),
      })
      .optional()
      .describe('This node\'s consensus policy, not chain rules (docs/CONSENSUS.md, "Block period")'),
  })
  .describe('edgechain node configuration (docs/NODE.md)');

/** Problems of a config file's JSON, one line each with its path; empty when it is valid. */
export function configProblems(json: unknown): string[] {
  const r = NodeConfigSchema.safeParse(json, { reportInput: true });
  return r.success ? [] : describeIssues(NodeConfigSchema, r.error.issues);
}

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
  try {
    return parseConfig(json, dirname(resolve(path)), env);
  } catch (e) {
    if (e instanceof EdgeError && e.code === 'CONFIG_INVALID') throw bad(`${path}: ${e.message.replace(/^CONFIG_INVALID: /, '')}`);
    throw e;
  }
}

export function parseConfig(json: unknown, baseDir: string, env: Record<string, string | undefined> = {}): NodeConfig {
  const problems = configProblems(json);
  if (problems.length) throw bad(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join('; ')}`);
  const c = NodeConfigSchema.parse(json);
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const p2p = c.p2p ?? {};
  const rpc = c.rpc ?? {};
  const cfg: NodeConfig = {
    name: c.name ?? 'node',
    role: c.role ?? 'sealer',
    genesisPath: rel(c.genesis),
    keyPath: rel(c.key),
    dataDir: rel(c.dataDir ?? './data'),
    signStatePath: '',
    p2p: { listen: p2p.listen ?? [], bootstrap: p2p.bootstrap ?? [], observers: (p2p.observers ?? []).map((h) => fromHex(h)!), compactProposals: p2p.compactProposals ?? true },
    rpc: { ...DEFAULT_RPC, ...rpc, rateLimit: { ...DEFAULT_RPC.rateLimit, ...rpc.rateLimit } },
    log: { level: c.log?.level ?? 'info' },
    sync: { verifyWorkers: c.sync?.verifyWorkers ?? defaultVerifyWorkers() },
    proofs: { ...DEFAULT_RETENTION, ...c.proofs },
    load: { ...DEFAULT_LOAD, ...c.load },
    health: { ...DEFAULT_HEALTH, ...c.health },
    consensus: { ...DEFAULT_CONSENSUS, ...c.consensus },
  };
  if (env.EDGECHAIN_DATA_DIR) cfg.dataDir = resolve(env.EDGECHAIN_DATA_DIR);
  cfg.signStatePath = env.EDGECHAIN_SIGN_STATE ? resolve(env.EDGECHAIN_SIGN_STATE) : c.signState !== undefined ? rel(c.signState) : cfg.dataDir.replace(/\/+$/, '') + '.sign-state.json';
  if (env.EDGECHAIN_RPC_HOST) cfg.rpc.host = env.EDGECHAIN_RPC_HOST;
  if (env.EDGECHAIN_RPC_PORT) cfg.rpc.port = Number(env.EDGECHAIN_RPC_PORT);
  if (env.EDGECHAIN_P2P_LISTEN) cfg.p2p.listen = env.EDGECHAIN_P2P_LISTEN.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.EDGECHAIN_LOG_LEVEL) cfg.log.level = env.EDGECHAIN_LOG_LEVEL;
  if (env.EDGECHAIN_COMPACT_PROPOSALS) {
    if (env.EDGECHAIN_COMPACT_PROPOSALS !== '0' && env.EDGECHAIN_COMPACT_PROPOSALS !== '1') throw bad('EDGECHAIN_COMPACT_PROPOSALS must be 0 or 1');
    cfg.p2p.compactProposals = env.EDGECHAIN_COMPACT_PROPOSALS === '1';
  }
  if (env.EDGECHAIN_BLOCK_PERIOD_MS !== undefined) {
    const v = env.EDGECHAIN_BLOCK_PERIOD_MS.trim();
    if (!/^\d+$/.test(v) || Number(v) > MAX_BLOCK_PERIOD_MS) throw bad(`EDGECHAIN_BLOCK_PERIOD_MS must be an integer 0..${MAX_BLOCK_PERIOD_MS}`);
    cfg.consensus.blockPeriodMs = Number(v);
  }
  if (!Number.isInteger(cfg.rpc.port) || cfg.rpc.port < 0 || cfg.rpc.port > 65535) throw bad('EDGECHAIN_RPC_PORT must be 0..65535');
  if (!(LEVELS as readonly string[]).includes(cfg.log.level)) throw bad(`EDGECHAIN_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  if (cfg.p2p.listen.length === 0) cfg.p2p.listen = ['/ip4/127.0.0.1/tcp/0'];
  return cfg;
}
