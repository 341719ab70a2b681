import { describe, it, expect } from 'vitest';
import { S, addr, bounds, fromFlags, json } from './harness.ts';
import { G, company, govChain, pk } from './governance-harness.ts';
import { key } from '../state/helpers.ts';

const none = new Uint8Array(0);

describe('kind propose', () => {
  it('flags → payload → bounds → JSON, for every action', () => {
    const add = fromFlags('propose', '--action', 'add-sealer', '--node', pk('s9'), '--name', 'fifth');
    expect(add).toEqual({ kind: 'propose', propose: { action: 3, address: none, publicKey: key('s9').publicKey, name: 'fifth' } });
    expect(bounds(add)).toBeNull();
    expect(json(add)).toEqual({ action: 'add-sealer', publicKey: pk('s9'), name: 'fifth' });
    const rm = fromFlags('propose', '--action', 'remove-observer', '--node', pk('o1'));
    expect(bounds(rm)).toBeNull();
    expect(json(rm)).toEqual({ action: 'remove-observer', publicKey: pk('o1') });
    const co = fromFlags('propose', '--action', 'add-company', '--address', addr('newco'), '--name', 'newco');
    expect(bounds(co)).toBeNull();
    expect(json(co)).toEqual({ action: 'add-company', address: addr('newco'), name: 'newco' });
    expect(() => fromFlags('propose', '--action', 'promote')).toThrow(/--action must be one of add-company/);
    expect(() => fromFlags('propose', '--action', 'add-sealer', '--node', 'abc', '--name', 'x')).toThrow(/--node must be a public key/);
    expect(() => fromFlags('propose', '--action', 'add-company', '--address', '0x12', '--name', 'x')).toThrow(/--address must be/);
  });

  it('bounds: action, the target of its kind, a name only on additions', () => {
    const p = (action: number, address: Uint8Array, publicKey: Uint8Array, name: string) => bounds({ kind: 'propose', propose: { action, address, publicKey, name } });
    const k = key('s9').publicKey;
    const a = new Uint8Array(20).fill(1);
    expect(p(0, none, k, 'x')).toMatch(/unknown proposal action 0/);
    expect(p(7, none, k, 'x')).toMatch(/unknown proposal action 7/);
    expect(p(3, none, k.subarray(1), 'x')).toMatch(/32-byte node public key/);
    expect(p(3, a, k, 'x')).toMatch(/takes no address/);
    expect(p(1, a.subarray(1), none, 'x')).toMatch(/20-byte company address/);
    expect(p(1, a, k, 'x')).toMatch(/takes no node key/);
    expect(p(3, none, k, '')).toMatch(/member name must be 1..64/);
    expect(p(3, none, k, 'two words')).toMatch(/without spaces/);
    expect(p(3, none, k, 'x'.repeat(65))).toMatch(/1..64/);
    expect(p(3, none, k, 'x'.repeat(64))).toBeNull();
    expect(p(4, none, k, 'x')).toMatch(/remove-sealer takes no name/);
  });

  it('proposing counts as the approval; the receipt carries the proposal id', () => {
    const c = govChain(3);
    const r = c.block([company(0), G.addObserver('o1')]);
    expect(r.receipts[0]).toMatchObject({ status: S.OK, proposal: { proposalId: 1, status: 1, approvals: 1, needed: 3 } });
    expect(c.ws.proposal(1)).toMatchObject({ id: 1, action: 'add-observer', name: 'o1', publicKey: pk('o1'), proposer: addr(company(0)), approvals: [addr(company(0))], status: 'open' });
  });
});
