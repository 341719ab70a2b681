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

async function runExample(heading: string, scope: Record<string, unknown>, returns = ''): Promise<{ logged: string[]; value: unknown }> {
  const lines = block(heading);
  expect(lines.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(20);
  const source = `${scope.prelude ?? ''}\n${lines}`.replaceAll("'http://127.0.0.1:8545'", JSON.stringify(n.url));
  const { code } = await esbuild.transform(source, { loader: 'ts' });
  const logged: string[] = [];
  const names = ['Client', 'Account', 'tx', 'microDegrees', 'generateKeyPair', 'keyPairFromSecret', 'fromHex', 'parseGenesis', 'verifyMatch', 'anchorFromGenesis', 'ChannelPayer', 'ChannelPayee'];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<unknown>;
  const vars = Object.keys(scope).filter((k) => k !== 'prelude');
  const f = new AsyncFunction(...names, ...vars, 'console', `${code}\n${returns}`);
  const value = await f(...names.map((k) => (sdk as Record<string, unknown>)[k]), ...vars.map((k) => scope[k]), { log: (s: string) => logged.push(s) });
  return { logged, value };
}

describe('docs/SDK.md examples', () => {
  it('the device pays through a channel; the company adds a node, watches it, keeps the best voucher and claims it; the device example registers, matches, verifies, pays and releases', async () => {
    const account = (name: string) => readKeyFile(n.layout.accounts.find((a) => a.name === name)!.keyPath);
    const company = account('device-1');
    const device = account('device-2');
    const client = new sdk.Client(n.url);

    // the device's side of the channel, as written in the doc
    const deviceAccount = new sdk.Account(client, device);
    const paying = await runExample('The device\'s side of that channel', { device: deviceAccount, companyAddress: company.address }, 'return { vouchers, channelId };');
    const { vouchers, channelId } = paying.value as { vouchers: string[]; channelId: number };
    expect(vouchers.map((v) => sdk.voucherFromHex(v).amount)).toEqual([20, 50, 55]);
    expect((await client.rpc.getChannel(channelId))).toMatchObject({ payee: company.address, deposit: 100, claimed: 0, status: 'open' });

    // the company receives them, plus the first one sent again (refused: it promises less than the best held)
    const before0 = (await client.rpc.getAccount(company.address)).balance;
    const { logged: companyOut } = await runExample('## A company', { companySecret: sdk.toHex(company.secretKey), channelId, vouchers: [...vouchers, vouchers[0]], prelude: `const client = new Client('http://127.0.0.1:8545');` });
    expect(companyOut.filter((l) => !/active leases/.test(l))).toEqual([
      'voucher refused: voucher promises 20, not more than the 55 already held',
      `claimed 55 from channel ${channelId}`,
      expect.stringMatching(/^balance \d+$/),
    ]);
    expect(Number(companyOut.at(-1)!.split(' ')[1])).toBe(before0 + 55);
    expect((await client.rpc.getEdgeNode('melb-cbd-7'))?.owner).toBe(company.address);
    expect(await client.rpc.getChannel(channelId)).toMatchObject({ claimed: 55, remaining: 45 });

    const genesis = sdk.parseGenesis(JSON.parse(readFileSync(n.layout.genesisPath, 'utf8')));
    const before = (await client.rpc.getAccount(company.address)).balance;
    const { logged: deviceOut } = await runExample('## A device', { deviceSecret: sdk.toHex(device.secretKey), genesis });
    expect(deviceOut).toEqual([expect.stringMatching(/^leased 2 slots on melb-cbd-7, \d+ m away$/), expect.stringMatching(/^settled: paid \d+, refunded \d+$/)]);
    const [paid, refund] = deviceOut[1].match(/\d+/g)!.map(Number);
    expect(paid + refund).toBe(7 * 2 * 60); // the cost locked at match, all of it settled
    expect((await client.rpc.getAccount(company.address)).balance).toBe(before + paid);
    expect((await client.rpc.getLease(1))?.status).toBe('released');
  }, 120_000);

  it('voucher helpers: the payee refuses malformed, foreign-channel and forged vouchers (the node verdict), closes with the best one', async () => {
    const account = (name: string) => readKeyFile(n.layout.accounts.find((a) => a.name === name)!.keyPath);
    const client = new sdk.Client(n.url);
    const company = new sdk.Account(client, account('device-1'));
    const device = new sdk.Account(client, account('device-2'));
    const payer = await sdk.ChannelPayer.open(device, company.address, 40, 3600);
    const payee = new sdk.ChannelPayee(company, payer.channelId);
    expect(await payee.claim()).toBeNull(); // nothing held yet
    expect(await payee.accept('0x1234')).toMatchObject({ accepted: false, reason: expect.stringMatching(/^voucher: /) });
    const other = new sdk.ChannelPayer(device, payer.chainId, payer.channelId + 1000);
    expect(await payee.accept(other.pay(5))).toMatchObject({ accepted: false, reason: `voucher is for channel ${payer.channelId + 1000}, not ${payer.channelId}` });
    const forger = new sdk.ChannelPayer(company, payer.chainId, payer.channelId); // signed by the payee itself, not the payer
    const forged = await payee.accept(forger.pay(10));
    expect(forged).toMatchObject({ accepted: false, reason: expect.stringMatching(/^BAD_VOUCHER: /) });
    const tooMuch = new sdk.ChannelPayer(device, payer.chainId, payer.channelId, 40);
    expect(await payee.accept(tooMuch.pay(1))).toMatchObject({ accepted: false, reason: expect.stringMatching(/^VOUCHER_OVER_DEPOSIT: /) });
    expect(await payee.accept(payer.pay(15))).toEqual({ accepted: true, increment: 15, pays: 15, reason: '' });
    expect(await payee.accept(payer.pay(10))).toEqual({ accepted: true, increment: 10, pays: 25, reason: '' });
    expect(payee.best?.amount).toBe(25);
    expect((await sdk.verifyVoucher(client, payee.best!)).valid).toBe(true);
    const closed = await payee.close();
    expect(closed.statusText).toBe('OK');
    expect(closed.channel).toMatchObject({ paid: 25, refunded: 15 });
    expect(await client.rpc.getChannel(payer.channelId)).toMatchObject({ status: 'closed', claimed: 25 });
    expect(await payee.claim()).toBeNull(); // claimed by the close
  }, 60_000);
});
