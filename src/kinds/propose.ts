import { parseAddress } from '../crypto/keys.ts';
import { addrHex } from '../domain/address.ts';
import { GOVERNANCE, GOV_ACTION_NAMES, govActionOf, isAddAction, isCompanyAction, type GovAction } from '../domain/governance.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { byteLen } from './fields.ts';
import { defineKind } from './kind.ts';

const NAME = /^[\x21-\x7e]+$/;

/** Propose: a company proposes a change of the consortium's members; it counts as the proposer's approval (docs/GOVERNANCE.md). */
export default defineKind({
  kind: 'propose',
  command: 'propose',
  flags: '--action <add-company|remove-company|add-sealer|remove-sealer|add-observer|remove-observer> [--address <address>] [--node <public key hex>] [--name <name>]',
  check: (p) => {
    if (!GOV_ACTION_NAMES[p.action]) return `unknown proposal action ${p.action} (1..6)`;
    if (isCompanyAction(p.action)) {
      if (p.address.length !== 20) return `${GOV_ACTION_NAMES[p.action]} needs a 20-byte company address`;
      if (p.publicKey.length !== 0) return `${GOV_ACTION_NAMES[p.action]} takes no node key`;
    } else {
      if (p.publicKey.length !== 32) return `${GOV_ACTION_NAMES[p.action]} needs a 32-byte node public key`;
      if (p.address.length !== 0) return `${GOV_ACTION_NAMES[p.action]} takes no address`;
    }
    if (isAddAction(p.action)) {
      if (!p.name || byteLen(p.name) > GOVERNANCE.nameMaxBytes || !NAME.test(p.name)) return `member name must be 1..${GOVERNANCE.nameMaxBytes} printable ASCII characters without spaces`;
    } else if (p.name) return `${GOV_ACTION_NAMES[p.action]} takes no name`;
    return null;
  },
  apply: ({ height, sender, state }, p) =>
    state.gov.propose({ height }, sender, {
      action: p.action as GovAction,
      address: p.address.length ? addrHex(p.address) : '',
      publicKey: p.publicKey.length ? toHex(p.publicKey) : '',
      name: p.name,
    }),
  json: (p) => ({
    action: GOV_ACTION_NAMES[p.action] ?? `unknown-${p.action}`,
    ...(p.address.length ? { address: addrHex(p.address) } : {}),
    ...(p.publicKey.length ? { publicKey: toHex(p.publicKey) } : {}),
    ...(p.name ? { name: p.name } : {}),
  }),
  fromFlags: (f) => {
    const action = govActionOf(f.str('action'));
    if (!action) throw new EdgeError('CLI_BAD_ARGS', `--action must be one of ${Object.values(GOV_ACTION_NAMES).join(', ')}`);
    let address: Uint8Array = new Uint8Array(0);
    let publicKey: Uint8Array = new Uint8Array(0);
    if (isCompanyAction(action)) {
      const a = parseAddress(f.str('address'));
      if (!a) throw new EdgeError('CLI_BAD_ARGS', '--address must be 0x + 40 hex characters');
      address = fromHex(a)!;
    } else {
      const k = fromHex(f.str('node'));
      if (!k || k.length !== 32) throw new EdgeError('CLI_BAD_ARGS', '--node must be a public key of 64 hex characters');
      publicKey = k;
    }
    return { action, address, publicKey, name: isAddAction(action) ? f.str('name') : '' };
  },
});
