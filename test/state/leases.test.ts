import { describe, it, expect } from 'vitest';
import { WorldState, ReceiptStatus as S } from '../../src/state/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { PAID_GENESIS, TxMaker, P, addr, applyToStore, run, rulesOf, storeEntries } from './helpers.ts';

const T0 = 1_700_000_000_000;

function paid(params = {}) {
  const g = PAID_GENESIS(params);
  const { state, result } = WorldState.fromGenesis(g);
  const store = new Map<string, Uint8Array>();
  applyToStore(store, result.writes);
  const t = new TxMaker();
  let h = 0;
  return {
    ws: state,
    t,
    store,
    /** One block at absolute block time `time` (ms). */
    at(time: number, ...txs: [string, ReturnType<typeof P.match>][]) {
      const r = run(state, ++h, txs.map(([who, p]) => t.tx(who, p)), time);
      applyToStore(store, r.writes);
      return r;
    },
    load: () => WorldState.load(storeEntries(store), { height: state.height, stateRoot: state.stateRoot, rules: rulesOf(g) }),
  };
}

describe('lease expiry (no transaction, at the start of each block)', () => {
  it('ends a lease in the first block whose time reaches its end: full cost to the owner, slots freed', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 3, ['ml'], 2)], ['alice', P.register('a')]);
    c.at(T0 + 2000, ['alice', P.match(0, 0, 'ml', 3, 0, 10)]); // cost 60, ends at T0 + 12 000
    const acme = c.ws.balanceOf(addr('acme'));
    const r1 = c.at(T0 + 11_999);
    expect(c.ws.lease(1)!.status).toBe('active');
    expect(c.ws.expiredInLastBlock).toEqual([]);
    // nothing but the proposer's liveness record (docs/GOVERNANCE.md, prefix 0x0a)
    expect(r1.writes.filter((w) => w.key[0] !== 0x0a)).toHaveLength(0);
    c.at(T0 + 12_000);
    expect(c.ws.expiredInLastBlock).toEqual([1]);
    expect(c.ws.lease(1)).toMatchObject({ status: 'expired', endedAt: 4, paid: 60, refund: 0 });
    expect(c.ws.balanceOf(addr('acme'))).toBe(acme + 60);
    expect(c.ws.edgeNode('en')).toMatchObject({ used: 0, activeLeases: 0 });
    expect(c.ws.activeLeasesOfDevice(addr('alice'))).toBe(0);
  });

  it('expiry runs before the txs: the capacity it frees is matchable in the same block', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 2, ['ml'], 1)], ['alice', P.register('a')], ['proxy', P.transfer('bob', 50)]);
    c.at(T0 + 2000, ['bob', P.register('b')], ['alice', P.match(0, 0, 'ml', 2, 0, 5)]);
    const full = c.at(T0 + 3000, ['bob', P.match(0, 0, 'ml', 1, 0, 5)]);
    expect(full.receipts[0].status).toBe(S.NO_CANDIDATE);
    const r = c.at(T0 + 7000, ['bob', P.match(0, 0, 'ml', 2, 0, 5)]);
    expect(c.ws.expiredInLastBlock).toEqual([1]);
    expect(r.receipts[0].status).toBe(S.OK);
  });

  it('many leases: earliest end first (ties by id), exactly the due ones, each once', () => {
    const c = paid({ maxLeasesPerDevice: 100 });
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 1000, ['ml'], 1)], ['alice', P.register('a')]);
    const ds = [5, 3, 9, 3, 7, 1, 20];
    c.at(T0 + 2000, ...ds.map((d) => ['alice', P.match(0, 0, 'ml', 1, 0, d)] as [string, ReturnType<typeof P.match>]));
    c.at(T0 + 2000 + 5000);
    expect(c.ws.expiredInLastBlock).toEqual([6, 2, 4, 1]); // ends 1 s, 3 s (ids 2, 4), 5 s
    expect(c.ws.edgeNode('en')!.used).toBe(3);
    c.at(T0 + 2000 + 9000);
    expect(c.ws.expiredInLastBlock).toEqual([5, 3]);
    c.at(T0 + 2000 + 100_000);
    expect(c.ws.expiredInLastBlock).toEqual([7]);
    expect(c.ws.edgeNode('en')!.used).toBe(0);
    expect(c.ws.supply().leaseEscrow).toBe(0);
  });

  it('a reverted block brings the expired leases back, and they expire again in its replacement', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 3, ['ml'], 2)], ['alice', P.register('a')]);
    c.at(T0 + 2000, ['alice', P.match(0, 0, 'ml', 1, 0, 1)]);
    const root = c.ws.stateRoot;
    const x = c.ws.execute({ height: 3, timestamp: T0 + 5000, proposer: addr('proxy') }, []);
    expect(x.ok && x.value.writes.length).toBeGreaterThan(0);
    c.ws.revert();
    expect(c.ws.stateRoot).toEqual(root);
    expect(c.ws.edgeNode('en')!.used).toBe(1);
    c.at(T0 + 5000);
    expect(c.ws.lease(1)!.status).toBe('expired');
    expect(c.ws.edgeNode('en')!.used).toBe(0);
  });

  it('a state loaded from stored entries rebuilds the expiry queue', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 3, ['ml'], 2)], ['alice', P.register('a')]);
    c.at(T0 + 2000, ['alice', P.match(0, 0, 'ml', 1, 0, 4)], ['alice', P.match(0, 0, 'ml', 1, 0, 2)]);
    const loaded = c.load();
    const a = run(c.ws, 3, [], T0 + 5000);
    const b = run(loaded, 3, [], T0 + 5000);
    expect(c.ws.expiredInLastBlock).toEqual([2]);
    expect(loaded.expiredInLastBlock).toEqual([2]);
    expect(toHex(b.stateRoot)).toBe(toHex(a.stateRoot));
  });

  it('removing a node settles its paid leases pro rata at block time', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 3, ['ml'], 10)], ['alice', P.register('a')]);
    c.at(T0 + 2000, ['alice', P.match(0, 0, 'ml', 1, 0, 4)]); // 40
    const acme = c.ws.balanceOf(addr('acme'));
    c.at(T0 + 5000, ['acme', P.remove('en')]); // 3 s of 4 used → 30
    expect(c.ws.lease(1)).toMatchObject({ status: 'terminated', paid: 30, refund: 10 });
    expect(c.ws.balanceOf(addr('acme'))).toBe(acme + 30);
    expect(c.ws.balanceOf(addr('alice'))).toBe(70);
    c.at(T0 + 9000); // the stale queue entry of the terminated lease is dropped
    expect(c.ws.expiredInLastBlock).toEqual([]);
  });
});

describe('ended leases leave the state (docs/STATE.md "Retired rows")', () => {
  const leaseKeys = (store: Map<string, Uint8Array>) => [...store.keys()].filter((k) => k.startsWith('05'));

  it('the state holds active leases only, however many ended; each ended one is archived with its final value', async () => {
    const c = paid();
    const retired = new Map<string, Uint8Array>();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 1000, ['ml'], 1)], ['alice', P.register('a')], ['proxy', P.transfer('alice', 900)]);
    let time = T0 + 2000;
    let made = 0;
    let active = 0;
    let lastRetired = 0;
    for (let b = 0; b < 100; b++, time += 1000) {
      // two 3-second leases per block; every third block releases the newest at once (same block: made and ended)
      const txs: [string, ReturnType<typeof P.match>][] = [['alice', P.match(0, 0, 'ml', 1, 0, 3)], ['alice', P.match(0, 0, 'ml', 1, 0, 3)]];
      if (b % 3 === 0) txs.push(['alice', P.release(made + 2)]);
      const r = c.at(time, ...txs);
      expect(r.receipts.every((x) => x.status === S.OK)).toBe(true);
      made += 2;
      for (const w of r.retired) retired.set(toHex(w.key), w.value!);
      if (r.retired.length) lastRetired = Number(BigInt('0x' + toHex(r.retired[0].key).slice(2)));
      // every retired row is deleted by the same block's write set (or was never written)
      for (const w of r.retired) expect(c.store.has(toHex(w.key))).toBe(false);
      active = c.ws.activeLeasesOfDevice(addr('alice'));
      expect(leaseKeys(c.store)).toHaveLength(active);
    }
    expect(active).toBeGreaterThan(0);
    expect(active).toBeLessThanOrEqual(6);
    expect(retired.size).toBe(made - active);
    const statuses = new Set([...retired.keys()].map((k) => c.ws.leaseOfStored(Number(BigInt('0x' + k.slice(2))), retired.get(k)!)!.status));
    expect([...statuses].sort()).toEqual(['expired', 'released']);
    // the supply is whole: nothing locked in a lease that left the state
    expect(c.ws.supply().leaseEscrow).toBe(active * 3);
    // a lease ended in the last 64 blocks still answers from memory; an older one only from the archive
    expect(c.ws.lease(lastRetired)).toMatchObject({ id: lastRetired, status: expect.stringMatching(/expired|released/) });
    expect(c.ws.lease(1)).toBeNull();
    const read = async (key: Uint8Array) => retired.get(toHex(key));
    expect(await c.ws.archivedLease(1, read)).toMatchObject({ id: 1, status: 'expired', device: addr('alice'), paid: 3, refund: 0 });
    expect(await c.ws.archivedLease(2, read)).toMatchObject({ id: 2, status: 'released', paid: 0, refund: 3 });
    expect(await c.ws.archivedLease(made + 1, read)).toBeNull();
    // a restarted node (state loaded from its entries) has the same root and the same active leases
    const loaded = c.load();
    expect(toHex(loaded.stateRoot)).toBe(toHex(c.ws.stateRoot));
    expect(loaded.activeLeasesOfDevice(addr('alice'))).toBe(active);
  });

  it('acting on a lease that ended in an earlier block: "has ended" (LEASE_NOT_ACTIVE); an id never made: UNKNOWN_LEASE', () => {
    const c = paid();
    c.at(T0 + 1000, ['acme', P.add('en', 0, 0, 3, ['ml'], 1)], ['alice', P.register('a')]);
    c.at(T0 + 2000, ['alice', P.match(0, 0, 'ml', 1, 0, 10)]);
    const same = c.at(T0 + 3000, ['alice', P.release(1)], ['alice', P.release(1)], ['alice', P.renew(1, 5)]);
    // in the block that ended it the row is still there, with its status
    expect(same.receipts.map((r) => [r.status, r.reason])).toEqual([
      [S.OK, ''],
      [S.LEASE_NOT_ACTIVE, 'lease 1 is released'],
      [S.LEASE_NOT_ACTIVE, 'lease 1 is released'],
    ]);
    expect(same.retired.map((w) => toHex(w.key))).toHaveLength(1);
    const later = c.at(T0 + 4000, ['alice', P.release(1)], ['alice', P.renew(1, 5)], ['alice', P.release(2)]);
    expect(later.receipts.map((r) => [r.status, r.reason])).toEqual([
      [S.LEASE_NOT_ACTIVE, 'lease 1 has ended'],
      [S.LEASE_NOT_ACTIVE, 'lease 1 has ended'],
      [S.UNKNOWN_LEASE, 'unknown lease 2'],
    ]);
  });
});
