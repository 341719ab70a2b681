import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TX_KINDS } from '../../src/codec/types.ts';
import { readFileSync } from 'node:fs';
import { KINDS, KIND_LIST, checkPayload, payloadJson, applyPayload } from '../../src/kinds/registry.ts';
import { loadKindModules, generateKindIndex, GENERATED_PATH } from '../../scripts/gen-kind-index.ts';
import { newDomains } from '../../src/domain/index.ts';
import { DEFAULT_PARAMS } from '../../src/chain/params.ts';
import { ReceiptStatus } from '../../src/domain/receipts.ts';

describe('the kind registry', () => {
  it('holds one module per member of the TxBody.kind oneof, in oneof order, with distinct commands', () => {
    expect(KIND_LIST.map((k) => k.kind)).toEqual([...TX_KINDS]);
    for (const k of TX_KINDS) expect(KINDS[k].kind).toBe(k);
    expect(new Set(KIND_LIST.map((k) => k.command)).size).toBe(TX_KINDS.length);
  });

  it('a body without a kind or payload is refused by the bounds, applies as INVALID_TX and has no JSON form', () => {
    expect(checkPayload({ chainId: 'x', nonce: 0 })).toBe('unknown transaction kind');
    expect(checkPayload({ chainId: 'x', nonce: 0, kind: 'transfer', transfer: null })).toBe('unknown transaction kind');
    expect(checkPayload({ chainId: 'x', nonce: 0, kind: 'mint' as never })).toBe('unknown transaction kind');
    expect(payloadJson({ chainId: 'x', nonce: 0 })).toEqual({});
    expect(applyPayload(newDomains({ chainId: 'x', params: DEFAULT_PARAMS }), { env: { height: 1, time: 0, params: DEFAULT_PARAMS }, sender: '0x' + '00'.repeat(20), publicKey: new Uint8Array(32) }, { chainId: 'x', nonce: 0, kind: 'removeNode' }).status).toBe(ReceiptStatus.INVALID_TX);
  });

  it('the static index src/kinds/all.ts is what the generator makes from the folder now (regenerate: node scripts/gen-kind-index.ts)', async () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(await generateKindIndex());
  });

  it('the registry reads no directory at run time (it must work in a browser bundle and an installed package)', () => {
    const text = readFileSync(new URL('../../src/kinds/registry.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/node:fs|readdirSync|import\.meta\.url/);
  });

  describe('loading a folder of kind modules (the index generator)', () => {
    const mod = (kind: string, command: string) => `export default { kind: '${kind}', command: '${command}', flags: '', check: () => null, apply: () => null, json: () => ({}), fromFlags: () => ({}) };\n`;
    function folder(files: Record<string, string>): URL {
      const dir = mkdtempSync(join(tmpdir(), 'kinds-'));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      return pathToFileURL(dir + '/');
    }
    const cleanup = (u: URL) => rmSync(u, { recursive: true, force: true });

    it('finds the modules whose default export is a kind, ignores helpers, and orders them by the oneof', async () => {
      const dir = folder({ 'b.ts': mod('beta', 'b'), 'a.ts': mod('alpha', 'a'), 'helper.ts': 'export const x = 1;\n' });
      try {
        const index = await generateKindIndex(dir, ['beta', 'alpha']);
        expect(index).toContain("import b from './b.ts';");
        expect(index.indexOf("file: 'b.ts'")).toBeLessThan(index.indexOf("file: 'a.ts'"));
        expect(index).not.toContain('helper');
        expect((await loadKindModules(dir, ['beta', 'alpha'])).map((m) => m.module.kind)).toEqual(['beta', 'alpha']);
      } finally {
        cleanup(dir);
      }
    });

    it('refuses a oneof member without a module, a module of no member, two modules of one kind, a command used twice', async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ 'a.ts': mod('alpha', 'a') }, /no kind module .* for TxBody.kind member\(s\): beta/],
        [{ 'a.ts': mod('alpha', 'a'), 'b.ts': mod('beta', 'b'), 'c.ts': mod('gamma', 'c') }, /"gamma" is not a member/],
        [{ 'a.ts': mod('alpha', 'a'), 'b.ts': mod('beta', 'b'), 'c.ts': mod('alpha', 'c') }, /a second module for kind "alpha"/],
        [{ 'a.ts': mod('alpha', 'x'), 'b.ts': mod('beta', 'x') }, /command "x" is already used/],
      ];
      for (const [files, why] of cases) {
        const dir = folder(files);
        try {
          await expect(loadKindModules(dir, ['alpha', 'beta'])).rejects.toThrow(why);
        } finally {
          cleanup(dir);
        }
      }
    });
  });
});
