import { describe, it, expect, afterEach } from 'vitest';
import { LengthPrefixedDecoder } from '@libp2p/utils';
import { quietLengthDecoder, quietDecoderCount } from '../../src/p2p/quiet-decoder.ts';
import { Prng } from '../sim/prng.ts';
import { testKeys, startNode, stopAll, waitFor, addr } from './helpers.ts';

afterEach(stopAll);

/** A 2-byte big-endian length, as Noise frames its messages: a RangeError on fewer than 2 bytes (as Noise's). */
function uint16Length(calls: { empty: number; all: number }) {
  // the decoder hands it its buffer (a Uint8ArrayList of libp2p's): byteLength and getUint16 are all it needs
  return (data: Uint8Array | { byteLength: number; getUint16(at: number): number }): number => {
    calls.all++;
    if (data.byteLength === 0) calls.empty++;
    if (data.byteLength < 2) throw new RangeError('Could not decode int16BE');
    return data instanceof Uint8Array ? (data[0] << 8) | data[1] : data.getUint16(0);
  };
}

function noiseLikeDecoder(calls: { empty: number; all: number }): LengthPrefixedDecoder {
  return new LengthPrefixedDecoder({ lengthDecoder: uint16Length(calls), encodingLength: () => 2, maxBufferSize: 16 * 1024 * 1024 });
}

/** Frames of random sizes (0 to 600 bytes, some empty), each behind its 2-byte length, as one byte string. */
function framed(r: Prng, n: number): { frames: Uint8Array[]; wire: Uint8Array } {
  const frames = Array.from({ length: n }, () => r.bytes(r.chance(0.1) ? 0 : r.int(1, 600)));
  const wire = new Uint8Array(frames.reduce((a, f) => a + 2 + f.length, 0));
  let at = 0;
  for (const f of frames) {
    wire[at] = f.length >> 8;
    wire[at + 1] = f.length & 0xff;
    wire.set(f, at + 2);
    at += 2 + f.length;
  }
  return { frames, wire };
}

/**
 * Feeds `wire` as a socket delivers it: mostly whole frames (1-3 per read, as each write is
 * whole frames), a fifth of the reads cut at a random byte (1 byte at times, so a length is
 * split too); returns the frames decoded.
 */
function decodeAll(d: LengthPrefixedDecoder, wire: Uint8Array, r: Prng): { frames: Uint8Array[]; reads: number } {
  const out: Uint8Array[] = [];
  // where each frame ends
  const ends: number[] = [];
  for (let at = 0; at < wire.length; ) ends.push((at += 2 + ((wire[at] << 8) | wire[at + 1])));
  let reads = 0;
  for (let at = 0; at < wire.length; reads++) {
    let n: number;
    if (r.chance(0.2)) n = r.chance(0.3) ? 1 : r.int(1, 1000);
    else {
      // up to the k-th frame boundary after `at`
      const next = ends.findIndex((e) => e > at);
      n = ends[Math.min(ends.length - 1, next + r.int(0, 2))] - at;
    }
    for (const f of d.decode(wire.subarray(at, at + n))) out.push(f.subarray());
    at += n;
  }
  return { frames: out, reads };
}

describe('Noise frames decoded without an exception per read', () => {
  it('gives the same frames as the decoder it wraps, whatever the read boundaries, and never asks its length decoder about an empty buffer', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const { frames, wire } = framed(new Prng(seed), 100);
      const plain = { empty: 0, all: 0 };
      const quiet = { empty: 0, all: 0 };
      const a = noiseLikeDecoder(plain);
      const b = noiseLikeDecoder(quiet);
      expect(quietLengthDecoder(b)).toBe(true);
      const ra = decodeAll(a, wire, new Prng(1000 + seed));
      const rb = decodeAll(b, wire, new Prng(1000 + seed));
      // empty frames are not yielded by the decoder (either way)
      const nonEmpty = frames.filter((f) => f.length > 0);
      expect(ra.frames).toEqual(nonEmpty);
      expect(rb.frames).toEqual(nonEmpty);
      // the plain decoder throws on an empty buffer at the end of (nearly) every read; the quiet one never asks
      expect(plain.empty).toBeGreaterThan(ra.reads / 2);
      expect(quiet.empty).toBe(0);
    }
  });

  it('still refuses what the wrapped decoder refuses (a length past the limit), and leaves alone what it cannot guard', () => {
    const d = new LengthPrefixedDecoder({ lengthDecoder: uint16Length({ empty: 0, all: 0 }), encodingLength: () => 2, maxDataLength: 100 });
    expect(quietLengthDecoder(d)).toBe(true);
    expect(quietLengthDecoder(d)).toBe(true); // once only
    expect(() => [...d.decode(Uint8Array.of(0x01, 0x00, 1, 2, 3))]).toThrow(/Invalid message length/);
    // a length of 0 that needs no bytes would yield empty frames forever: not guarded
    const zero = { lengthDecoder: () => 0, encodingLength: () => 0 };
    expect(quietLengthDecoder(zero)).toBe(false);
    expect(quietLengthDecoder({})).toBe(false);
    expect(quietLengthDecoder(undefined)).toBe(false);
  });

  it('is installed on the real Noise streams of two connected nodes, both sides (gossip over them: gossip.test.ts)', async () => {
    const before = quietDecoderCount();
    const [ka, kb] = testKeys('quiet', 2);
    const a = await startNode(ka, [ka, kb]);
    const b = await startNode(kb, [ka, kb], [addr(a)]);
    await waitFor(() => a.connectedPeers().length === 1 && b.connectedPeers().length === 1, 'the two nodes to connect');
    await waitFor(() => quietDecoderCount() >= before + 2, 'both sides of the connection to have quiet decoders');
  });
});
