import { describe, it, expect, beforeEach } from 'vitest';
import { WorldState, ReceiptStatus, distanceMetres, buildTree, rootOf, type ExecutionResult } from '../../src/state/index.ts';
import { ReceiptCodec } from '../../src/codec/chain.ts';
import { merkleRoot } from '../../src/crypto/merkle.ts';
import { sha256, ZERO_HASH } from '../../src/crypto/hash.ts';
import { STD_GENESIS, TxMaker, P, run, addr, key } from './helpers.ts';

const S = ReceiptStatus;

function fresh() {
  const { state, result } = WorldState.fromGenesis(STD_GENESIS());
  return { ws: state, genesis: result, t: new TxMaker() };
}

describe('genesis', () => {
  it('creates the listed accounts with their roles and balances; sealers are not accounts', () => {
    const { ws, genesis } = fresh();
    expect(ws.height).toBe(0);
    expect(ws.account(addr('acme'))).toEqual({ address: addr('acme'), nonce: 0, balance: 1000, role: 'company' });
    expect(ws.account(addr('proxy')).role).toBe('proxy');
    expect(ws.account(key('stranger').address)).toMatchObject({ nonce: 0, balance: 0, role: 'user' });
    // 4 accounts and the genesis membership (docs/GOVERNANCE.md)
    expect(genesis.writes).toHaveLength(5);
    // the root commits to exactly the genesis records
    expect(genesis.stateRoot).toEqual(rootOf(buildTree(genesis.writes.map((w) => [w.key, w.value!] as const))));
    expect(ws.stateRoot).toEqual(genesis.stateRoot);
    expect(genesis.receiptRoot).toEqual(merkleRoot([]));
    // sorted by key bytes
    for (let i = 1; i < genesis.writes.length; i++) expect(Buffer.compare(genesis.writes[i - 1].key, genesis.writes[i].key)).toBe(-1);
  });
});

describe('receipts', () => {
  it('carry tx hash, height, index, sender and status; receipt root = merkle of receipt hashes', () => {
    const { ws, t } = fresh();
    const txs = [t.tx('alice', P.register('serial-1')), t.tx('bob', P.register('serial-1'))];
    const r = run(ws, 1, txs);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.INFO_TAKEN]);
    expect(r.failed).toBe(1);
    expect(r.receipts[1]).toMatchObject({ height: 1, index: 1, txHash: txs[1].hash });
    expect(Buffer.from(r.receipts[1].sender).toString('hex')).toBe(addr('bob').slice(2));
    expect(r.receipts[1].reason).toMatch(/already registered/);
    const decoded = ReceiptCodec.decode(r.receiptBytes[0]);
    expect(decoded.ok && decoded.value.status).toBe(0);
    expect(r.receiptRoot).toEqual(merkleRoot(r.receiptBytes.map((b) => sha256(b))));
  });
});

describe('RegisterDevice', () => {
  it('registers once per address, info unique chain-wide, companies and proxy refused', () => {
    const { ws, t } = fresh();
    const r = run(ws, 1, [
      t.tx('alice', P.register('serial-A')),
      t.tx('alice', P.register('serial-B')),
      t.tx('bob', P.register('serial-A')),
      t.tx('bob', P.register('serial-B')),
      t.tx('acme', P.register('serial-C')),
      t.tx('proxy', P.register('serial-D')),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.DEVICE_EXISTS, S.INFO_TAKEN, S.OK, S.ROLE_NOT_ALLOWED, S.ROLE_NOT_ALLOWED]);
    expect(ws.device(addr('alice'))).toEqual({ address: addr('alice'), info: 'serial-A', registeredAt: 1, deposit: 0 });
    expect(ws.deviceByInfo('serial-B')).toBe(addr('bob'));
    expect(ws.device(addr('acme'))).toBeNull();
    // every tx consumed its nonce, failed or not
    expect(ws.nonceOf(addr('alice'))).toBe(2);
    expect(ws.nonceOf(addr('bob'))).toBe(2);
    expect(ws.nonceOf(addr('acme'))).toBe(1);
  });
});

describe('edge nodes', () => {
  let ws: WorldState;
  let t: TxMaker;
  beforeEach(() => {
    ({ ws, t } = fresh());
  });

  it('AddNode: only companies, ids unique, owner = sender, online by default', () => {
    const r = run(ws, 1, [
      t.tx('acme', P.add('en-1', 1_000_000, 2_000_000, 10, ['video'], 5)),
      t.tx('globex', P.add('en-1', 0, 0, 10, ['video'], 5)),
      t.tx('alice', P.add('en-2', 0, 0, 10, ['video'], 5)),
      t.tx('proxy', P.add('en-3', 0, 0, 10, ['video'], 5)),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.NODE_EXISTS, S.NOT_COMPANY, S.NOT_COMPANY]);
    expect(ws.edgeNode('en-1')).toMatchObject({ id: 'en-1', owner: addr('acme'), lat: 1_000_000, lon: 2_000_000, capacity: 10, used: 0, free: 10, online: true, activeLeases: 0, addedAt: 1 });
    expect(ws.nodeCount).toBe(1);
  });

  it('UpdateNode/RemoveNode: only the owner, unknown ids fail', () => {
    run(ws, 1, [t.tx('acme', P.add('en-1', 0, 0, 10, ['video'], 5))]);
    const r = run(ws, 2, [
      t.tx('globex', P.update('en-1', 0, 0, 10, ['video'], 1, true)),
      t.tx('globex', P.remove('en-1')),
      t.tx('acme', P.update('nope', 0, 0, 10, ['video'], 1, true)),
      t.tx('acme', P.remove('nope')),
      t.tx('acme', P.update('en-1', 5_000_000, 6_000_000, 20, ['ml', 'video'], 7, false)),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_OWNER, S.NOT_OWNER, S.UNKNOWN_NODE, S.UNKNOWN_NODE, S.OK]);
    expect(ws.edgeNode('en-1')).toMatchObject({ lat: 5_000_000, lon: 6_000_000, capacity: 20, serviceTypes: ['ml', 'video'], price: 7, online: false, updatedAt: 2 });
    const r2 = run(ws, 3, [t.tx('acme', P.remove('en-1'))]);
    expect(r2.receipts[0].status).toBe(S.OK);
    expect(ws.edgeNode('en-1')).toBeNull();
    expect(ws.nodeCount).toBe(0);
    expect(r2.writes.some((w) => w.value === null && w.key[0] === 0x04)).toBe(true);
  });

  it('UpdateNode cannot set capacity below the slots in use', () => {
    run(ws, 1, [t.tx('acme', P.add('en-1', 0, 0, 10, ['video'], 5)), t.tx('alice', P.register('a'))]);
    run(ws, 2, [t.tx('alice', P.match(0, 0, 'video', 6))]);
    const r = run(ws, 3, [t.tx('acme', P.update('en-1', 0, 0, 5, ['video'], 5, true)), t.tx('acme', P.update('en-1', 0, 0, 6, ['video'], 5, true))]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.CAPACITY_BELOW_USED, S.OK]);
    expect(ws.edgeNode('en-1')).toMatchObject({ capacity: 6, used: 6, free: 0 });
  });

  it('the index follows updates: location, types, online flag', () => {
    run(ws, 1, [
      t.tx('acme', P.add('near', 0, 0, 10, ['video'], 5)),
      t.tx('acme', P.add('far', 10_000_000, 10_000_000, 10, ['video'], 5)),
      t.tx('alice', P.register('a')),
    ]);
    const q = { lat: 0, lon: 0, taskType: 'video', demand: 1, maxPrice: 0 };
    expect(ws.previewMatch(q)?.nodeId).toBe('near');
    run(ws, 2, [t.tx('acme', P.update('near', 0, 0, 10, ['video'], 5, false))]);
    expect(ws.previewMatch(q)?.nodeId).toBe('far');
    run(ws, 3, [t.tx('acme', P.update('near', 0, 0, 10, ['ml'], 5, true))]);
    expect(ws.previewMatch(q)?.nodeId).toBe('far');
    expect(ws.previewMatch({ ...q, taskType: 'ml' })?.nodeId).toBe('near');
    run(ws, 4, [t.tx('acme', P.update('far', 1_000, 1_000, 10, ['video'], 5, true))]);
    expect(ws.previewMatch(q)).toEqual({ nodeId: 'far', distanceM: distanceMetres(0, 0, 1_000, 1_000), price: 5 });
  });

  it('edgeNodes lists by id with paging and owner filter', () => {
    run(ws, 1, [
      t.tx('acme', P.add('b', 0, 0, 1, ['x'], 1)),
      t.tx('globex', P.add('a', 0, 0, 1, ['x'], 1)),
      t.tx('acme', P.add('c', 0, 0, 1, ['x'], 1)),
    ]);
    expect(ws.edgeNodes().nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(ws.edgeNodes({ offset: 1, limit: 1 })).toMatchObject({ total: 3, nodes: [{ id: 'b' }] });
    expect(ws.edgeNodes({ owner: addr('acme') }).nodes.map((n) => n.id)).toEqual(['b', 'c']);
    run(ws, 2, [t.tx('acme', P.remove('b'))]);
    expect(ws.edgeNodes().nodes.map((n) => n.id)).toEqual(['a', 'c']);
  });
});

describe('EdgeMatch and leases', () => {
  let ws: WorldState;
  let t: TxMaker;
  beforeEach(() => {
    ({ ws, t } = fresh());
    run(ws, 1, [
      t.tx('acme', P.add('en-a', 48_850_000, 2_350_000, 4, ['video', 'ml'], 10)), // Paris
      t.tx('globex', P.add('en-b', 51_500_000, -120_000, 10, ['video'], 3)), // London
      t.tx('alice', P.register('alice-serial')),
      t.tx('bob', P.register('bob-serial')),
    ]);
  });

  it('only registered devices may match', () => {
    const r = run(ws, 2, [t.tx('carol', P.match(48_860_000, 2_350_000, 'video', 1))]);
    expect(r.receipts[0].status).toBe(S.NOT_DEVICE);
    expect(ws.nonceOf(addr('carol'))).toBe(1);
  });

  it('picks the nearest eligible EN, reserves a lease with sequential ids', () => {
    const r = run(ws, 2, [t.tx('alice', P.match(48_860_000, 2_350_000, 'video', 3)), t.tx('bob', P.match(48_860_000, 2_350_000, 'video', 3))]);
    const d = distanceMetres(48_860_000, 2_350_000, 48_850_000, 2_350_000);
    expect(d).toBeGreaterThan(1100);
    expect(d).toBeLessThan(1120);
    expect(r.receipts[0].match).toEqual({ nodeId: 'en-a', distanceM: d, price: 10, leaseId: 1, demand: 3, cost: 0, endsAt: 0 }); // no term under the rules of before paid leases
    // en-a has only 1 free slot left: bob goes to London
    expect(r.receipts[1].match).toMatchObject({ nodeId: 'en-b', price: 3, leaseId: 2, demand: 3 });
    expect(ws.edgeNode('en-a')).toMatchObject({ used: 3, free: 1, activeLeases: 1 });
    expect(ws.lease(1)).toEqual({ id: 1, device: addr('alice'), nodeId: 'en-a', demand: 3, price: 10, distanceM: d, status: 'active', createdAt: 2, endedAt: 0, startTime: 0, endTime: 0, durationS: 0, cost: 0, paid: 0, refund: 0 });
    expect(ws.leaseCount).toBe(2);
    expect(ws.activeLeasesOf('en-a')).toEqual([1]);
  });

  it('filters by type, price cap (0 = none) and capacity; no candidate is a failed receipt', () => {
    const r = run(ws, 2, [
      t.tx('alice', P.match(48_860_000, 2_350_000, 'ml', 1)),
      t.tx('alice', P.match(48_860_000, 2_350_000, 'video', 1, 5)),
      t.tx('alice', P.match(48_860_000, 2_350_000, 'gpu', 1)),
      t.tx('alice', P.match(48_860_000, 2_350_000, 'video', 11)),
      t.tx('alice', P.match(48_860_000, 2_350_000, 'ml', 1, 9)),
    ]);
    expect(r.receipts[0].match?.nodeId).toBe('en-a');
    expect(r.receipts[1].match?.nodeId).toBe('en-b');
    expect(r.receipts.slice(2).map((x) => x.status)).toEqual([S.NO_CANDIDATE, S.NO_CANDIDATE, S.NO_CANDIDATE]);
    expect(r.receipts[2].reason).toMatch(/no online edge node offers "gpu"/);
    expect(r.receipts[2].match).toBeUndefined();
    expect(ws.nonceOf(addr('alice'))).toBe(6);
    expect(ws.leaseCount).toBe(2);
  });

  it('ties: same whole-metre distance → lower price → lower id', () => {
    run(ws, 2, [
      t.tx('acme', P.add('tie-z', 10_000_000, 10_000_000, 5, ['t'], 2)),
      t.tx('globex', P.add('tie-y', 10_000_000, 10_000_000, 5, ['t'], 2)),
      t.tx('acme', P.add('tie-x', 10_000_000, 10_000_000, 5, ['t'], 3)),
    ]);
    const r = run(ws, 3, [t.tx('alice', P.match(10_000_100, 10_000_000, 't', 5)), t.tx('bob', P.match(10_000_100, 10_000_000, 't', 5)), t.tx('bob', P.match(10_000_100, 10_000_000, 't', 5))]);
    expect(r.receipts.map((x) => x.match?.nodeId)).toEqual(['tie-y', 'tie-z', 'tie-x']);
  });

  it('ReleaseLease by the device or the EN owner frees capacity; others and repeats fail', () => {
    run(ws, 2, [t.tx('alice', P.match(48_860_000, 2_350_000, 'video', 2)), t.tx('bob', P.match(48_860_000, 2_350_000, 'video', 2))]);
    expect(ws.edgeNode('en-a')).toMatchObject({ used: 4, activeLeases: 2 });
    const r = run(ws, 3, [
      t.tx('bob', P.release(1)), // not a party
      t.tx('globex', P.release(1)), // owner of another EN
      t.tx('alice', P.release(1)), // the device
      t.tx('acme', P.release(2)), // the EN's company
      t.tx('alice', P.release(1)), // already released
      t.tx('alice', P.release(99)),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.NOT_LEASE_PARTY, S.NOT_LEASE_PARTY, S.OK, S.OK, S.LEASE_NOT_ACTIVE, S.UNKNOWN_LEASE]);
    expect(ws.lease(1)).toMatchObject({ status: 'released', endedAt: 3 });
    expect(ws.lease(2)).toMatchObject({ status: 'released', endedAt: 3 });
    expect(ws.edgeNode('en-a')).toMatchObject({ used: 0, free: 4, activeLeases: 0 });
    expect(ws.activeLeasesOf('en-a')).toEqual([]);
  });

  it('removing an EN terminates its active leases; they cannot be released afterwards', () => {
    run(ws, 2, [t.tx('alice', P.match(48_860_000, 2_350_000, 'video', 1)), t.tx('bob', P.match(48_860_000, 2_350_000, 'video', 1))]);
    run(ws, 3, [t.tx('bob', P.release(2))]);
    const r = run(ws, 4, [t.tx('acme', P.remove('en-a')), t.tx('alice', P.release(1))]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.LEASE_NOT_ACTIVE]);
    expect(ws.lease(1)).toMatchObject({ status: 'terminated', endedAt: 4 });
    expect(ws.lease(2)).toMatchObject({ status: 'released', endedAt: 3 });
    expect(ws.activeLeasesOf('en-a')).toEqual([]);
    // the id may be used again; the new EN starts clean
    const r2 = run(ws, 5, [t.tx('globex', P.add('en-a', 0, 0, 1, ['video'], 1)), t.tx('alice', P.match(0, 0, 'video', 1))]);
    expect(r2.receipts[1].match).toMatchObject({ nodeId: 'en-a', leaseId: 3 });
    expect(ws.edgeNode('en-a')).toMatchObject({ owner: addr('globex'), used: 1, activeLeases: 1 });
  });
});

describe('Transfer', () => {
  it('moves balance, creates recipients, refuses overdrafts', () => {
    const { ws, t } = fresh();
    const r: ExecutionResult = run(ws, 1, [
      t.tx('alice', P.transfer('newbie', 60)),
      t.tx('alice', P.transfer('newbie', 60)),
      t.tx('alice', P.transfer('alice', 40)),
      t.tx('nobody', P.transfer('alice', 1)),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.INSUFFICIENT_BALANCE, S.OK, S.INSUFFICIENT_BALANCE]);
    expect(ws.balanceOf(addr('alice'))).toBe(40);
    expect(ws.account(addr('newbie'))).toMatchObject({ nonce: 0, balance: 60, role: 'user' });
    expect(ws.nonceOf(addr('nobody'))).toBe(1);
  });
});

describe('nonces', () => {
  it('a wrong nonce rejects the whole block and leaves the state exactly as before', () => {
    const { ws, t } = fresh();
    run(ws, 1, [t.tx('acme', P.add('en-1', 0, 0, 5, ['v'], 1)), t.tx('alice', P.register('a'))]);
    const before = JSON.stringify({ a: ws.account(addr('alice')), n: ws.edgeNodes(), root: [...ws.stateRoot], c: ws.leaseCount });
    const good = t.tx('alice', P.match(0, 0, 'v', 5));
    const bad = t.tx('acme', P.remove('en-1'), 7);
    const r = ws.execute({ height: 2, timestamp: 0, proposer: addr('proxy') }, [good, t.tx('acme', P.update('en-1', 1, 1, 5, ['v'], 1, true)), bad]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('STATE_BAD_NONCE');
      expect(r.error.data).toMatchObject({ index: 2, expected: 2, got: 7 });
    }
    expect(ws.isPending).toBe(false);
    expect(JSON.stringify({ a: ws.account(addr('alice')), n: ws.edgeNodes(), root: [...ws.stateRoot], c: ws.leaseCount })).toBe(before);
    expect(ws.previewMatch({ lat: 0, lon: 0, taskType: 'v', demand: 5, maxPrice: 0 })?.nodeId).toBe('en-1');
    // the same good tx still applies afterwards
    const r2 = run(ws, 2, [good]);
    expect(r2.receipts[0].match?.leaseId).toBe(1);
  });

  it('a replayed nonce (already used) is rejected too', () => {
    const { ws, t } = fresh();
    const first = t.tx('alice', P.register('a'));
    run(ws, 1, [first]);
    const r = ws.execute({ height: 2, timestamp: 0, proposer: addr('proxy') }, [first]);
    expect(!r.ok && r.error.code).toBe('STATE_BAD_NONCE');
  });

  it('execute while pending throws; commit/revert without pending throw', () => {
    const { ws, t } = fresh();
    expect(() => ws.commit()).toThrow();
    expect(() => ws.revert()).toThrow();
    ws.execute({ height: 1, timestamp: 0, proposer: addr('proxy') }, [t.tx('alice', P.register('a'))]);
    expect(() => ws.execute({ height: 1, timestamp: 0, proposer: addr('proxy') }, [])).toThrow(/pending/);
  });
});
