import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The import rules of docs/ARCHITECTURE.md for the layers issue 10 added or moved. */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function importsOf(folder: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const f of readdirSync(SRC + folder).filter((x) => x.endsWith('.ts'))) {
    const text = readFileSync(`${SRC}${folder}/${f}`, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.\.\/[^/']+)\//g)) out.push({ file: `${folder}/${f}`, target: m[1].slice(3) });
  }
  return out;
}

const ALLOWED: Record<string, string[]> = {
  domain: ['util', 'crypto', 'codec'],
  kinds: ['util', 'crypto', 'codec', 'domain'],
  chain: ['util', 'crypto', 'codec', 'kinds'],
  state: ['util', 'crypto', 'codec', 'domain', 'kinds', 'chain'],
  // the match verifier (issue 15): pure checks over certified data; no node, storage or network layer
  verify: ['util', 'crypto', 'codec', 'domain', 'chain', 'state'],
  // the SDK (issue 15): runs in a browser bundle too — nothing of storage, p2p, rpc server or node
  sdk: ['util', 'crypto', 'codec', 'kinds', 'chain', 'verify'],
};

describe('layer rules (docs/ARCHITECTURE.md)', () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`src/${folder}/ imports only ${allowed.join(', ')}`, () => {
      const found = importsOf(folder);
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((i) => !allowed.includes(i.target))).toEqual([]);
    });
  }

  it('no switch over transaction kinds outside the kind registry', () => {
    const kinds = ['registerDevice', 'addNode', 'updateNode', 'removeNode', 'edgeMatch', 'releaseLease', 'transfer'];
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(SRC + dir, { withFileTypes: true })) {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) walk(rel);
        else if (/\.(ts|js)$/.test(e.name)) {
          const text = readFileSync(SRC + rel, 'utf8');
          if (kinds.some((k) => text.includes(`case '${k}'`))) offenders.push(rel);
        }
      }
    };
    walk('');
    expect(offenders).toEqual([]);
  });
});
