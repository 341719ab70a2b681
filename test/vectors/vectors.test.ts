import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { computeVectors, runChain, txOfEachKind, vectorGenesis, POINT_PAIRS, CHAIN_ID, sealerKeys } from './vectors.ts';
import { diffVectors, EXPECTED_PATH } from './generate.ts';
import { decodeTx, decodeBlock, decodeCertificate, verifyCertificate, genesisSealerSet, genesisHash, DEFAULT_PARAMS } from '../../src/chain/index.ts';
import { GenesisCodec } from '../../src/codec/chain.ts';
import { EARTH_RADIUS_M } from '../../src/domain/geo.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, string | number>;
const hexOf = (name: string) => {
  const v = expected[name];
  if (typeof v !== 'string') throw new Error(`vector ${name} missing from expected.json`);
  return fromHex(v)!;
};

/** Independent reference: the haversine formula with Math.* (not consensus code). */
function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180e6;
  const h = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

describe('fixed test vectors (regenerate on purpose: node test/vectors/generate.ts --write)', () => {
  it('every computed vector equals expected.json', () => {
    const actual = computeVectors();
    const differ = diffVectors(expected, actual);
    const report = differ.map((n) => `${n}: expected ${JSON.stringify(expected[n])}, got ${JSON.stringify(actual[n])}`).join('\n');
    expect(differ, `vectors that differ from test/vectors/expected.json (if the change is intended: node test/vectors/generate.ts --write):\n${report}`).toEqual([]);
    expect(Object.keys(actual).length).toBeGreaterThanOrEqual(60);
  });

  it('the pinned bytes decode back to the same values through the real decoders', () => {
    const g = GenesisCodec.decode(hexOf('genesis.bytes'));
    expect(g.ok).toBe(true);
    expect(toHex(genesisHash(vectorGenesis()))).toBe(expected['genesis.hash']);
    const kinds = Object.keys(txOfEachKind());
    expect(kinds).toHaveLength(7);
    for (const kind of kinds) {
      const t = decodeTx(hexOf(`tx.${kind}.bytes`), { chainId: CHAIN_ID, maxTxBytes: DEFAULT_PARAMS.maxTxBytes });
      if (!t.ok) throw new Error(`tx.${kind}.bytes does not decode: ${t.error.message}`);
      expect(t.value.body.kind, kind).toBe(kind);
      expect(toHex(t.value.hash), `tx.${kind}.hash`).toBe(expected[`tx.${kind}.hash`]);
      expect(t.value.sender, `tx.${kind}.sender`).toBe(expected[`tx.${kind}.sender`]);
    }
    const b = decodeBlock(hexOf('block.1.bytes'), { chainId: CHAIN_ID, params: DEFAULT_PARAMS });
    if (!b.ok) throw new Error(`block.1.bytes does not decode: ${b.error.message}`);
    expect(toHex(b.value.hash)).toBe(expected['block.1.hash']);
    const c = decodeCertificate(hexOf('certificate.1.bytes'));
    if (!c.ok) throw new Error(c.error.message);
    const v = verifyCertificate(c.value, { chainId: CHAIN_ID, height: 1, blockHash: b.value.hash }, genesisSealerSet(vectorGenesis()));
    expect(v.ok).toBe(true);
    expect(sealerKeys()).toHaveLength(4);
  });

  it('the 30-block workload exercises every tx kind, successes and failures', () => {
    const run = runChain();
    expect(run.chain).toHaveLength(31);
    for (const kind of ['registerDevice', 'addNode', 'updateNode', 'removeNode', 'edgeMatch', 'releaseLease', 'transfer']) {
      expect(run.okByKind[kind] ?? 0, `successful ${kind} txs`).toBeGreaterThan(0);
    }
    expect(run.failed).toBeGreaterThan(0);
  });

  it('pinned distances agree with an independent haversine within the documented 1e-9 relative', () => {
    expect(POINT_PAIRS.length).toBeGreaterThanOrEqual(10);
    for (const [name, a, b, c, d] of POINT_PAIRS) {
      const exact = expected[`distance.${name}.exact`] as number;
      const metres = expected[`distance.${name}.metres`] as number;
      const h = haversine(a, b, c, d);
      expect(Math.abs(exact - h), name).toBeLessThanOrEqual(1e-9 * h + 1e-6);
      expect(metres, name).toBe(Math.floor(exact));
      expect(Math.abs(metres - Math.floor(h)), name).toBeLessThanOrEqual(Math.abs(h - Math.round(h)) < 1e-6 ? 1 : 0);
    }
    // sanity anchors independent of any formula: half the circumference, 1° of arc
    expect(expected['distance.pole to pole.metres']).toBe(Math.floor(Math.PI * EARTH_RADIUS_M));
    expect(expected['distance.one degree of longitude on the equator.metres']).toBe(Math.floor((Math.PI / 180) * EARTH_RADIUS_M));
  });
});
