import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateKeyPair, keyPairFromLabel, writeKeyFile, DEMO_KEY_NOTE, type KeyPair } from '../crypto/index.ts';
import { toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { peerIdFromPublicKey } from '../p2p/identity.ts';
import type { GenesisJson } from '../chain/genesis.ts';
import { genesisProblems } from '../chain/genesis-schema.ts';

export interface TestnetInitOptions {
  dir: string;
  sealers?: number;
  observers?: number;
  devices?: number;
  chainId?: string;
  /** First RPC port (sealers first, then observers). */
  rpcBasePort?: number;
  /** First p2p port. */
  p2pBasePort?: number;
  /** Host the nodes listen on and dial (127.0.0.1 for local processes). */
  host?: string;
  /** Where node data goes, relative to dir (each node gets <dataRoot>/<name>); default ./data. */
  dataRoot?: string;
  /** Deterministic keys from labels (tests) instead of random ones. */
  deterministic?: boolean;
  timestamp?: number;
  force?: boolean;
}

export interface TestnetNode {
  name: string;
  role: 'sealer' | 'observer';
  configPath: string;
  rpcUrl: string;
  rpcPort: number;
  p2pPort: number;
  publicKey: string;
  peerId: string;
}

export interface TestnetLayout {
  dir: string;
  genesisPath: string;
  nodes: TestnetNode[];
  accounts: { name: string; role: string; address: string; keyPath: string }[];
}

// up to 16 sealers: the bench's largest consortium (the paper's 15 nodes + 1)
const SEALER_NAMES = ['proxy', ...'abcdefghijklmno'.split('').map((c) => `company-${c}`)];

const DEMO_NOTE = DEMO_KEY_NOTE;

/**
 * Writes a complete testnet: genesis, node keys, account keys and one config per node.
 * Sealer 0 is the proxy, the others are companies; each company also gets an account key
 * with role "company" (it signs AddNode), the proxy an account with role "proxy", and a few
 * device accounts (role "user") get a balance.
 */
export function initTestnet(o: TestnetInitOptions): TestnetLayout {
  const n = o.sealers ?? 4;
  const nObs = o.observers ?? 1;
  const nDev = o.devices ?? 3;
  if (!Number.isInteger(n) || n < 1 || n > SEALER_NAMES.length) throw new EdgeError('TESTNET_BAD_ARGS', `--sealers must be 1..${SEALER_NAMES.length}`);
  if (!Number.isInteger(nObs) || nObs < 0 || nObs > 10) throw new EdgeError('TESTNET_BAD_ARGS', '--observers must be 0..10');
  const chainId = o.chainId ?? 'edgechain-testnet';
  const chainIdBad = genesisProblems({ chainId, timestamp: 0, sealers: [] }).find((p) => p.startsWith('chainId'));
  if (chainIdBad) throw new EdgeError('TESTNET_BAD_ARGS', `--chain-id ${chainIdBad.slice('chainId: '.length)}`);
  const dir = o.dir;
  if (existsSync(join(dir, 'genesis.json')) && !o.force) throw new EdgeError('TESTNET_EXISTS', `${dir} already holds a testnet (use --force to overwrite)`);
  const rpcBase = o.rpcBasePort ?? 8545;
  const p2pBase = o.p2pBasePort ?? 30301;
  const host = o.host ?? '127.0.0.1';
  const dataRoot = o.dataRoot ?? './data';
  const key = (label: string): KeyPair => (o.deterministic ? keyPairFromLabel('testnet/' + label) : generateKeyPair());
  mkdirSync(join(dir, 'keys', 'nodes'), { recursive: true });
  mkdirSync(join(dir, 'keys', 'accounts'), { recursive: true });

  const nodeDefs = [
    ...Array.from({ length: n }, (_, i) => ({ name: SEALER_NAMES[i], role: 'sealer' as const })),
    ...Array.from({ length: nObs }, (_, i) => ({ name: `observer-${i + 1}`, role: 'observer' as const })),
  ];
  const nodeKeys = nodeDefs.map((d) => {
    const kp = key('node/' + d.name);
    writeKeyFile(join(dir, 'keys', 'nodes', d.name + '.json'), kp, DEMO_NOTE);
    return kp;
  });

  const accounts: TestnetLayout['accounts'] = [];
  const genesisAccounts: NonNullable<GenesisJson['accounts']> = [];
  const addAccount = (name: string, role: 'proxy' | 'company' | 'user', balance: number) => {
    const kp = key('account/' + name);
    const keyPath = join(dir, 'keys', 'accounts', name + '.json');
    writeKeyFile(keyPath, kp, DEMO_NOTE);
    accounts.push({ name, role, address: kp.address, keyPath });
    genesisAccounts.push({ name, address: kp.address, role, balance });
  };
  for (let i = 0; i < n; i++) addAccount(SEALER_NAMES[i], i === 0 ? 'proxy' : 'company', 1_000_000);
  for (let i = 0; i < nDev; i++) addAccount(`device-${i + 1}`, 'user', 100_000);
  // the faucet funds devices that are not in genesis (npm run demo; docs/PAYMENTS.md)
  addAccount('faucet', 'user', 1_000_000_000);

  const genesis: GenesisJson = {
    chainId,
    timestamp: o.timestamp ?? Date.UTC(2026, 0, 1),
    sealers: nodeDefs.slice(0, n).map((d, i) => ({ name: d.name, publicKey: toHex(nodeKeys[i].publicKey), role: i === 0 ? 'proxy' : 'company' })),
    // the observers are members on chain too (docs/GOVERNANCE.md): the gaters follow the chain
    ...(nObs > 0 ? { observers: nodeDefs.slice(n).map((d, i) => ({ name: d.name, publicKey: toHex(nodeKeys[n + i].publicKey) })) } : {}),
    accounts: genesisAccounts,
    // registration against DDoS: a device locks a refundable deposit (docs/GOVERNANCE.md)
    params: { registrationDeposit: 1000 },
  };
  const genesisPath = join(dir, 'genesis.json');
  writeFileSync(genesisPath, JSON.stringify(genesis, null, 2) + '\n');

  const nodes: TestnetNode[] = nodeDefs.map((d, i) => ({
    name: d.name,
    role: d.role,
    configPath: join(dir, d.name + '.json'),
    rpcPort: rpcBase + i,
    rpcUrl: `http://${host}:${rpcBase + i}`,
    p2pPort: p2pBase + i,
    publicKey: toHex(nodeKeys[i].publicKey),
    peerId: peerIdFromPublicKey(nodeKeys[i].publicKey),
  }));
  const observerKeys = nodes.filter((x) => x.role === 'observer').map((x) => x.publicKey);
  for (const node of nodes) {
    // every node dials every sealer (a full mesh among sealers; observers connect to all sealers)
    const bootstrap = nodes.filter((p) => p.role === 'sealer' && p.name !== node.name).map((p) => `/ip4/${host}/tcp/${p.p2pPort}/p2p/${p.peerId}`);
    const cfg = {
      name: node.name,
      role: node.role,
      genesis: 'genesis.json',
      key: relative(dir, join(dir, 'keys', 'nodes', node.name + '.json')),
      dataDir: `${dataRoot}/${node.name}`,
      p2p: { listen: [`/ip4/${host}/tcp/${node.p2pPort}`], bootstrap, observers: observerKeys },
      rpc: { host, port: node.rpcPort },
      log: { level: 'info' },
    };
    writeFileSync(node.configPath, JSON.stringify(cfg, null, 2) + '\n');
  }
  return { dir, genesisPath, nodes, accounts };
}
