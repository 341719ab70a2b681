/** Config and genesis files: a typo or a wrong type is refused with its path and the key meant, never dropped. */
import { describe, it, expect, afterAll, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfig, configProblems } from '../../src/node/config.ts';
import { parseGenesis } from '../../src/chain/index.ts';
import { initTestnet } from '../../src/node/testnet.ts';
import { main } from '../../src/cli/main.ts';
import { writeKeyFile, generateKeyPair } from '../../src/crypto/index.ts';
import { schemaFiles, SCHEMA_DIR } from '../../scripts/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgechain-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { genesis: 'genesis.json', key: 'key.json' };

describe('node config schema', () => {
  it.each([
    [{ ...base, bootstrap: ['/ip4/1.2.3.4/tcp/1'] }, 'bootstrap: not an option; did you mean p2p.bootstrap?'],
    [{ ...base, p2p: { listne: ['/ip4/127.0.0.1/tcp/1'] } }, 'p2p.listne: not an option; did you mean p2p.listen?'],
    [{ ...base, rpc: { prot: 8545 } }, 'rpc.prot: not an option; did you mean rpc.port?'],
    [{ ...base, logLevel: 'debug' }, 'logLevel: not an option; did you mean log.level?'],
    [{ ...base, rpc: { cors: ['*'] } }, 'rpc.cors: not an option; did you mean rpc.corsOrigins?'],
  ])('refuses an unknown key with the path and the key probably meant (%j)', (json, message) => {
    expect(() => parseConfig(json, dir)).toThrow(message);
  });

  it('refuses wrong types and values with the path', () => {
    expect(() => parseConfig({ ...base, rpc: { port: '8545' } }, dir)).toThrow('rpc.port: expected number, got string');
    expect(() => parseConfig({ ...base, p2p: { listen: '/ip4/127.0.0.1/tcp/1' } }, dir)).toThrow('p2p.listen: expected array, got string');
    expect(() => parseConfig({ ...base, role: 'leader' }, dir)).toThrow(/role: .*"sealer"/);
    expect(() => parseConfig({ ...base, p2p: { observers: ['ab'] } }, dir)).toThrow('p2p.observers[0]: must be a 64-hex-character public key');
    expect(() => parseConfig({ key: 'k.json' }, dir)).toThrow('genesis: required');
    expect(() => parseConfig([], dir)).toThrow(/\(top level\): expected object/);
  });

  it('lists every problem at once, and a file error names the file', () => {
    expect(configProblems({ ...base, rpc: { prot: 1 }, log: { levle: 'x' }, sync: { verifyWorkers: -1 } })).toHaveLength(3);
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ ...base, p2p: { listne: [] } }));
    expect(() => loadConfig(f, {})).toThrow(`${f}: p2p.listne: not an option; did you mean p2p.listen?`);
  });

  it('takes a valid config with the defaults filled in', () => {
    const c = parseConfig({ ...base, rpc: { port: 9000, corsOrigins: ['https://a.example'], rateLimit: { perSecond: 5, burst: 10 } } }, dir);
    expect(c.rpc).toMatchObject({ host: '127.0.0.1', port: 9000, corsOrigins: ['https://a.example'], allowedHosts: [], rateLimit: { perSecond: 5, burst: 10 }, maxRequestCost: 200 });
    expect(c.health).toEqual({ maxSyncLagBlocks: 5, maxStallSeconds: 30 });
    expect(c.p2p.listen).toEqual(['/ip4/127.0.0.1/tcp/0']);
    expect(c.consensus).toEqual({ blockPeriodMs: 200 });
  });

  it('the block period: bounded in the file, overridden by EDGECHAIN_BLOCK_PERIOD_MS, a bad value refused', () => {
    expect(parseConfig({ ...base, consensus: { blockPeriodMs: 0 } }, dir).consensus.blockPeriodMs).toBe(0);
    expect(() => parseConfig({ ...base, consensus: { blockPeriodMs: -1 } }, dir)).toThrow(/consensus\.blockPeriodMs/);
    expect(() => parseConfig({ ...base, consensus: { blockPeriodMs: 10_001 } }, dir)).toThrow(/consensus\.blockPeriodMs/);
    expect(() => parseConfig({ ...base, consensus: { blockPeriod: 100 } }, dir)).toThrow('consensus.blockPeriod: not an option; did you mean consensus.blockPeriodMs?');
    expect(parseConfig({ ...base, consensus: { blockPeriodMs: 300 } }, dir, { EDGECHAIN_BLOCK_PERIOD_MS: '50' }).consensus.blockPeriodMs).toBe(50);
    for (const v of ['', '-5', '1.5', 'fast', '10001']) expect(() => parseConfig(base, dir, { EDGECHAIN_BLOCK_PERIOD_MS: v }), v).toThrow('EDGECHAIN_BLOCK_PERIOD_MS must be an integer 0..10000');
  });

  it('the demo configs pass', () => {
    for (const n of ['proxy', 'company-a', 'observer-1']) expect(configProblems(JSON.parse(readFileSync(`config/${n}.json`, 'utf8'))), n).toEqual([]);
    for (const n of ['proxy', 'observer-1']) expect(configProblems(JSON.parse(readFileSync(`config/docker/${n}.json`, 'utf8'))), n).toEqual([]);
  });
});

describe('genesis schema', () => {
  const g = JSON.parse(readFileSync('config/genesis.json', 'utf8'));
  it('refuses unknown keys and wrong types with the path', () => {
    expect(() => parseGenesis({ ...g, sealer: g.sealers })).toThrow('sealer: not an option; did you mean sealers?');
    expect(() => parseGenesis({ ...g, params: { viewTimeoutMS: 1000 } })).toThrow('params.viewTimeoutMS: not an option; did you mean params.viewTimeoutMs?');
    expect(() => parseGenesis({ ...g, accounts: [{ ...g.accounts[0], balance: '5' }] })).toThrow('accounts[0].balance: expected number, got string');
    expect(() => parseGenesis({ ...g, sealers: [{ ...g.sealers[0], pubkey: 'x' }] })).toThrow('sealers[0].pubkey: not an option; did you mean sealers[0].publicKey?');
  });
  it('the demo genesis passes', () => {
    expect(parseGenesis(g).chainId).toBe('edgechain-testnet');
  });
});

describe('edgechain config check', () => {
  const t = initTestnet({ dir: join(dir, 'net'), sealers: 1, observers: 0, devices: 0, chainId: 'check-net' });
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    try {
      await main(argv);
    } finally {
      spy.mockRestore();
    }
    return out.join('\n');
  };

  it('passes a good config, with what it found', async () => {
    const out = await run(['config', 'check', t.nodes[0].configPath]);
    expect(out).toMatch(/: ok \(node config\)/);
    expect(out).toMatch(/genesis .*: chain check-net, 1 sealers/);
    expect(await run(['config', 'check', t.genesisPath])).toMatch(/ok \(genesis\)\n  chain check-net, 1 sealers/);
  });

  it('fails with every problem on its own line, also those of the genesis and key it names', async () => {
    const f = join(dir, 'net', 'typo.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(t.nodes[0].configPath, 'utf8')), rpc: { prot: 1 }, logLevel: 'debug' }));
    await expect(main(['config', 'check', f])).rejects.toThrow(/2 problems\n  rpc\.prot: not an option; did you mean rpc\.port\?.*\n  logLevel: not an option; did you mean log\.level\?/);
    const keyPath = join(dir, 'net', 'keys', 'nodes', `${t.nodes[0].name}.json`);
    writeKeyFile(keyPath, generateKeyPair()); // a real (not demo) key
    chmodSync(keyPath, 0o644);
    await expect(main(['config', 'check', t.nodes[0].configPath])).rejects.toThrow(/key: .* readable .*run: chmod 600/);
    chmodSync(keyPath, 0o600);
    await expect(main(['config', 'check', join(dir, 'missing.json')])).rejects.toThrow(/cannot read it/);
  });

  it('testnet init --chain-id writes that chain id (so two testnets differ in more than their keys)', async () => {
    const d = join(dir, 'named');
    await run(['testnet', 'init', '--dir', d, '--sealers', '1', '--observers', '0', '--chain-id', 'lab-net-7']);
    expect(JSON.parse(readFileSync(join(d, 'genesis.json'), 'utf8')).chainId).toBe('lab-net-7');
    await expect(main(['testnet', 'init', '--dir', join(dir, 'bad'), '--chain-id', 'Lab Net'])).rejects.toThrow(/--chain-id must be 1\.\.64 of \[a-z0-9\._-\]/);
  });

  it('testnet init --chain-id is checked', () => {
    expect(() => initTestnet({ dir: join(dir, 'net2'), chainId: 'Bad Id' })).toThrow(/--chain-id must be 1\.\.64/);
  });

  it('testnet init lays out up to 16 sealers (the bench\'s largest consortium), each with its own name and key', () => {
    const t = initTestnet({ dir: join(dir, 'net16'), sealers: 16, observers: 0, devices: 0 });
    const sealers = t.nodes.filter((x) => x.role === 'sealer');
    expect(sealers).toHaveLength(16);
    expect(new Set(sealers.map((x) => x.name)).size).toBe(16);
    expect(new Set(sealers.map((x) => x.peerId)).size).toBe(16);
    expect(JSON.parse(readFileSync(t.genesisPath, 'utf8')).sealers).toHaveLength(16);
    expect(() => initTestnet({ dir: join(dir, 'net17'), sealers: 17 })).toThrow(/--sealers must be 1\.\.16/);
  });
});

describe('JSON Schema for editors', () => {
  it('docs/schema/ holds what `npm run schema` generates from the zod schemas', () => {
    for (const [name, text] of Object.entries(schemaFiles())) expect(readFileSync(SCHEMA_DIR + name, 'utf8'), `${name}: run npm run schema`).toBe(text);
  });
  it('is strict (additionalProperties: false at every level)', () => {
    const s = JSON.parse(readFileSync(SCHEMA_DIR + 'node-config.schema.json', 'utf8'));
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.p2p.additionalProperties).toBe(false);
    expect(s.properties.rpc.properties.rateLimit.additionalProperties).toBe(false);
    expect(s.required).toEqual(['genesis', 'key']);
  });
});
