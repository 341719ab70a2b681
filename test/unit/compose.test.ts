import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { readKeyFile } from '../../src/crypto/index.ts';
import { peerIdFromPublicKey } from '../../src/p2p/index.ts';
import { parseConfig } from '../../src/node/config.ts';
import { parseGenesis, genesisSealerSet } from '../../src/chain/index.ts';
import { toHex } from '../../src/util/bytes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const cfgDir = join(root, 'config');
const localConfigs = readdirSync(cfgDir).filter((f) => f.endsWith('.json') && f !== 'genesis.json').map((f) => JSON.parse(readFileSync(join(cfgDir, f), 'utf8')));
const genesis = parseGenesis(JSON.parse(readFileSync(join(cfgDir, 'genesis.json'), 'utf8')));

describe('docker-compose.yml matches the demo testnet', () => {
  const services = compose.services as Record<string, any>;

  it('has one service per testnet node, with its RPC published on 8545+i', () => {
    expect(Object.keys(services).sort()).toEqual(localConfigs.map((c) => c.name).sort());
    for (const c of localConfigs) {
      const s = services[c.name];
      expect(s.ports, c.name).toEqual([`127.0.0.1:${c.rpc.port}:8545`]);
      expect(s.command).toEqual(['start', '--config', `/app/config/docker/${c.name}.json`]);
      expect(s.volumes[0]).toBe(`${c.name}-data:/data`);
      expect(s.healthcheck.test.join(' ')).toMatch(/\/health\/ready/);
      expect(s.restart).toBe('unless-stopped');
    }
  });

  it('each container config uses the same key, genesis and role, and dials every other sealer by service name and peer id', () => {
    const sealers = genesisSealerSet(genesis);
    for (const c of localConfigs) {
      const path = join(cfgDir, 'docker', `${c.name}.json`);
      const dc = parseConfig(JSON.parse(readFileSync(path, 'utf8')), dirname(path));
      expect(dc.role).toBe(c.role);
      expect(dc.genesisPath).toBe(join(cfgDir, 'genesis.json'));
      expect(dc.keyPath).toBe(resolve(cfgDir, c.key));
      expect(existsSync(dc.keyPath)).toBe(true);
      expect(dc.rpc).toMatchObject({ host: '0.0.0.0', port: 8545 });
      expect(dc.p2p.listen).toEqual(['/ip4/0.0.0.0/tcp/30303']);
      const key = readKeyFile(dc.keyPath);
      // a sealer's key is in the sealer set, an observer's is not
      expect(sealers.indexOfKey(key.publicKey) >= 0, c.name).toBe(c.role === 'sealer');
      const expected = sealers.sealers
        .filter((s) => s.name !== c.name)
        .map((s) => `/dns4/${s.name}/tcp/30303/p2p/${peerIdFromPublicKey(s.publicKey)}`)
        .sort();
      expect([...dc.p2p.bootstrap].sort()).toEqual(expected);
      for (const b of dc.p2p.bootstrap) expect(Object.keys(services)).toContain(b.split('/')[2]);
      expect(dc.p2p.observers.map((o) => toHex(o)).sort()).toEqual([...c.p2p.observers].sort());
    }
  });

  it('the local configs point at the demo keys and the RPC ports 8545-8549', () => {
    expect(localConfigs.map((c) => c.rpc.port).sort()).toEqual([8545, 8546, 8547, 8548, 8549]);
    expect(localConfigs.filter((c) => c.role === 'sealer').map((c) => c.name).sort()).toEqual(['company-a', 'company-b', 'company-c', 'proxy']);
  });
});
