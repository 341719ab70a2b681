import { existsSync } from 'node:fs';
import type { TxPayload } from '../codec/types.ts';
import { parseAddress, readKeyFile } from '../crypto/index.ts';
import { GOV_ACTION_NAMES, govActionOf, isAddAction, isCompanyAction } from '../domain/governance.ts';
import { fromHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import type { Args } from './args.ts';
import type { RpcClient } from './rpc-client.ts';

/** `edgechain gov …` and `edgechain sealers` (docs/GOVERNANCE.md). */
export const GOV_USAGE = `governance (docs/GOVERNANCE.md; a company's key signs, proposing counts as its approval)
  gov propose add-sealer --key <company key file> --node <node key file|public key hex> --name <name>
  gov propose remove-sealer --key <file> --node <public key hex|name>
  gov propose add-observer --key <file> --node <node key file|public key hex> --name <name>
  gov propose remove-observer --key <file> --node <public key hex|name>
  gov propose add-company --key <file> --address <address> --name <name>
  gov propose remove-company --key <file> --address <address>
  gov vote --key <file> --proposal <id> [--reject]
  gov proposals [--status open|passed|rejected|expired]
  sealers [--height <h>]                      the sealer set of a height (default: the next block's)`;

type Print = (human: string, obj: unknown) => void;
type Send = (payload: TxPayload) => Promise<void>;

/** A node key: a key file's public key, or 64 hex characters; with `names`, also a member's name. */
function nodeKey(v: string, names: Map<string, string> | null): Uint8Array {
  const hex = fromHex(v);
  if (hex && hex.length === 32) return hex;
  const byName = names?.get(v);
  if (byName) return fromHex(byName)!;
  if (existsSync(v)) return readKeyFile(v).publicKey;
  throw new EdgeError('CLI_BAD_ARGS', `--node must be a node key file, a public key of 64 hex characters${names ? ' or the name of a member' : ''} (got "${v}")`);
}

/** Runs `gov <sub>`: proposals and votes are sent as txs (`send`), queries over RPC. */
export async function govCommand(args: Args, rpc: () => RpcClient, print: Print, send: Send): Promise<void> {
  const sub = args.positionals[0];
  if (sub === 'proposals') {
    const status = args.has('status') ? args.str('status') : undefined;
    const limit = args.int('limit', 100, 1, 100);
    args.rejectUnknown(['rpc', 'json']);
    const r = await rpc().call<{ total: number; proposals: Record<string, any>[] }>('getProposals', [{ status, limit }]);
    const lines = [`${r.total} proposal${r.total === 1 ? '' : 's'}`];
    for (const p of r.proposals) {
      const target = p.name || p.address || p.publicKey;
      lines.push(`  #${p.id}  ${p.action} ${target}  ${p.status}  approvals ${p.approvals.length}${p.rejections.length ? `, rejections ${p.rejections.length}` : ''}  (by ${p.proposer} at ${p.createdAt}, expires after ${p.expiresAt}${p.effectiveAt ? `, in effect from ${p.effectiveAt}` : ''})`);
    }
    return print(lines.join('\n'), r);
  }
  if (sub === 'vote') {
    const proposal = args.int('proposal', undefined, 1);
    const reject = args.has('reject');
    return send({ kind: 'vote', vote: { proposal, reject } } as TxPayload);
  }
  if (sub === 'propose') {
    const actionName = args.positionals[1];
    const action = actionName ? govActionOf(actionName) : null;
    if (!action) throw new EdgeError('CLI_BAD_ARGS', `usage: edgechain gov propose <${Object.values(GOV_ACTION_NAMES).join('|')}> --key <file> …`);
    let address: Uint8Array = new Uint8Array(0);
    let publicKey: Uint8Array = new Uint8Array(0);
    if (isCompanyAction(action)) {
      const a = parseAddress(args.str('address'));
      if (!a) throw new EdgeError('CLI_BAD_ARGS', '--address must be 0x + 40 hex characters');
      address = fromHex(a)!;
    } else {
      const v = args.str('node');
      let names: Map<string, string> | null = null;
      if (!isAddAction(action) && !(fromHex(v)?.length === 32)) {
        // a removal may name the member: resolved against the node's current members
        const c = await rpc().call<{ sealers: { name: string; publicKey: string }[]; observers: { name: string; publicKey: string }[] }>('getConsortium');
        names = new Map((actionName === 'remove-sealer' ? c.sealers : c.observers).map((m) => [m.name, m.publicKey]));
      }
      publicKey = nodeKey(v, names);
    }
    const name = isAddAction(action) ? args.str('name') : '';
    return send({ kind: 'propose', propose: { action, address, publicKey, name } } as TxPayload);
  }
  throw new EdgeError('CLI_BAD_ARGS', `usage: edgechain gov propose|vote|proposals … (see edgechain help)`);
}

/** `edgechain sealers [--height H]`. */
export async function sealersCommand(args: Args, rpc: () => RpcClient, print: Print): Promise<void> {
  const height = args.has('height') ? args.int('height', undefined, 0) : undefined;
  args.rejectUnknown(['rpc', 'json']);
  const list = await rpc().call<{ index: number; name: string; role: string; publicKey: string; address: string; operator: string | null; fromHeight: number }[]>('getSealerList', height === undefined ? [] : [height]);
  const n = list.length;
  const f = Math.floor((n - 1) / 3);
  const lines = [`${n} sealers${height === undefined ? '' : ` at height ${height}`} (quorum ${n - f}, f ${f}; set in effect from height ${list[0]?.fromHeight ?? 0})`];
  for (const s of list) lines.push(`  ${s.index}  ${s.name.padEnd(16)} ${s.publicKey}  ${s.role}${s.operator ? ` (operator ${s.operator})` : ''}`);
  return print(lines.join('\n'), list);
}
