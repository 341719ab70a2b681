/** What a fresh machine with only Node and npm needs: a clear runtime check, honest engines, a licence. */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(root + 'package.json', 'utf8'));

describe('a fresh machine', () => {
  it('bin/edgechain.js fails with one clear line when the Node running it cannot run the TypeScript sources', () => {
    // a Node without type stripping is what an old Node (or one started with it off) looks like to the loader
    const r = spawnSync(process.execPath, ['--no-experimental-strip-types', root + 'bin/edgechain.js', 'help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^edgechain: needs Node >= 22\.18\.0 .*type stripping/);
    expect(r.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|at .*\(node:/);
  });

  it('bin/edgechain.js runs the CLI on this Node', () => {
    const r = spawnSync(process.execPath, [root + 'bin/edgechain.js', 'help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: edgechain/);
  });

  it('engines and devEngines name the first Node that runs the sources (22.18: type stripping on by default)', () => {
    expect(pkg.engines.node).toBe('>=22.18.0');
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', version: '>=22.18.0' });
    const readme = readFileSync(root + 'README.md', 'utf8');
    expect(readme).toMatch(/Node\.js ≥ 22\.18/);
    expect(readme).not.toMatch(/Node\.js \(≥ 20\)/);
  });

  it('ships the MIT licence that package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(existsSync(root + 'LICENSE')).toBe(true);
    expect(readFileSync(root + 'LICENSE', 'utf8')).toMatch(/^MIT License\n[\s\S]*Permission is hereby granted, free of charge/);
  });

  it('the browser tests use the Chromium of an npm package, not a system one, and CI installs no browser', () => {
    expect(pkg.devDependencies['@sparticuz/chromium']).toBeTruthy();
    for (const f of ['test/explorer/explorer.test.ts', 'test/e2e/explorer-live.test.ts']) expect(readFileSync(root + f, 'utf8')).not.toMatch(/\/usr\/bin\/chromium/);
    expect(readFileSync(root + '.ci/run', 'utf8')).not.toMatch(/need\+=\(chromium\)/);
  });
});
