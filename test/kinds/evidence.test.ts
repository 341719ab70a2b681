/**
 * The evidence kind (docs/CONSENSUS.md "Evidence on chain"): two conflicting signed consensus
 * messages of one sealer, checked statelessly by decodeTx (bounds) and against the sealer set
 * of the offence's height by the state handler, recorded once per offence. Every refusal is
 * a clear reason and changes nothing but the reporter's nonce.
 */
import { describe, it, expect } from 'vitest';
import { P, S, addr, bounds, fromFlags, json, key, genesis } from './harness.ts';
import { run, rulesOf, TxMaker } from '../state/helpers.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, signedBytes, voteBytes, type ConsensusPayload } from '../../src/codec/consensus.ts';
import { sign, type KeyPair } from '../../src/crypto/keys.ts';
import { sha256 } from '../../src/crypto/hash.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import type { Genesis, TxPayload } from '../../src/codec/types.ts';
import { WorldState } from '../../src/state/index.ts';
import { EVIDENCE_MESSAGE_MAX_BYTES } from '../../src/domain/evidence.ts';

const CHAIN = 'edgechain-state-test';
const SEALERS = ['s0', 's1', 's2', 's3'];
const sealer = (i: number) => key(SEALERS[i]);

/** The standard accounts with a 4-sealer set s0..s3. */
function g4(): Genesis {
  const g = genesis({ proxy: { role: 'proxy', balance: 1000 }, alice: { role: 'user', balance: 100 } });
  return { ...g, sealers: SEALERS.map((s, i) => ({ name: s, publicKey: sealer(i).publicKey, role: i === 0 ? 'proxy' : 'company' })) };
}

const H = (label: string) => sha256(utf8(label));
type Kind = 'prePrepare' | 'prepare' | 'commit';

/** A signed consensus envelope (no attachment), as the engine sends it: votes over voteBytes, PRE-PREPAREs over the consensus domain. */
function msg(o: { kind?: Kind; height?: number; view?: number; hash: Uint8Array; sender?: number; signer?: KeyPair; chainId?: string; block?: Uint8Array; payload?: ConsensusPayload }): Uint8Array {
  const kind = o.kind ?? 'prepare';
  const height = o.height ?? 1;
  const view = o.view ?? 0;
  const sender = o.sender ?? 3;
  const signer = o.signer ?? sealer(sender);
  const payload = ConsensusPayloadCodec.encode(o.payload ?? { [kind]: { height, view, blockHash: o.hash } });
  const signBytes = kind === 'prePrepare' || o.payload ? signedBytes(payload) : voteBytes(kind, o.chainId ?? CHAIN, height, view, o.hash);
  return ConsensusMessageCodec.encode({ payload, sender, signature: sign(signBytes, signer.secretKey), block: o.block ?? new Uint8Array(0) });
}

const ev = (first: Uint8Array, second: Uint8Array): TxPayload => ({ kind: 'evidence', evidence: { first, second } });
/** Evidence of a PREPARE (or `kind`) of sealer 3 for two blocks at (h, v). */
const pair = (o: { kind?: Kind; height?: number; view?: number; sender?: number } = {}) => ev(msg({ ...o, hash: H('a') }), msg({ ...o, hash: H('b') }));

function chain(g: Genesis = g4()) {
  const ws = WorldState.fromGenesis(g).state;
  const t = new TxMaker();
  let height = 0;
  return { ws, t, block: (...txs: [string, TxPayload][]) => run(ws, ++height, txs.map(([who, p]) => t.tx(who, p))), get height() { return height; } };
}

describe('kind evidence', () => {
  it('flags → payload → bounds → JSON', () => {
    const a = msg({ hash: H('a') });
    const b = msg({ hash: H('b') });
    const p = fromFlags('evidence', '--first', toHex(a, true), '--second', toHex(b));
    expect(p.kind).toBe('evidence');
    expect(p.kind === 'evidence' && [toHex(p.evidence!.first), toHex(p.evidence!.second)]).toEqual([toHex(a), toHex(b)]);
    expect(bounds(p)).toBeNull();
    expect(json(p)).toEqual({ kind: 'prepare', height: 1, view: 0, sealerIndex: 3, blockHashes: [toHex(H('a'), true), toHex(H('b'), true)], first: toHex(a, true), second: toHex(b, true) });
    expect(() => fromFlags('evidence', '--first', 'zz', '--second', toHex(b))).toThrow(/hex/);
  });

  it('bounds: every stateless refusal has its reason (malformed, same block, two heights, views, kinds or senders, attachments, size)', () => {
    const a = msg({ hash: H('a') });
    const cases: [TxPayload, RegExp][] = [
      [ev(new Uint8Array(0), a), /first message is empty/],
      [ev(a, utf8('not a consensus message')), /second message is not a consensus message/],
      [ev(a, a.subarray(0, a.length - 3)), /second message is not a consensus message/],
      [ev(ConsensusMessageCodec.encode({ payload: utf8('junk'), sender: 3, signature: new Uint8Array(64), block: new Uint8Array(0) }), a), /first message's payload is malformed/],
      [ev(a, msg({ hash: H('a') })), /same block/],
      [ev(a, msg({ hash: H('b'), height: 2 })), /two heights \(1, 2\)/],
      [ev(a, msg({ hash: H('b'), view: 1 })), /two views \(0, 1\)/],
      [ev(a, msg({ hash: H('b'), kind: 'commit' })), /two kinds \(prepare, commit\)/],
      [ev(a, msg({ hash: H('b'), sender: 2 })), /two senders \(3, 2\)/],
      [ev(a, msg({ hash: H('b'), block: new Uint8Array(10) })), /carries a block/],
      [ev(a, new Uint8Array(EVIDENCE_MESSAGE_MAX_BYTES + 1)), /limit 512/],
      [pair({ height: 0 }), /height must be >= 1/],
      [pair({ kind: 'prePrepare', view: 2 }), /PRE-PREPARE is only sent in view 0/],
      [ev(msg({ hash: H('a'), payload: { viewChange: { height: 1, newView: 1, prepared: null } } }), msg({ hash: H('b'), payload: { viewChange: { height: 1, newView: 1, prepared: null } } })), /viewChange message is not evidence/],
    ];
    for (const [p, re] of cases) expect(bounds(p), String(re)).toMatch(re);
    expect(bounds(pair())).toBeNull();
    expect(bounds(pair({ kind: 'commit', view: 5 }))).toBeNull();
    expect(bounds(pair({ kind: 'prePrepare' }))).toBeNull();
  });

  it('records PREPARE, COMMIT and PRE-PREPARE evidence against the accused sealer, readable by sealer and by id', () => {
    const c = chain();
    c.block(['proxy', P.transfer('alice', 1)]);
    const r = c.block(['alice', pair()], ['alice', pair({ kind: 'commit', view: 1 })], ['proxy', pair({ kind: 'prePrepare', height: 2, sender: 2 })]);
    expect(r.receipts.map((x) => [x.status, x.reason])).toEqual([[S.OK, ''], [S.OK, ''], [S.OK, '']]);
    const all = c.ws.evidence();
    expect(all.map((e) => [e.id, e.sealer, e.sealerIndex, e.kind, e.height, e.view, e.reporter, e.recordedAt])).toEqual([
      [1, sealer(3).address, 3, 'prepare', 1, 0, addr('alice'), 2],
      [2, sealer(3).address, 3, 'commit', 1, 1, addr('alice'), 2],
      [3, sealer(2).address, 2, 'prePrepare', 2, 0, addr('proxy'), 2],
    ]);
    expect(all[0].blockHashes).toEqual([toHex(H('a'), true), toHex(H('b'), true)]);
    expect(all[0].sealerKey).toBe(toHex(sealer(3).publicKey, true));
    expect(c.ws.evidence(sealer(3).address).map((e) => e.id)).toEqual([1, 2]);
    expect(c.ws.evidence(sealer(0).address)).toEqual([]);
    expect(c.ws.evidenceById(3)?.kind).toBe('prePrepare');
    expect(c.ws.evidenceOf(sealer(3).address, 1, 0, 'prepare')).toBe(1);
    expect(c.ws.evidenceOf(sealer(3).address, 1, 0, 'commit')).toBeUndefined();
  });

  it('refusals against the sealer set: forged signature, another chain, non-sealer, future height, duplicate offence — each a clear failed receipt that changes nothing', () => {
    const c = chain();
    c.block(['alice', pair()]);
    const root = toHex(c.ws.stateRoot);
    const outsider = key('outsider');
    const r = c.block(
      // signed by a key that is not sealer 3's, under sealer 3's index
      ['alice', ev(msg({ hash: H('a'), view: 2 }), msg({ hash: H('b'), view: 2, signer: outsider }))],
      // both forged
      ['alice', ev(msg({ hash: H('a'), view: 3, signer: outsider }), msg({ hash: H('b'), view: 3, signer: outsider }))],
      // votes signed for another chain id
      ['alice', ev(msg({ hash: H('a'), view: 4, chainId: 'other-chain' }), msg({ hash: H('b'), view: 4, chainId: 'other-chain' }))],
      // a sender index outside the 4-sealer set
      ['alice', ev(msg({ hash: H('a'), sender: 7, signer: outsider }), msg({ hash: H('b'), sender: 7, signer: outsider }))],
      // an offence at a height above this block
      ['alice', pair({ height: 99 })],
      // the same offence again: the same pair, swapped, and another conflicting block at the same slot
      ['alice', pair()],
      ['proxy', ev(msg({ hash: H('b') }), msg({ hash: H('a') }))],
      ['proxy', ev(msg({ hash: H('a') }), msg({ hash: H('c') }))],
    );
    expect(r.receipts.map((x) => x.status)).toEqual([
      S.EVIDENCE_BAD_SIGNATURE,
      S.EVIDENCE_BAD_SIGNATURE,
      S.EVIDENCE_BAD_SIGNATURE,
      S.EVIDENCE_NOT_SEALER,
      S.EVIDENCE_FUTURE_HEIGHT,
      S.EVIDENCE_DUPLICATE,
      S.EVIDENCE_DUPLICATE,
      S.EVIDENCE_DUPLICATE,
    ]);
    expect(r.receipts[0].reason).toBe(`evidence: the signatures are not both sealer ${sealer(3).address}'s (index 3) for chain "${CHAIN}"`);
    expect(r.receipts[3].reason).toBe('sender index 7 is not a sealer at height 1 (4 sealers)');
    expect(r.receipts[4].reason).toBe("evidence for height 99, above this block's height 2");
    expect(r.receipts[5].reason).toBe(`this offence (prepare at height 1, view 0 by ${sealer(3).address}) is already recorded as evidence 1`);
    expect(c.ws.evidence().map((e) => e.id)).toEqual([1]);
    // only the two senders' nonces changed: nothing else in the state
    const c2 = chain();
    c2.block(['alice', pair()]);
    expect(toHex(c2.ws.stateRoot)).toBe(root);
    c2.block(...(Array.from({ length: 6 }, () => ['alice', P2.transferZeroNonceOnly()]) as [string, TxPayload][]), ...(Array.from({ length: 2 }, () => ['proxy', P2.transferZeroNonceOnly()]) as [string, TxPayload][]));
    expect(toHex(c2.ws.stateRoot)).toBe(toHex(c.ws.stateRoot));
  });

  it('two submissions of one offence in one block: the first records it, the second is a duplicate', () => {
    const c = chain();
    const r = c.block(['alice', pair({ kind: 'commit' })], ['proxy', pair({ kind: 'commit' })]);
    expect(r.receipts.map((x) => x.status)).toEqual([S.OK, S.EVIDENCE_DUPLICATE]);
    expect(c.ws.evidence()).toHaveLength(1);
  });

  it('a chain without a known sealer set refuses evidence (no set, no key to check)', () => {
    const g = g4();
    const ws = WorldState.load([], { height: 0, rules: { chainId: g.chainId, params: g.params } });
    const t = new TxMaker();
    const r = run(ws, 1, [t.tx('alice', pair())]);
    expect([r.receipts[0].status, r.receipts[0].reason]).toEqual([S.EVIDENCE_NOT_SEALER, 'no sealer set is known for height 1']);
  });
});

describe('evidence in the state', () => {
  it('is part of the state root, survives a reload from the write sets (duplicates still refused), and a reverted block leaves no trace', () => {
    const g = g4();
    const c = chain(g);
    const stored = new Map<string, [Uint8Array, Uint8Array]>();
    const keep = (writes: { key: Uint8Array; value: Uint8Array | null }[]) => {
      for (const w of writes) {
        if (w.value) stored.set(toHex(w.key), [w.key, w.value]);
        else stored.delete(toHex(w.key));
      }
    };
    keep(WorldState.fromGenesis(g).result.writes);
    const before = toHex(c.ws.stateRoot);
    const r1 = c.block(['alice', pair()]);
    keep(r1.writes);
    expect(r1.writes.some((w) => w.key[0] === 0x10)).toBe(true);
    expect(toHex(c.ws.stateRoot)).not.toBe(before);

    // a pending execution that is reverted: no record, no id consumed
    const t = new TxMaker();
    t.setNonce('alice', 1);
    const pending = c.ws.execute({ height: 2, timestamp: g.timestamp + 2000, proposer: addr('proxy') }, [t.tx('alice', pair({ kind: 'commit' }))]);
    expect(pending.ok && pending.value.receipts[0].status).toBe(S.OK);
    expect(c.ws.evidence()).toHaveLength(1); // queries answer from the committed state
    c.ws.revert();

    const loaded = WorldState.load(stored.values(), { height: 1, stateRoot: c.ws.stateRoot, rules: rulesOf(g) });
    expect(loaded.evidence()).toEqual(c.ws.evidence());
    const t2 = new TxMaker();
    t2.setNonce('alice', 1);
    const r2 = run(loaded, 2, [t2.tx('alice', pair()), t2.tx('alice', pair({ kind: 'commit' }))]);
    expect(r2.receipts.map((x) => x.status)).toEqual([S.EVIDENCE_DUPLICATE, S.OK]);
    expect(loaded.evidence().map((e) => [e.id, e.kind])).toEqual([[1, 'prepare'], [2, 'commit']]);
  });
});

const P2 = {
  /** A tx that only consumes its sender's nonce: a transfer of more than anyone holds (a failed receipt). */
  transferZeroNonceOnly: (): TxPayload => ({ kind: 'transfer', transfer: { to: new Uint8Array(20).fill(9), amount: 1e15 } }),
};
