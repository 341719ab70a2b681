import { existsSync } from 'node:fs';
import { generateKeyPair, writeKeyFile, readKeyFile, parseAddress, type KeyPair } from '../crypto/index.ts';
import type { TxBody, TxPayload } from '../codec/types.ts';
import { KIND_LIST, checkPayload, kindOfCommand, payloadFromFlags } from '../kinds/registry.ts';
import { toHex, fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { Args, parseArgs } from './args.ts';
import { RpcClient } from './rpc-client.ts';
import * as fmt from './format.ts';
import { CHANNEL_TX_SUBCOMMANDS, CHANNEL_USAGE, channelShow, channelVerify, channelVoucher, channelsList, checkVoucherChain, leaseHuman } from './payments.ts';
import { VERIFY_USAGE, verifyCommand } from './verify.ts';
import { GOV_USAGE, govCommand, sealersCommand } from './gov.ts';
import { Account } from '../sdk/account.ts';
import { Client, RpcCallError, RpcTransportError } from '../sdk/client.ts';
import { ReceiptTimeoutError } from '../sdk/account.ts';

const USAGE = `usage: edgechain <command> [options]

keys and networks
  keygen --out <file> [--force]               write a new Ed25519 key file (JSON, mode 0600)
  address --key <file>                        print the address and public key of a key file
  testnet init --dir <dir> [--sealers 4] [--observers 1] [--devices 3] [--chain-id <id>] [--force]
                                              write genesis, keys and node configs of a local testnet
  config check <file>                         check a node config (with its genesis and key) or a genesis file
  start --config <file>                       run a node (sealer or observer, as its config says)

transactions (sign with --key, send to --rpc, wait for the receipt unless --no-wait)
${KIND_LIST.map((k) => `  tx ${k.command} --key <file> ${k.flags}`).join('\n')}

queries
  status                                      height, view, sealers, peers, pool
  block <height|hash>                         a block with its txs and certificate signers
  transaction <hash>                          a transaction
  receipt <hash>                              a transaction's receipt
  nodes [--owner <address>]                   the edge-node registry
  node <id>                                   one edge node
  lease <id>                                  one lease: cost, paid, refund, end
  account <address>                           nonce, balance, role, device registration

${CHANNEL_USAGE}

${GOV_USAGE}

verification (docs/VERIFY.md)
${VERIFY_USAGE}

common options
  --rpc <url>      node to talk to (default http://127.0.0.1:8545, or $EDGECHAIN_RPC)
  --json           machine-readable output
  --no-wait        (tx) return the hash at once instead of waiting for the receipt
  --timeout <s>    (tx) how long to wait for the receipt (default 30)`;

export async function main(argv: string[]): Promise<void> {
  const [cmd = 'help', ...rest] = argv;
  const args = new Args(parseArgs(rest));
  const json = args.has('json');
  const rpc = () => new RpcClient(args.str('rpc', process.env.EDGECHAIN_RPC ?? 'http://127.0.0.1:8545'));
  const print = (human: string, obj: unknown) => console.log(fmt.safeForTerminal(json ? JSON.stringify(obj, null, 2) : human));

  switch (cmd) {
    case 'keygen': {
      const path = args.str('out');
      const force = args.has('force');
      args.rejectUnknown();
      if (existsSync(path) && !force) throw new EdgeError('CLI_FILE_EXISTS', `${path} exists (use --force to overwrite)`);
      const kp = generateKeyPair();
      writeKeyFile(path, kp);
      return print(`wrote ${path}\naddress     ${kp.address}\npublic key  ${toHex(kp.publicKey)}`, { path, address: kp.address, publicKey: toHex(kp.publicKey) });
    }
    case 'address': {
      const kp = readKeyFile(args.str('key'));
      args.rejectUnknown();
      return print(`address     ${kp.address}\npublic key  ${toHex(kp.publicKey)}`, { address: kp.address, publicKey: toHex(kp.publicKey) });
    }
    case 'testnet': {
      if (args.positionals[0] !== 'init') throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain testnet init --dir <dir> [--sealers 4] [--observers 1]');
      const { initTestnet } = await import('../node/testnet.ts');
      const layout = initTestnet({
        dir: args.str('dir'),
        sealers: args.int('sealers', 4, 1, 10),
        observers: args.int('observers', 1, 0, 10),
        devices: args.int('devices', 3, 0, 100),
        chainId: args.has('chain-id') ? args.str('chain-id') : undefined,
        force: args.has('force'),
      });
      args.rejectUnknown();
      return print(fmt.testnet(layout), layout);
    }
    case 'config': {
      if (args.positionals[0] !== 'check' || !args.positionals[1]) throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain config check <file>');
      args.rejectUnknown();
      const { checkConfigFile } = await import('../node/config-check.ts');
      const r = checkConfigFile(args.positionals[1]);
      if (r.problems.length) throw new EdgeError('CONFIG_INVALID', `${r.file} (${r.kind}): ${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}\n  ${r.problems.join('\n  ')}`);
      return print(`${r.file}: ok (${r.kind})\n  ${r.summary.join('\n  ')}`, { ok: true, ...r });
    }
    case 'start': {
      const config = args.str('config');
      args.rejectUnknown();
      const { runNode } = await import('../node/main.ts');
      await runNode(config);
      return;
    }
    case 'tx': {
      const kind = args.positionals[0];
      if (!kind) throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain tx <kind> --key <file> … (see edgechain help)');
      return sendTxCommand(kind, args, rpc, print);
    }
    case 'channel': {
      const sub = args.positionals[0];
      if (!sub) throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain channel open|top-up|voucher|claim|close|refund|verify … (see edgechain help)');
      if (sub === 'voucher') return channelVoucher(args, rpc, print);
      if (sub === 'verify') return channelVerify(args, rpc, print);
      if ((CHANNEL_TX_SUBCOMMANDS as readonly string[]).includes(sub)) {
        await checkVoucherChain(args, rpc);
        return sendTxCommand('channel-' + sub, args, rpc, print);
      }
      return channelShow(args, rpc, print);
    }
    case 'channels':
      return channelsList(args, rpc, print);
    case 'gov':
      return govCommand(args, rpc, print, (payload) => sendPayload(payload, args, print));
    case 'sealers':
      return sealersCommand(args, rpc, print);
    case 'status': {
      args.rejectUnknown(['rpc']);
      const c = rpc();
      const [status, sealers, peers, pending, totals] = await Promise.all([
        c.call<Record<string, unknown>>('getConsensusStatus'),
        c.call<unknown[]>('getSealerList'),
        c.call<unknown[]>('getPeers'),
        c.call<number>('getPendingTxSize'),
        c.call<Record<string, number>>('getTotalTransactionCount'),
      ]);
      const obj = { ...status, sealers, peers, pendingTxs: pending, totals };
      return print(fmt.status(obj), obj);
    }
    case 'block': {
      const id = needPositional(args, 'block <height|hash>');
      args.rejectUnknown(['rpc']);
      const c = rpc();
      const block = /^\d+$/.test(id) ? await c.call('getBlockByNumber', [Number(id), true]) : await c.call('getBlockByHash', [id, true]);
      if (!block) throw new EdgeError('CLI_NOT_FOUND', `block ${id} not found`);
      return print(fmt.block(block as Record<string, any>), block);
    }
    case 'transaction': {
      const h = needPositional(args, 'transaction <hash>');
      args.rejectUnknown(['rpc']);
      const tx = await rpc().call('getTransactionByHash', [h]);
      if (!tx) throw new EdgeError('CLI_NOT_FOUND', `transaction ${h} not found`);
      return print(fmt.kv(tx as Record<string, unknown>), tx);
    }
    case 'receipt': {
      const h = needPositional(args, 'receipt <hash>');
      args.rejectUnknown(['rpc']);
      const r = await rpc().call('getTransactionReceipt', [h]);
      if (!r) throw new EdgeError('CLI_NOT_FOUND', `receipt of ${h} not found (unknown or not yet in a block)`);
      return print(fmt.receipt(r as Record<string, any>), r);
    }
    case 'nodes': {
      const owner = args.has('owner') ? args.str('owner') : undefined;
      const limit = args.int('limit', 100, 1, 1000);
      args.rejectUnknown(['rpc']);
      const r = await rpc().call<{ total: number; nodes: Record<string, any>[] }>('getEdgeNodes', [{ owner, limit }]);
      return print(fmt.nodes(r), r);
    }
    case 'node': {
      const id = needPositional(args, 'node <id>');
      args.rejectUnknown(['rpc']);
      const n = await rpc().call('getEdgeNode', [id]);
      if (!n) throw new EdgeError('CLI_NOT_FOUND', `edge node ${id} not found`);
      return print(fmt.kv(n as Record<string, unknown>), n);
    }
    case 'lease': {
      const id = needPositional(args, 'lease <id>');
      if (!/^\d+$/.test(id)) throw new EdgeError('CLI_BAD_ARGS', 'lease id must be a whole number');
      args.rejectUnknown(['rpc']);
      const l = await rpc().call('getLease', [Number(id)]);
      if (!l) throw new EdgeError('CLI_NOT_FOUND', `lease ${id} not found`);
      return print(leaseHuman(l as Record<string, unknown>), l);
    }
    case 'account': {
      const a = parseAddress(needPositional(args, 'account <address>'));
      if (!a) throw new EdgeError('CLI_BAD_ARGS', 'address must be 0x + 40 hex characters');
      args.rejectUnknown(['rpc']);
      const acc = await rpc().call('getAccount', [a]);
      return print(fmt.kv(acc as Record<string, unknown>), acc);
    }
    case 'verify':
      return verifyCommand(args, args.str('rpc', process.env.EDGECHAIN_RPC ?? 'http://127.0.0.1:8545'), print);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new EdgeError('CLI_UNKNOWN_COMMAND', `unknown command "${cmd}" (try: edgechain help)`);
  }
}

function needPositional(args: Args, usage: string): string {
  const v = args.positionals[0];
  if (!v) throw new EdgeError('CLI_BAD_ARGS', `usage: edgechain ${usage}`);
  return v;
}

/** Builds the payload of a `tx <command>` from its flags (the kind module's CLI part). */
export function txPayload(command: string, args: Args): TxPayload {
  const m = kindOfCommand(command);
  if (!m) throw new EdgeError('CLI_UNKNOWN_COMMAND', `unknown tx kind "${command}" (${KIND_LIST.map((k) => k.command).join(', ')})`);
  return payloadFromFlags(m, args);
}

/** Signs, sends and (unless --no-wait) waits for the receipt of an `edgechain tx <kind>` (also `channel <sub>`). */
async function sendTxCommand(kind: string, args: Args, _rpc: () => RpcClient, print: (h: string, o: unknown) => void): Promise<void> {
  const key: KeyPair = readKeyFile(args.str('key'));
  return sendPayload(txPayload(kind, args), args, print, key);
}

/** Signs and sends a payload with `--key` (also `gov propose|vote`), waiting for the receipt unless --no-wait. */
async function sendPayload(payload: TxPayload, args: Args, print: (h: string, o: unknown) => void, signer?: KeyPair): Promise<void> {
  const key: KeyPair = signer ?? readKeyFile(args.str('key'));
  const noWait = args.has('no-wait');
  const timeoutS = args.int('timeout', 30, 1, 3600);
  const explicitNonce = args.has('nonce') ? args.int('nonce') : undefined;
  args.rejectUnknown(['rpc']);
  const bad = checkPayload({ chainId: '', nonce: 0, ...payload } as TxBody);
  if (bad) throw new EdgeError('CLI_BAD_ARGS', bad);
  // the SDK does the nonce, signing (with the chain's genesis hash), NODE_BUSY back-off and the receipt wait
  const account = new Account(new Client(rpcUrl(args)), key);
  let sent;
  try {
    sent = await account.send(payload, { nonce: explicitNonce, busyTimeoutMs: timeoutS * 1000 });
  } catch (e) {
    if (e instanceof RangeError) throw new EdgeError('CLI_BAD_ARGS', e.message);
    throw sdkError(e);
  }
  const { hash, nonce } = sent;
  if (noWait) return print(`sent ${hash} (nonce ${nonce})`, { hash, nonce });
  let r;
  try {
    r = await account.receipt(hash, timeoutS * 1000);
  } catch (e) {
    if (e instanceof ReceiptTimeoutError) throw new EdgeError('CLI_TIMEOUT', `no receipt for ${hash} after ${timeoutS} s (it may still be committed; check with: edgechain receipt ${hash})`);
    throw sdkError(e);
  }
  print(fmt.receipt(r as Record<string, any>), r);
  if (r.status !== 0) process.exitCode = 2;
}

/** An SDK error as the CLI's errors (the same codes as before the SDK). */
function sdkError(e: unknown): unknown {
  if (e instanceof RpcCallError) return new EdgeError('RPC_ERROR', e.message, { rpcCode: e.code, reason: e.reason });
  if (e instanceof RpcTransportError) return new EdgeError('RPC_UNREACHABLE', e.message);
  return e;
}

function rpcUrl(args: Args): string {
  return args.str('rpc', process.env.EDGECHAIN_RPC ?? 'http://127.0.0.1:8545');
}

