/**
 * The SDK in a browser (docs/SDK.md): bundled by esbuild for the browser (the `browser`
 * condition picks the noble crypto backend; the bundle imports no Node module), loaded in
 * headless Chromium from the node's own origin, where it generates a key, signs a tx with
 * noble and sends it; the node accepts it and finalizes it. Also: the two crypto backends
 * agree byte for byte.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { startSingleNode, type SingleNode } from '../support/single-node.ts';
import * as nodeBackend from '../../src/crypto/backend-node.ts';
import * as nobleBackend from '../../src/crypto/backend-noble.ts';
import { Client } from '../../src/sdk/index.ts';

describe('crypto backends', () => {
  it('noble (browsers) and OpenSSL (Node) give the same hashes, keys and signatures', () => {
    expect(nodeBackend.BACKEND).toBe('openssl');
    expect(nobleBackend.BACKEND).toBe('noble');
    for (let i = 0; i < 20; i++) {
      const secret = nodeBackend.randomSecret(32);
      const msg = nodeBackend.randomSecret(i * 7);
      const parts = [msg, nodeBackend.randomSecret(i)];
      expect(nobleBackend.sha256Parts(parts)).toEqual(nodeBackend.sha256Parts(parts));
      expect(nobleBackend.sha256Parts([msg])).toEqual(nodeBackend.sha256Parts([msg]));
      const pub = nodeBackend.ed25519PublicKey(secret);
      expect(nobleBackend.ed25519PublicKey(secret)).toEqual(pub);
      const sig = nodeBackend.ed25519Sign(msg, secret);
      expect(nobleBackend.ed25519Sign(msg, secret)).toEqual(sig);
      expect(nobleBackend.ed25519Verify(sig, msg, pub)).toBe(true);
      const bad = new Uint8Array(sig);
      bad[0] ^= 1;
      expect(nobleBackend.ed25519Verify(bad, msg, pub)).toBe(false);
      expect(nodeBackend.ed25519Verify(bad, msg, pub)).toBe(false);
    }
  });
});

describe('the SDK bundled for the browser', () => {
  let n: SingleNode;
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    const r = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    bundle = r.outputFiles[0].text;
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((f) => f.endsWith('src/crypto/backend-noble.ts'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('src/crypto/backend-node.ts'))).toBe(false);
    // no registration deposit on this chain: the page's fresh key has no funds, and this test is about signing in a browser
    n = await startSingleNode({ sealers: 1, editGenesis: (g) => void ((g.params as Record<string, unknown>).registrationDeposit = 0) });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await n?.stop();
  });

  it('imports no Node module', () => {
    expect(bundle).not.toMatch(/(from|import|require)\s*\(?\s*["']node:/);
    expect(bundle).not.toMatch(/(from|require\()\s*["'](fs|crypto|url|path|worker_threads)["']/);
  });

  it('generates a key, signs a tx with noble in Chromium, and the node accepts and finalizes it', async () => {
    const page = await browser.newPage();
    try {
      // the page and the bundle are served from the node's origin (so its fetches are same-origin)
      await page.route(`${n.url}/sdk-test/**`, (route) => {
        const u = new URL(route.request().url());
        if (u.pathname.endsWith('/sdk.js')) return route.fulfill({ status: 200, contentType: 'text/javascript', body: bundle });
        return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>sdk</title>' });
      });
      await page.goto(`${n.url}/sdk-test/index.html`);
      // a string, so the test runner's transform does not rewrite the page's dynamic import
      const script = `(async (url) => {
        const sdk = await import(url + '/sdk-test/sdk.js');
        const client = new sdk.Client(url);
        const key = sdk.generateKeyPair();
        const account = new sdk.Account(client, key);
        const r = await account.sendAndWait(sdk.tx.registerDevice({ info: 'signed in a browser' }), { timeoutMs: 60000 });
        return { address: key.address, hasNodeProcess: typeof globalThis.process !== 'undefined', receipt: r };
      })(${JSON.stringify(n.url)})`;
      const out = (await page.evaluate(script)) as { address: string; hasNodeProcess: boolean; receipt: Record<string, unknown> };
      expect(out.hasNodeProcess).toBe(false);
      expect(out.receipt).toMatchObject({ kind: 'registerDevice', status: 0, from: out.address });
      // the node has it, from the key generated in the page
      const acct = await new Client(n.url).rpc.getAccount(out.address);
      expect(acct.device).toMatchObject({ info: 'signed in a browser' });
      expect(acct.nonce).toBe(1);
    } finally {
      await page.close();
    }
  }, 180_000);
});
