import { encodeVoucher, signVoucher } from '../../src/domain/vouchers.ts';
import { keyPairFromLabel, sign } from '../../src/crypto/keys.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { toHex } from '../../src/util/bytes.ts';
import { KIND_LIST } from '../../src/kinds/registry.ts';
import { describe, it, expect } from 'vitest';
import { Args, parseArgs } from '../../src/cli/args.ts';
import { txPayload, main } from '../../src/cli/main.ts';
import { checkTxFields } from '../../src/chain/tx.ts';
import type { TxBody } from '../../src/codec/types.ts';

const args = (...a: string[]) => new Args(parseArgs(a));

describe('CLI argument parsing', () => {
  it('splits positionals and flags, with --x=y and boolean flags', () => {
    const p = parseArgs(['block', '12', '--rpc', 'http://x', '--json', '--max-price=7']);
    expect(p.positionals).toEqual(['block', '12']);
    expect(p.flags).toEqual({ rpc: 'http://x', json: true, 'max-price': '7' });
  });

  it('a flag that needs a value and has none is an error', () => {
    expect(() => parseArgs(['--key'])).toThrow(/--key needs a value/);
    expect(() => parseArgs(['--key', '--json'])).toThrow(/--key needs a value/);
  });

  it('negative degrees are values, not flags', () => {
    expect(args('--lat', '-37.8136').degrees('lat', 90)).toBe(-37_813_600);
  });

  it('validates numbers, degrees and lists with a clear reason', () => {
    expect(() => args('--capacity', 'ten').int('capacity')).toThrow(/whole number/);
    expect(() => args('--capacity', '0').int('capacity', undefined, 1)).toThrow(/between 1 and/);
    expect(() => args('--lat', '91').degrees('lat', 90)).toThrow(/±90/);
    expect(() => args('--lat', 'north').degrees('lat', 90)).toThrow(/decimal degrees/);
    expect(() => args('--types', ' , ').list('types')).toThrow(/at least one/);
    expect(() => args().str('key')).toThrow(/--key <value> is required/);
  });

  it('refuses unknown options (a typo is never silently ignored)', () => {
    const a = args('--key', 'k', '--capacty', '3');
    a.str('key');
    expect(() => a.rejectUnknown()).toThrow(/unknown option --capacty/);
  });
});

/** Two PREPAREs of sealer 2 for two blocks at (3, 0): well-formed evidence (signatures are checked against the state, not here). */
const vote = (fill: number) => {
  const blockHash = new Uint8Array(32).fill(fill);
  const payload = ConsensusPayloadCodec.encode({ prepare: { height: 3, view: 0, blockHash } });
  return toHex(ConsensusMessageCodec.encode({ payload, sender: 2, signature: sign(voteBytes('prepare', 'x', 3, 0, blockHash), keyPairFromLabel('cli-sealer').secretKey), block: new Uint8Array(0) }));
};
const VOUCHER = toHex(encodeVoucher(signVoucher(keyPairFromLabel('cli-payer').secretKey, 'x', 1, 7)));

describe('tx payloads from flags, for every kind', () => {
  const node = ['--id', 'en-1', '--lat', '-37.81', '--lon', '144.96', '--capacity', '8', '--types', 'video,ml', '--price', '5'];
  const cases: [string, string[], string][] = [
    ['register-device', ['--info', 'camera 1'], 'registerDevice'],
    ['add-node', node, 'addNode'],
    ['update-node', [...node, '--offline'], 'updateNode'],
    ['remove-node', ['--id', 'en-1'], 'removeNode'],
    ['edge-match', ['--lat', '-37.8', '--lon', '144.9', '--type', 'ml', '--demand', '2', '--max-price', '9', '--duration', '600'], 'edgeMatch'],
    ['renew', ['--lease', '3', '--extend', '60'], 'renewLease'],
    ['channel-open', ['--to', '0x' + 'ab'.repeat(20), '--deposit', '10', '--expires', '3600'], 'channelOpen'],
    ['channel-top-up', ['--channel', '1', '--amount', '5'], 'channelTopUp'],
    ['channel-claim', ['--voucher', VOUCHER], 'channelClaim'],
    ['channel-close', ['--channel', '1', '--voucher', VOUCHER], 'channelClose'],
    ['channel-refund', ['--channel', '1'], 'channelRefund'],
    ['release', ['--lease', '3'], 'releaseLease'],
    ['transfer', ['--to', '0x' + 'ab'.repeat(20), '--amount', '10'], 'transfer'],
    ['evidence', ['--first', vote(1), '--second', vote(2)], 'evidence'],
    ['propose', ['--action', 'add-observer', '--node', 'ab'.repeat(32), '--name', 'o1'], 'propose'],
    ['vote', ['--proposal', '1', '--reject'], 'vote'],
    ['unregister-device', [], 'unregisterDevice'],
  ];
  it('covers every kind', () => {
    expect(cases.map((c) => c[2]).sort()).toEqual(KIND_LIST.map((k) => k.kind).sort());
  });
  for (const [cmd, flags, kind] of cases) {
    it(`${cmd} → ${kind}, well-formed`, () => {
      const p = txPayload(cmd, args(...flags));
      expect(p.kind).toBe(kind);
      expect(checkTxFields({ chainId: 'x', nonce: 0, ...(p as object) } as TxBody)).toBeNull();
    });
  }
  it('converts degrees exactly and keeps the online flag', () => {
    const p = txPayload('update-node', args(...node, '--offline'));
    expect(p.kind === 'updateNode' && p.updateNode).toMatchObject({ lat: -37_810_000, lon: 144_960_000, serviceTypes: ['video', 'ml'], online: false });
  });
  it('refuses unknown kinds and bad addresses', () => {
    expect(() => txPayload('mint', args())).toThrow(/unknown tx kind "mint"/);
    expect(() => txPayload('transfer', args('--to', '0x12', '--amount', '1'))).toThrow(/--to must be/);
  });
});

describe('CLI commands without a node', () => {
  it('unknown commands and unreachable nodes fail with a one-line reason', async () => {
    await expect(main(['frobnicate'])).rejects.toThrow(/unknown command "frobnicate"/);
    await expect(main(['status', '--rpc', 'http://127.0.0.1:1'])).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1/);
    await expect(main(['block'])).rejects.toThrow(/usage: edgechain block/);
  });
});
