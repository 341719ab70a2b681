/**
 * The examples of docs/SDK.md, as written there, run against a live node: the company one
 * (add a node, watch, claim) and the device one (register, match, verify, pay, release).
 * The code blocks are read from the doc, their TypeScript stripped by esbuild, and run with
 * the SDK's exports in scope; only the node URL and the keys are filled in.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import * as sdk from '../../src/sdk/index.ts';
import { readKeyFile } from '../../src/crypto/index.ts';
import { startSingleNode, type SingleNode } from '../support/single-node.ts';

const doc = readFileSync(new URL('../../docs/SDK.md', import.meta.url), 'utf8');
const block = (heading: string) => {
  const at = doc.indexOf(heading);
  const start = doc.indexOf('```ts\n', at) + 6;
  return doc.slice(start, doc.indexOf('```', start));
};

let n: SingleNode;
beforeAll(async () => {
  n = await startSingleNode({
    sealers: 1,
    devices: 2,
    editGenesis: (g) => {
      (g.accounts as { name: string; role: string }[]).find((a) => a.name === 'device-1')!.role = 'company';
    },
  });
}, 60_000);
afterAll(async () => {
  await n?.stop();
});

async function runExample(heading: string, scope: Record<string, unknown>): Promise<string[]> {
  const lines = block(heading);
  expect(lines.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(20);
  const source = `${scope.prelude ?? ''}\n${lines}`.replaceAll("'http://127.0.0.1:8545'", JSON.stringify(n.url));
  const { code } = await esbuild.transform(source, { loader: 'ts' });
  const logged: string[] = [];
  const names = ['Client', 'Account', 'tx', 'microDegrees', 'generateKeyPair', 'keyPairFromSecret', 'fromHex', 'parseGenesis', 'verifyMatch', 'anchorFromGenesis'];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<void>;
  const vars = Object.keys(scope).filter((k) => k !== 'prelude');
  const f = new AsyncFunction(...names, ...vars, 'console', code);
  await f(...names.map((k) => (sdk as Record<string, unknown>)[k]), ...vars.map((k) => scope[k]), { log: (s: string) => logged.push(s) });
  return logged;
}

describe('docs/SDK.md examples', () => {
  it('the company example adds a node, watches it and reads its balance; the device example registers, matches, verifies, pays and releases', async () => {
    const account = (name: string) => readKeyFile(n.layout.accounts.find((a) => a.name === name)!.keyPath);
    const company = account('device-1');
    const device = account('device-2');
    const companyOut = await runExample('## A company', { companySecret: sdk.toHex(company.secretKey), leaseId: 1, prelude: `const client = new Client('http://127.0.0.1:8545');` });
    expect(companyOut.some((l) => /^balance \d+$/.test(l))).toBe(true);
    expect((await new sdk.Client(n.url).rpc.getEdgeNode('melb-cbd-7'))?.owner).toBe(company.address);

    const genesis = sdk.parseGenesis(JSON.parse(readFileSync(n.layout.genesisPath, 'utf8')));
    const before = (await new sdk.Client(n.url).rpc.getAccount(company.address)).balance;
    const deviceOut = await runExample('## A device', { deviceSecret: sdk.toHex(device.secretKey), genesis });
    expect(deviceOut).toEqual([expect.stringMatching(/^leased 2 slots on melb-cbd-7, \d+ m away$/), expect.stringMatching(/^settled: paid \d+, refunded \d+$/)]);
    const [paid, refund] = deviceOut[1].match(/\d+/g)!.map(Number);
    expect(paid + refund).toBe(7 * 2 * 60); // the cost locked at match, all of it settled
    const c = new sdk.Client(n.url);
    expect((await c.rpc.getAccount(company.address)).balance).toBe(before + paid);
    expect((await c.rpc.getLease(1))?.status).toBe('released');
  }, 120_000);
});
