/**
 * Noise frame decoding without an exception per socket read.
 *
 * Noise's encrypted stream splits what it reads into frames with @libp2p/utils'
 * `LengthPrefixedDecoder` (a 2-byte length before each frame). That decoder reads frames until
 * the length decoder fails, and it learns that the buffer is used up by catching the
 * `RangeError` the length decoder throws on an empty buffer: one Error, stack trace and all,
 * for every chunk a socket delivers. In a sealer's CPU profile at 25 tx/s that throw was
 * 5.1 % of its busy time, 1.6 % at 300 tx/s (docs/PERFORMANCE.md, "Round 7").
 *
 * The encrypter is wrapped, not patched (as `coalesce.ts` wraps the transport): each stream
 * Noise returns gets a length decoder that answers 0 for an empty buffer. A length of 0 needs
 * `encodingLength(0)` bytes (2 for Noise) that an empty buffer does not have, so the decoder
 * stops there without a throw; any other input goes to Noise's own length decoder unchanged,
 * so frames, errors and limits are what they were. A stream that does not look as expected
 * (another Noise version) is left alone.
 */

import { interceptMethods, type Method } from './intercept.ts';

interface FrameDecoder {
  lengthDecoder: (data: { byteLength: number }) => number;
  encodingLength: (length: number) => number;
}

const GUARDED = Symbol('edgechain.quietDecoder');

/** Gives `decoder` a length decoder that does not throw on an empty buffer; false if it is not a decoder this applies to. */
export function quietLengthDecoder(decoder: unknown): boolean {
  const d = decoder as Partial<FrameDecoder> & { [GUARDED]?: true };
  if (!d || typeof d.lengthDecoder !== 'function' || typeof d.encodingLength !== 'function') return false;
  if (d[GUARDED]) return true;
  // a length of 0 must need at least one byte, or the decoder would yield empty frames forever
  if (!(d.encodingLength(0) >= 1)) return false;
  const inner = d.lengthDecoder;
  d.lengthDecoder = (data) => (data.byteLength === 0 ? 0 : inner(data));
  d[GUARDED] = true;
  return true;
}

let guarded = 0;

/** Streams whose frame decoder was made quiet since start (tests check the wrapper found them). */
export function quietDecoderCount(): number {
  return guarded;
}

/** What Noise's secureInbound/secureOutbound resolve to: the encrypted stream is `connection`. */
type Secured = { connection?: { decoder?: unknown } } | undefined;

/** A secure upgrade whose stream then decodes frames quietly. */
const quietly = (secure: Method): Method => async (...args) => {
  const r = (await secure(...args)) as Secured;
  if (quietLengthDecoder(r?.connection?.decoder)) guarded++;
  return r;
};

/** Wraps a connection encrypter factory (`noise()`) so every stream it secures decodes frames quietly. */
export function withQuietFrameDecoder<C, T extends object>(factory: (components: C) => T): (components: C) => T {
  return (components: C) => interceptMethods(factory(components), { secureInbound: quietly, secureOutbound: quietly });
}
