/**
 * Writes config/docker/<node>.json from the testnet configs in config/: the same nodes,
 * keys and genesis, but listening on all interfaces inside their containers (p2p 30303,
 * RPC 8545) and dialling each other by compose service name (/dns4/<name>/…).
 * Run after `edgechain testnet init --dir config --force` to keep docker-compose.yml in step.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cfgDir = fileURLToPath(new URL('../config/', import.meta.url));
const out = join(cfgDir, 'docker');
mkdirSync(out, { recursive: true });
const nodes = readdirSync(cfgDir)
  .filter((f) => f.endsWith('.json') && f !== 'genesis.json')
  .map((f) => JSON.parse(readFileSync(join(cfgDir, f), 'utf8')));
const peerIdOf = (name: string) => {
  // every sealer's peer id appears in some other node's bootstrap list
  for (const n of nodes) for (const b of n.p2p.bootstrap as string[]) {
    const port = b.split('/tcp/')[1].split('/')[0];
    const owner = nodes.find((m) => (m.p2p.listen[0] as string).endsWith(`/tcp/${port}`));
    if (owner?.name === name) return b.split('/p2p/')[1];
  }
  throw new Error(`no peer id known for ${name}`);
};
for (const n of nodes) {
  const sealers = nodes.filter((m) => m.role === 'sealer' && m.name !== n.name);
  const cfg = {
    name: n.name,
    role: n.role,
    genesis: '../genesis.json',
    key: `../${n.key}`,
    dataDir: '/data',
    // the volume is the data dir: the double-sign guard sits beside the database in it
    signState: '/data/sign-state.json',
    p2p: { listen: ['/ip4/0.0.0.0/tcp/30303'], bootstrap: sealers.map((s) => `/dns4/${s.name}/tcp/30303/p2p/${peerIdOf(s.name)}`), observers: n.p2p.observers },
    rpc: { host: '0.0.0.0', port: 8545 },
    log: { level: 'info' },
  };
  writeFileSync(join(out, `${n.name}.json`), JSON.stringify(cfg, null, 2) + '\n');
}
console.log(`wrote ${nodes.length} configs to config/docker/`);
