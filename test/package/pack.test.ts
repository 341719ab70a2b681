/**
 * The installable package (docs/SDK.md, "Installing"): `npm pack` (its prepack builds dist/
 * with tsc), then `npm install -g` of the tarball into a temp prefix (dependencies from the
 * local npm cache where it has them), then the installed `edgechain` command walks through a
 * one-sealer testnet (keygen, testnet init, start, tx, receipt, verify match, a payment
 * channel opened and a voucher signed with the CLI) and the installed SDK is imported by its
 * package name (its voucher helpers accept and claim that voucher).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RPC_METHOD_NAMES } from '../../src/sdk/api.ts';
import { KIND_LIST } from '../../src/kinds/registry.ts';
import { readKeyFile } from '../../src/crypto/keyfile.ts';
import { toHex } from '../../src/util/bytes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'edgechain-pack-'));
const prefix = join(tmp, 'prefix');
// the pinned Node (the one running the tests) first on PATH, for npm and the installed bin's shebang
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` };
let node: ChildProcess | null = null;

function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? tmp, env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) }),
    );
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

afterAll(async () => {
  if (node && node.exitCode === null) {
    node.kill('SIGTERM');
    await new Promise((r) => node!.once('exit', r));
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack + npm install -g', () => {
  let tarball = '';
  const edgechain = (...args: string[]) => run(join(prefix, 'bin', 'edgechain'), args);

  it('packs built JavaScript, declarations, the bin and the proto schemas; no sources, tests or bench', async () => {
    const r = await run('npm', ['pack', '--pack-destination', tmp, '--json', ROOT], { timeoutMs: 180_000 });
    expect(r.code, r.err).toBe(0);
    const files: string[] = JSON.parse(r.out.slice(r.out.indexOf('['))).at(0).files.map((f: { path: string }) => f.path);
    tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
    for (const f of ['bin/edgechain.js', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/cli/main.js', 'dist/codec/proto-json.js', 'dist/crypto/backend-noble.js', 'dist/rpc/explorer/index.html', 'proto/chain.proto', 'package.json']) expect(files, f).toContain(f);
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  }, 240_000);

  it('installs globally into a temp prefix and the command runs', async () => {
    const r = await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { timeoutMs: 300_000 });
    expect(r.code, r.err).toBe(0);
    const help = await edgechain('help');
    expect(help.code, help.err).toBe(0);
    expect(help.out).toMatch(/^usage: edgechain <command>/);
    expect(help.out).toMatch(/verify match <tx hash>/);
  }, 320_000);

  it('walks through a one-sealer testnet with the installed command, and imports the installed SDK by name', async () => {
    const dir = join(tmp, 'net');
    expect((await edgechain('testnet', 'init', '--dir', dir, '--sealers', '1', '--observers', '0', '--devices', '1')).code).toBe(0);
    const cfgPath = join(dir, 'proxy.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    const port = await freePort();
    cfg.rpc.port = port;
    cfg.p2p = { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    node = spawn(join(prefix, 'bin', 'edgechain'), ['start', '--config', cfgPath], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('node did not start: ' + log)), 60_000);
      node!.stdout!.on('data', (c) => {
        log += c;
        if (log.includes('node started')) {
          clearTimeout(t);
          resolve();
        }
      });
      node!.stderr!.on('data', (c) => (log += c));
      node!.once('exit', (code) => reject(new Error(`node exited ${code}: ${log}`)));
    });
    const rpc = `http://127.0.0.1:${port}`;
    const key = join(dir, 'keys', 'accounts', 'device-1.json');
    const reg = await edgechain('tx', 'register-device', '--key', key, '--info', 'packed', '--rpc', rpc, '--json');
    expect(reg.code, reg.err).toBe(0);
    const receipt = JSON.parse(reg.out);
    expect(receipt).toMatchObject({ kind: 'registerDevice', status: 0 });
    // payment kinds through the installed CLI: device-1 opens a channel to the proxy account and signs a voucher off-chain
    const proxyKey = readKeyFile(join(dir, 'keys', 'accounts', 'proxy.json'));
    const open = await edgechain('channel', 'open', '--key', key, '--to', proxyKey.address, '--deposit', '50', '--expires', '600', '--rpc', rpc, '--json');
    expect(open.code, open.err).toBe(0);
    const opened = JSON.parse(open.out);
    expect(opened).toMatchObject({ kind: 'channelOpen', status: 0 });
    const channelId = opened.channel.channelId as number;
    const voucher = await edgechain('channel', 'voucher', '--key', key, '--channel', String(channelId), '--amount', '20', '--rpc', rpc, '--json');
    expect(voucher.code, voucher.err).toBe(0);
    const voucherHex = JSON.parse(voucher.out).voucher as string;
    const status = await edgechain('status', '--rpc', rpc, '--json');
    expect(status.code, status.err).toBe(0);
    expect(JSON.stringify(JSON.parse(status.out))).toMatch(/"height":[1-9]/);
    // the SDK from the installed package, resolved by its name through `exports`
    const script = join(prefix, 'lib', 'sdk-check.mjs');
    writeFileSync(
      script,
      `import { Client, Account, ChannelPayee, keyPairFromSecret, fromHex, tx, RPC_METHOD_NAMES } from 'edgechain';
       const c = new Client(${JSON.stringify(rpc)});
       const r = await c.rpc.getTransactionReceipt(${JSON.stringify(receipt.transactionHash)});
       const payee = new ChannelPayee(new Account(c, keyPairFromSecret(fromHex(${JSON.stringify(toHex(proxyKey.secretKey))}))), ${channelId});
       const accepted = await payee.accept(${JSON.stringify(voucherHex)});
       const claim = await payee.claim();
       console.log(JSON.stringify({ status: r.status, methods: RPC_METHOD_NAMES.length, kinds: Object.keys(tx).length, accepted: accepted.accepted, claimed: claim.channel.paid }));`,
    );
    const sdk = await run(process.execPath, [script]);
    expect(sdk.code, sdk.err).toBe(0);
    expect(JSON.parse(sdk.out)).toEqual({ status: 0, methods: RPC_METHOD_NAMES.length, kinds: KIND_LIST.length, accepted: true, claimed: 20 });
    const served = await fetch(`${rpc}/openrpc.json`);
    expect(served.status).toBe(200);
  }, 180_000);
});
