/**
 * Evidence on chain, end to end on real node processes (docs/CONSENSUS.md "Evidence on
 * chain"): three honest sealers run; the fourth sealer's key is held by this test, which joins
 * the p2p network in its place (its key, its port: the gater admits it, the others dial it) and
 * gossips two PREPAREs it signed for two different blocks at the height being decided. The
 * honest engines see the equivocation, their nodes submit evidence txs on their own, one is
 * recorded, and every node answers getEvidence with that one record against company-c; the
 * other reports of the same offence are EVIDENCE_DUPLICATE receipts.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { join } from 'node:path';
import { Testnet, waitFor } from './harness.ts';
import { P2PNetwork } from '../../src/p2p/index.ts';
import { readKeyFile, sign, sha256 } from '../../src/crypto/index.ts';
import { ConsensusMessageCodec, ConsensusPayloadCodec, voteBytes } from '../../src/codec/consensus.ts';
import { fromHex, utf8 } from '../../src/util/bytes.ts';

const HONEST = ['proxy', 'company-a', 'company-b'];
const BYZ = 'company-c';

let t: Testnet;
let byz: P2PNetwork | null = null;

beforeAll(async () => {
  t = await Testnet.create({ sealers: 4, observers: 0, devices: 1, params: { viewTimeoutMs: 1000, maxViewTimeoutMs: 4000 } });
  await t.startAll(HONEST);
  for (const n of HONEST) await t.ready(n, 60_000);
}, 120_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => t?.dumpLogs(80));
});

afterAll(async () => {
  await byz?.stop().catch(() => {});
  await t?.stop();
}, 60_000);

interface EvidenceJson {
  id: number;
  sealer: string;
  sealerName: string | null;
  kind: string;
  height: number;
  view: number;
  reporter: string;
  blockHashes: string[];
}

describe('a real equivocation becomes on-chain evidence', () => {
  it('two conflicting PREPAREs gossiped by company-c are recorded once, against company-c, on every node', async () => {
    const c = t.byName(BYZ).node;
    const key = readKeyFile(join(t.dir, 'keys', 'nodes', `${BYZ}.json`));
    const sealerKeys = t.layout.nodes.filter((n) => n.role === 'sealer').map((n) => fromHex(n.publicKey)!);
    byz = await P2PNetwork.create({
      secretKey: key.secretKey,
      listen: [`/ip4/127.0.0.1/tcp/${c.p2pPort}`],
      bootstrap: HONEST.map((n) => t.byName(n).node).map((n) => `/ip4/127.0.0.1/tcp/${n.p2pPort}/p2p/${n.peerId}`),
      chainId: t.chainId,
      allowedPublicKeys: sealerKeys,
    });
    const index = t.layout.nodes.filter((n) => n.role === 'sealer').findIndex((n) => n.name === BYZ);
    const height = (await t.byName('proxy').rpc.call<number>('getBlockNumber')) + 1;
    const vote = (label: string) => {
      const blockHash = sha256(utf8(label));
      const payload = ConsensusPayloadCodec.encode({ prepare: { height, view: 0, blockHash } });
      return ConsensusMessageCodec.encode({ payload, sender: index, signature: sign(voteBytes('prepare', t.chainId, height, 0, blockHash), key.secretKey), block: new Uint8Array(0) });
    };
    const [a, b] = [vote('block A'), vote('block B')];
    // gossip both until the evidence is on chain (the mesh forms within a heartbeat; re-sends are dropped as duplicates)
    const rec = await waitFor(
      'evidence on chain',
      async () => {
        await byz!.publishConsensus(a).catch(() => 0);
        await byz!.publishConsensus(b).catch(() => 0);
        const r = await t.byName('proxy').rpc.call<{ evidence: EvidenceJson[] }>('getEvidence', [{}]);
        return r.evidence.length > 0 ? r.evidence : null;
      },
      90_000,
      1000,
    );
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ id: 1, sealer: key.address, sealerName: BYZ, kind: 'prepare', height, view: 0 });
    const hashOf = (m: Uint8Array) => {
      const e = ConsensusMessageCodec.decode(m);
      const p = e.ok ? ConsensusPayloadCodec.decode(e.value.payload) : null;
      if (!p || !p.ok) throw new Error('undecodable vote');
      return '0x' + Buffer.from(p.value.prepare!.blockHash).toString('hex');
    };
    expect([...rec[0].blockHashes].sort()).toEqual([hashOf(a), hashOf(b)].sort());
    const reporters = t.layout.nodes.filter((n) => HONEST.includes(n.name)).map((n) => readKeyFile(join(t.dir, 'keys', 'nodes', `${n.name}.json`)).address);
    expect(reporters).toContain(rec[0].reporter);

    // every honest node holds the same single record; the evidence txs: one OK, any other a duplicate
    await waitFor('every node has the record', async () => {
      for (const n of HONEST) {
        const r = await t.byName(n).rpc.call<{ evidence: EvidenceJson[] }>('getEvidence', [{ sealer: key.address }]);
        if (r.evidence.length !== 1 || r.evidence[0].id !== 1) return false;
      }
      return true;
    }, 30_000, 200);
    const txs = await t.byName('proxy').rpc.call<{ transactions: { from: string; status: number | null }[] }>('getTransactionList', [{ kind: 'evidence', limit: 100 }]);
    const statuses = txs.transactions.map((x) => x.status);
    expect(statuses.filter((s) => s === 0)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 0 && s !== 50)).toEqual([]);
    for (const x of txs.transactions) expect(reporters).toContain(x.from);
    // nobody else is accused
    for (const n of HONEST) {
      const all = await t.byName(n).rpc.call<{ total: number }>('getEvidence', [{}]);
      expect(all.total).toBe(1);
    }
  }, 180_000);
});
