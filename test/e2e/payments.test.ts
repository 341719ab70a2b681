/**
 * Multi-process test of issue 13 on real node processes: the unfunded-lease attack fails with
 * INSUFFICIENT_FUNDS and a real device still gets matched; a device pays 1,000 vouchers
 * off-chain, the company claims once through the CLI, and a second claim with an old voucher
 * is refused (docs/PAYMENTS.md).
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { join } from 'node:path';
import { Testnet, runCli } from './harness.ts';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/index.ts';
import { encodeVoucher, signVoucher } from '../../src/domain/vouchers.ts';
import { toHex } from '../../src/util/bytes.ts';

let t: Testnet;

beforeAll(async () => {
  t = await Testnet.create({ sealers: 4, observers: 0, devices: 3, params: { viewTimeoutMs: 1000, maxViewTimeoutMs: 4000 } });
  await t.startAll();
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => t?.dumpLogs());
});

afterAll(async () => {
  await t?.stop();
}, 30_000);

const cli = (...args: string[]) => runCli([...args, '--rpc', t.byName('company-b').node.rpcUrl], 90_000);
const json = async (...args: string[]) => {
  const r = await cli(...args, '--json');
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
};
const keyOf = (name: string) => t.layout.accounts.find((a) => a.name === name)!.keyPath;

describe('paid leases and payment channels on a 4-sealer testnet', () => {
  it('an unfunded key cannot lease a whole node (INSUFFICIENT_FUNDS, nothing reserved); a funded device still gets matched', async () => {
    const add = await json('tx', 'add-node', '--key', keyOf('company-a'), '--id', 'big-node', '--lat', '-37.8136', '--lon', '144.9631', '--capacity', '1000000', '--types', 'ml', '--price', '1');
    expect(add.json?.status, add.stderr).toBe(0);
    const attackerKey = join(t.dir, 'attacker.json');
    const attackerKp = generateKeyPair();
    writeKeyFile(attackerKey, attackerKp);
    // an unfunded key cannot even register (the refundable registration deposit, docs/GOVERNANCE.md) …
    const unfunded = await json('tx', 'register-device', '--key', attackerKey, '--info', 'attacker');
    expect(unfunded.json.statusText).toBe('INSUFFICIENT_FUNDS');
    expect(unfunded.json.reason).toMatch(/refundable deposit of 1000/);
    // … funded with exactly the deposit, it registers with a balance of 0 left
    expect((await json('tx', 'transfer', '--key', keyOf('faucet'), '--to', attackerKp.address, '--amount', '1000')).json.status).toBe(0);
    expect((await json('tx', 'register-device', '--key', attackerKey, '--info', 'attacker')).json.status).toBe(0);
    const attack = await json('tx', 'edge-match', '--key', attackerKey, '--lat', '-37.81', '--lon', '144.96', '--type', 'ml', '--demand', '1000000', '--duration', '60');
    expect(attack.code).toBe(2);
    expect(attack.json.statusText).toBe('INSUFFICIENT_FUNDS');
    expect(attack.json.reason).toMatch(/costs 60000000 .*balance is 0/);
    expect((await json('node', 'big-node')).json).toMatchObject({ used: 0, activeLeases: 0 });

    expect((await json('tx', 'register-device', '--key', keyOf('device-1'), '--info', 'camera 1')).json.status).toBe(0);
    const m = await json('tx', 'edge-match', '--key', keyOf('device-1'), '--lat', '-37.81', '--lon', '144.96', '--type', 'ml', '--demand', '2', '--duration', '600');
    expect(m.json.status, m.stderr).toBe(0);
    expect(m.json.match).toMatchObject({ nodeId: 'big-node', cost: 1200 });
    const lease = await json('lease', String(m.json.match.leaseId));
    expect(lease.json).toMatchObject({ status: 'active', cost: 1200, durationS: 600, endTime: m.json.match.endsAt });
    const human = await cli('lease', String(m.json.match.leaseId));
    expect(human.stdout).toMatch(/settlement\s+cost 1200/);
  }, 180_000);

  it('1,000 vouchers off-chain, one claim on chain, then an old voucher is refused', async () => {
    const payee = t.account('company-a').address;
    const open = await json('channel', 'open', '--key', keyOf('device-2'), '--to', payee, '--deposit', '5000', '--expires', '3600');
    expect(open.json?.status, open.stderr).toBe(0);
    const channelId: number = open.json.channelId;
    expect(channelId).toBeGreaterThanOrEqual(1);

    // the device pays 1,000 times off-chain: cumulative vouchers 4, 8, …, 4,000
    const payer = t.account('device-2');
    const vouchers = Array.from({ length: 1000 }, (_, i) => toHex(encodeVoucher(signVoucher(payer.secretKey, t.chainId, channelId, 4 * (i + 1)))));
    // the CLI signs the same bytes (Ed25519 is deterministic)
    const v = await json('channel', 'voucher', '--key', keyOf('device-2'), '--channel', String(channelId), '--amount', '4000');
    expect(v.json.voucher).toBe(vouchers[999]);
    const plain = await cli('channel', 'voucher', '--key', keyOf('device-2'), '--channel', String(channelId), '--amount', '4000');
    expect(plain.stdout.trim()).toBe(vouchers[999]);

    // the company checks vouchers off-chain as they come (no tx)
    const rpc = t.rpcOf('company-a');
    for (const i of [0, 499, 999]) {
      const r = await rpc.call<Record<string, any>>('verifyVoucher', [vouchers[i]]);
      expect(r).toMatchObject({ valid: true, pays: 4 * (i + 1), channelId, amount: 4 * (i + 1) });
    }
    const forged = await rpc.call<Record<string, any>>('verifyVoucher', [toHex(encodeVoucher(signVoucher(generateKeyPair().secretKey, t.chainId, channelId, 10)))]);
    expect(forged).toMatchObject({ valid: false, statusText: 'BAD_VOUCHER' });
    // bad input: a clear answer, nothing else happens
    expect(await rpc.call<Record<string, any>>('verifyVoucher', ['01'])).toMatchObject({ valid: false, reason: 'voucher too short' });
    expect(await rpc.call<Record<string, any>>('verifyVoucher', [toHex(encodeVoucher(signVoucher(payer.secretKey, 'another-chain', channelId, 4)))])).toMatchObject({ valid: false, reason: /for chain "another-chain"/ });
    await expect(rpc.call('verifyVoucher', ['zz'])).rejects.toThrow(/voucher must be a hex string/);
    await expect(rpc.call('getChannels', [{ status: 'gone' }])).rejects.toThrow(/status must be/);
    expect(await rpc.call('getChannel', [999])).toBeNull();

    // one claim on chain with the latest voucher
    const acme0 = (await json('account', payee)).json.balance;
    const claim = await json('channel', 'claim', '--key', keyOf('company-a'), '--voucher', vouchers[999]);
    expect(claim.json?.status, claim.stderr).toBe(0);
    expect(claim.json.channel).toMatchObject({ channelId, paid: 4000, claimed: 4000, deposit: 5000 });
    expect((await json('account', payee)).json.balance).toBe(acme0 + 4000);

    // an old voucher afterwards: refused on chain and off-chain, nothing paid
    const old = await json('channel', 'claim', '--key', keyOf('company-a'), '--voucher', vouchers[499]);
    expect(old.code).toBe(2);
    expect(old.json.statusText).toBe('STALE_VOUCHER');
    expect(old.json.reason).toBe('voucher amount 2000 does not exceed the 4000 already claimed');
    expect(await rpc.call<Record<string, any>>('verifyVoucher', [vouchers[499]])).toMatchObject({ valid: false, statusText: 'STALE_VOUCHER', pays: 0 });
    expect((await json('account', payee)).json.balance).toBe(acme0 + 4000);

    const list = await json('channels', '--address', payee);
    expect(list.json.channels[0]).toMatchObject({ id: channelId, claimed: 4000, remaining: 1000, status: 'open' });
    // the payee closes: the rest goes back to the device
    const close = await json('channel', 'close', '--key', keyOf('company-a'), '--channel', String(channelId));
    expect(close.json.channel).toMatchObject({ refunded: 1000 });
    const after = await json('channel', String(channelId));
    expect(after.json).toMatchObject({ status: 'closed', refunded: 1000 });
    // a voucher of another chain is refused by the CLI before anything is sent
    const other = toHex(encodeVoucher(signVoucher(payer.secretKey, 'another-chain', channelId, 4)));
    const wrong = await cli('channel', 'claim', '--key', keyOf('company-a'), '--voucher', other);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/for chain "another-chain"/);
  }, 240_000);
});
