import { describe, it, expect, afterAll } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { mkdtempSync, statSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  sha256, sha256Noble, sign, verify, noble, keyPairFromSecret, keyPairFromLabel, generateKeyPair,
  addressOf, parseAddress, merkleRoot, writeKeyFile, readKeyFile, parseKeyFile, unsafeKeyFileMode, DEMO_KEY_NOTE,
} from '../../src/crypto/index.ts';
import { sha256Bin } from '../../src/crypto/hash.ts';
import * as nobleBackend from '../../src/crypto/backend-noble.ts';
import { binaryToBytes, binaryToHex, bytesToBinary, toHex, utf8, concatBytes, writeBinary } from '../../src/util/bytes.ts';
import { txId } from '../../src/chain/tx.ts';
import { EdgeError } from '../../src/util/errors.ts';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('hashing', () => {
  it('node:crypto and noble SHA-256 agree', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (d) => toHex(sha256(d)) === toHex(sha256Noble(d))));
  });
  it('the binary-string digest (both backends) is the digest, one char per byte; it round-trips through bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(8), (d, off) => {
        const s = sha256Bin(d);
        expect(s).toHaveLength(32);
        expect(nobleBackend.sha256Binary(d)).toBe(s);
        expect(toHex(binaryToBytes(s))).toBe(toHex(sha256(d)));
        expect(bytesToBinary(binaryToBytes(s))).toBe(s);
        expect(toHex(binaryToBytes(bytesToBinary(d)))).toBe(toHex(d));
        const buf = new Uint8Array(40);
        writeBinary(buf, s, off);
        expect(toHex(buf.subarray(off, off + 32))).toBe(toHex(sha256(d)));
      }),
    );
  });
  it('addresses and tx ids computed from binary digests equal the byte-digest definitions', () => {
    fc.assert(
      fc.property(bytes32, fc.uint8Array({ maxLength: 400 }), (pk, bytes) => {
        expect(addressOf(pk)).toBe(toHex(sha256Noble(pk).subarray(0, 20), true));
        const id = txId(bytes);
        expect(toHex(id.hash)).toBe(toHex(sha256Noble(bytes)));
        expect(id.hashHex).toBe(toHex(sha256Noble(bytes), true));
        expect(binaryToHex(sha256Bin(bytes))).toBe(toHex(sha256Noble(bytes)));
      }),
    );
  });
  it('keeps no native memory per retained digest (docs/PERFORMANCE.md "Memory: the soak")', () => {
    // A digest wrapping the Buffer node:crypto returns holds a native backing store (counted
    // in memoryUsage().arrayBuffers) as long as it lives; a 32-byte Uint8Array of its own
    // lives inside the V8 heap. 20,000 retained digests: ≥ 640 KB of backing stores before.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const kept: Uint8Array[] = [];
    for (let i = 0; i < 20_000; i++) kept.push(i & 1 ? sha256(utf8(String(i))) : sha256(utf8('a'), utf8(String(i))));
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(20_000 * 32 / 4);
    expect(kept[7].length).toBe(32);
    expect(kept.every((d) => d.constructor === Uint8Array && d.byteOffset === 0)).toBe(true);
  });
  it('hashes the concatenation of its parts', () => {
    expect(toHex(sha256(utf8('ab'), utf8('c')))).toBe(toHex(sha256(utf8('abc'))));
    expect(toHex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('ed25519: node:crypto and @noble/curves agree', () => {
  it('on public keys derived from the same seed', () => {
    fc.assert(fc.property(bytes32, (seed) => toHex(keyPairFromSecret(seed).publicKey) === toHex(noble.publicKey(seed))), { numRuns: 100 });
  });
  it('noble verifies OpenSSL signatures and OpenSSL verifies noble signatures (identical bytes)', () => {
    fc.assert(
      fc.property(bytes32, fc.uint8Array({ maxLength: 200 }), (seed, msg) => {
        const kp = keyPairFromSecret(seed);
        const a = sign(msg, kp.secretKey);
        const b = noble.sign(msg, kp.secretKey);
        return toHex(a) === toHex(b) && noble.verify(a, msg, kp.publicKey) && verify(b, msg, kp.publicKey);
      }),
      { numRuns: 100 },
    );
  });
  it('both reject a tampered message, signature or key', () => {
    const kp = keyPairFromLabel('alice');
    const other = keyPairFromLabel('bob');
    const msg = utf8('pay 10');
    const sig = sign(msg, kp.secretKey);
    const badSig = new Uint8Array(sig);
    badSig[5] ^= 1;
    for (const v of [verify, noble.verify]) {
      expect(v(sig, msg, kp.publicKey)).toBe(true);
      expect(v(sig, utf8('pay 11'), kp.publicKey)).toBe(false);
      expect(v(badSig, msg, kp.publicKey)).toBe(false);
      expect(v(sig, msg, other.publicKey)).toBe(false);
    }
  });
  it('verify never throws on malformed keys or signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), (sig, pub) => {
        expect(verify(sig, utf8('m'), pub)).toBe(false);
        return true;
      }),
    );
    // an all-zero (invalid point) key of the right length
    expect(verify(new Uint8Array(64), utf8('m'), new Uint8Array(32))).toBe(false);
  });
});

describe('addresses', () => {
  it('is 0x + first 20 bytes of SHA-256(public key)', () => {
    const kp = generateKeyPair();
    expect(kp.address).toBe('0x' + toHex(sha256(kp.publicKey)).slice(0, 40));
    expect(addressOf(kp.publicKey)).toMatch(/^0x[0-9a-f]{40}$/);
  });
  it('parses and normalises', () => {
    expect(parseAddress('0xABCDEF0123456789abcdef0123456789ABCDEF01')).toBe('0xabcdef0123456789abcdef0123456789abcdef01');
    expect(parseAddress('abcdef0123456789abcdef0123456789abcdef01')).toBe('0xabcdef0123456789abcdef0123456789abcdef01');
    expect(parseAddress('0x1234')).toBeNull();
    expect(parseAddress('0xzzcdef0123456789abcdef0123456789abcdef01')).toBeNull();
  });
});

describe('merkle root', () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => sha256(utf8('tx' + i)));
  const L = (d: Uint8Array) => sha256(new Uint8Array([0]), d);
  const N = (a: Uint8Array, b: Uint8Array) => sha256(new Uint8Array([1]), a, b);
  it('defines the empty tree as SHA-256 of nothing', () => {
    expect(toHex(merkleRoot([]))).toBe(toHex(sha256()));
  });
  it('hashes a single leaf with the leaf prefix', () => {
    const [a] = leaves(1);
    expect(toHex(merkleRoot([a]))).toBe(toHex(L(a)));
  });
  it('handles odd counts by splitting at the largest power of two (no duplication)', () => {
    const [a, b, c] = leaves(3);
    expect(toHex(merkleRoot([a, b, c]))).toBe(toHex(N(N(L(a), L(b)), L(c))));
    expect(toHex(merkleRoot([a, b, c]))).not.toBe(toHex(merkleRoot([a, b, c, c])));
    const five = leaves(5);
    expect(toHex(merkleRoot(five))).toBe(toHex(N(merkleRoot(five.slice(0, 4)), L(five[4]))));
  });
  it('changes when any leaf or the order changes', () => {
    const ls = leaves(7);
    const root = toHex(merkleRoot(ls));
    const swapped = [...ls];
    [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    expect(toHex(merkleRoot(swapped))).not.toBe(root);
    expect(toHex(merkleRoot(ls.slice(0, 6)))).not.toBe(root);
  });
  it('separates leaves from inner nodes (a leaf equal to an inner hash does not collide)', () => {
    const [a, b] = leaves(2);
    const inner = concatBytes(L(a), L(b));
    expect(toHex(merkleRoot([a, b]))).not.toBe(toHex(merkleRoot([sha256(inner)])));
  });
});

describe('key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgechain-keys-'));
  it('writes JSON with mode 0600 and reads it back', () => {
    const kp = generateKeyPair();
    const p = join(dir, 'k.json');
    writeKeyFile(p, kp, 'test');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const back = readKeyFile(p);
    expect(back.address).toBe(kp.address);
    expect(toHex(back.publicKey)).toBe(toHex(kp.publicKey));
  });
  it('keygen --force over an existing 0644 file leaves the new secret at 0600', () => {
    const p = join(dir, 'old.json');
    writeFileSync(p, 'old secret', { mode: 0o644 });
    chmodSync(p, 0o644);
    writeKeyFile(p, generateKeyPair());
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
  it('refuses to load a secret the group or others can read, naming the fix (as ssh does)', () => {
    const kp = generateKeyPair();
    for (const [mode, who] of [[0o644, /its group and others/], [0o640, /its group \(/], [0o604, /by others/], [0o660, /its group/]] as const) {
      const p = join(dir, `open-${mode.toString(8)}.json`);
      writeKeyFile(p, kp);
      chmodSync(p, mode);
      expect(() => readKeyFile(p)).toThrow(who);
      expect(() => readKeyFile(p)).toThrow(`run: chmod 600 ${p}`);
      chmodSync(p, 0o600);
      expect(readKeyFile(p).address).toBe(kp.address);
    }
    expect(unsafeKeyFileMode("/k's.json", 0o100644)).toMatch(/chmod 600 '\/k'\\''s\.json'$/);
    expect(unsafeKeyFileMode('/k.json', 0o100400)).toBeNull();
  });
  it('the public demo keys of the repository load at any mode (their secret is no secret)', () => {
    const p = join(dir, 'demo.json');
    writeKeyFile(p, keyPairFromLabel('demo'), DEMO_KEY_NOTE);
    chmodSync(p, 0o644);
    expect(readKeyFile(p).address).toBe(keyPairFromLabel('demo').address);
  });
  it('refuses malformed files with a clear error', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[]', /"type"/],
      ['{"type":"ed25519","secretKey":"abcd"}', /secretKey/],
      [JSON.stringify({ type: 'ed25519', secretKey: toHex(keyPairFromLabel('x').secretKey), publicKey: toHex(keyPairFromLabel('y').publicKey) }), /publicKey/],
      [JSON.stringify({ type: 'ed25519', secretKey: toHex(keyPairFromLabel('x').secretKey), address: keyPairFromLabel('y').address }), /address/],
    ];
    for (const [text, re] of cases) {
      expect(() => parseKeyFile(text)).toThrow(re);
      try {
        parseKeyFile(text);
      } catch (e) {
        expect(e).toBeInstanceOf(EdgeError);
        expect((e as EdgeError).code).toBe('KEYFILE_MALFORMED');
      }
    }
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"type":', { mode: 0o600 });
    expect(() => readKeyFile(p)).toThrow(/not JSON/);
    expect(() => readKeyFile(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
