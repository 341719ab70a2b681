import { readKeyFile, parseAddress } from '../crypto/index.ts';
import { decodeVoucher, encodeVoucher, signVoucher } from '../domain/vouchers.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import type { Args } from './args.ts';
import type { RpcClient } from './rpc-client.ts';
import * as fmt from './format.ts';

/** `edgechain channel <sub>`: the subcommands that are txs map to the kinds `channel-<sub>`. */
export const CHANNEL_TX_SUBCOMMANDS = ['open', 'top-up', 'claim', 'close', 'refund'] as const;

export const CHANNEL_USAGE = `payments (docs/PAYMENTS.md)
  channel open --key <file> --to <address> --deposit <n> --expires <seconds from now>
                                              open a payment channel (--json: the receipt with channelId)
  channel top-up --key <file> --channel <id> --amount <n>
  channel voucher --key <file> --channel <id> --amount <cumulative> [--chain-id <id>]
                                              sign a voucher off-chain: prints it as one hex string, no tx
  channel claim --key <file> --voucher <hex>  the payee redeems a voucher
  channel close --key <file> --channel <id> [--voucher <hex>]
                                              payee: close now (final voucher); payer: start the settle window
  channel refund --key <file> --channel <id>  the payer takes back what was never claimed (after expiry)
  channel verify <voucher-hex>                would a claim with it pay now, and how much (no tx)
  channels [--address <a>] [--status open|closing|closed]
  channel <id>                                one channel`;

/** `channel voucher`: signs a voucher (no tx); the chain id from --chain-id or the node. */
export async function channelVoucher(args: Args, rpc: () => RpcClient, print: (h: string, o: unknown) => void): Promise<void> {
  const key = readKeyFile(args.str('key'));
  const channelId = args.int('channel', undefined, 1);
  const amount = args.int('amount', undefined, 1);
  const chainIdFlag = args.has('chain-id') ? args.str('chain-id') : undefined;
  args.rejectUnknown(['rpc']);
  const chainId = chainIdFlag ?? (await rpc().call<{ chainId: string }>('getChainInfo')).chainId;
  let hex: string;
  try {
    hex = toHex(encodeVoucher(signVoucher(key.secretKey, chainId, channelId, amount)));
  } catch (e) {
    throw new EdgeError('CLI_BAD_ARGS', (e as Error).message);
  }
  print(hex, { voucher: hex, chainId, channelId, amount, payer: key.address });
}

/** Refuses a --voucher of another chain before anything is signed or sent. */
export async function checkVoucherChain(args: Args, rpc: () => RpcClient): Promise<void> {
  if (!args.has('voucher')) return;
  const b = fromHex(args.str('voucher'));
  const v = b ? decodeVoucher(b) : null;
  if (!v || !v.ok) return; // the kind's flag parser gives the reason
  const { chainId } = await rpc().call<{ chainId: string }>('getChainInfo');
  if (v.value.chainId !== chainId) throw new EdgeError('CLI_BAD_ARGS', `the voucher is for chain "${v.value.chainId}", the node runs "${chainId}"`);
}

export async function channelVerify(args: Args, rpc: () => RpcClient, print: (h: string, o: unknown) => void): Promise<void> {
  const hex = args.positionals[1];
  if (!hex) throw new EdgeError('CLI_BAD_ARGS', 'usage: edgechain channel verify <voucher-hex>');
  args.rejectUnknown(['rpc']);
  const r = await rpc().call<Record<string, any>>('verifyVoucher', [hex]);
  print(r.valid ? `valid: a claim now pays ${r.pays} (channel ${r.channelId}, cumulative ${r.amount})` : `invalid (${r.statusText}): ${r.reason}`, r);
}

export async function channelShow(args: Args, rpc: () => RpcClient, print: (h: string, o: unknown) => void): Promise<void> {
  const id = args.positionals[0];
  if (!/^\d+$/.test(id)) throw new EdgeError('CLI_BAD_ARGS', `unknown channel subcommand "${id}" (${[...CHANNEL_TX_SUBCOMMANDS, 'voucher', 'verify'].join(', ')}, or a channel id)`);
  args.rejectUnknown(['rpc']);
  const c = await rpc().call<Record<string, unknown> | null>('getChannel', [Number(id)]);
  if (!c) throw new EdgeError('CLI_NOT_FOUND', `channel ${id} not found`);
  print(fmt.kv(c), c);
}

export async function channelsList(args: Args, rpc: () => RpcClient, print: (h: string, o: unknown) => void): Promise<void> {
  let address: string | undefined;
  if (args.has('address')) {
    address = parseAddress(args.str('address')) ?? undefined;
    if (!address) throw new EdgeError('CLI_BAD_ARGS', '--address must be 0x + 40 hex characters');
  }
  const status = args.has('status') ? args.str('status') : undefined;
  const limit = args.int('limit', 100, 1, 1000);
  args.rejectUnknown(['rpc']);
  const r = await rpc().call<{ total: number; channels: Record<string, any>[] }>('getChannels', [{ address, status, limit }]);
  const lines = [`${r.total} channel(s)`];
  for (const c of r.channels) lines.push(`  ${String(c.id).padStart(4)}  ${c.status.padEnd(7)}  ${c.payer} → ${c.payee}  deposit ${c.deposit}  claimed ${c.claimed}  expires ${new Date(c.expiresAt).toISOString()}`);
  print(lines.join('\n'), r);
}

/** `lease <id>` in human form: the record plus cost, paid, refund and end in words. */
export function leaseHuman(l: Record<string, any>): string {
  const lines = [fmt.kv(l)];
  if (l.endTime) {
    lines.push(`ends        ${new Date(l.endTime).toISOString()}${l.status === 'active' ? '' : ` (${l.status} at height ${l.endedAt})`}`);
    lines.push(`settlement  cost ${l.cost}: paid ${l.paid} to the edge node's owner, refund ${l.refund} to the device${l.status === 'active' ? ' (when it ends)' : ''}`);
  } else lines.push('ends        never (a lease without a term)');
  return lines.join('\n');
}
