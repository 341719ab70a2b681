import { describe, expect, it } from 'vitest';
import { SignatureMemo } from '../../src/consensus/sigmemo.ts';
import { keyPairFromLabel, sign, verify } from '../../src/crypto/keys.ts';
import { utf8 } from '../../src/util/bytes.ts';

const key = keyPairFromLabel('sigmemo-test');

function counted(max: number) {
  const calls = { n: 0 };
  const memo = new SignatureMemo(max, (s, m, p) => (calls.n++, verify(s, m, p)));
  return { memo, calls };
}

describe('SignatureMemo: one verification per signed message, bounded', () => {
  it('answers a signature verified before from the memo, and only for the same message and key', () => {
    const { memo, calls } = counted(8);
    const msg = utf8('prepare 4');
    const sig = sign(msg, key.secretKey);
    expect(memo.verify(sig, msg, key.publicKey)).toBe(true);
    expect(memo.verify(sig, msg, key.publicKey)).toBe(true);
    expect(calls.n).toBe(1);
    // the same signature over another message, or under another key, is checked (and refused)
    expect(memo.verify(sig, utf8('prepare 5'), key.publicKey)).toBe(false);
    expect(memo.verify(sig, msg, keyPairFromLabel('other').publicKey)).toBe(false);
    expect(calls.n).toBe(3);
    // failures are not remembered
    expect(memo.verify(sig, utf8('prepare 5'), key.publicKey)).toBe(false);
    expect(calls.n).toBe(4);
    expect(memo.size).toBe(1);
  });

  it('never answers a signature or key of the wrong length from the memo, even when its bytes run on into a remembered message', () => {
    const { memo, calls } = counted(8);
    const msg = utf8('commit 9');
    const sig = sign(msg, key.secretKey);
    expect(memo.verify(sig, msg, key.publicKey)).toBe(true);
    // sig[0..63) ‖ (sig[63] ‖ key[0..32)) ‖ (key[32..] ‖ msg)… the concatenations line up byte for byte with a shifted split
    const shortSig = sig.subarray(0, 63);
    const shiftedKey = new Uint8Array([sig[63], ...key.publicKey.subarray(0, 31)]);
    const shiftedMsg = new Uint8Array([key.publicKey[31], ...msg]);
    expect(memo.verify(shortSig, shiftedMsg, shiftedKey)).toBe(false);
    expect(calls.n).toBe(2);
    memo.remember(shortSig, shiftedMsg, shiftedKey);
    expect(memo.size).toBe(1);
  });

  it('remember() stands for a verification done elsewhere; the oldest entry goes at the bound', () => {
    const { memo, calls } = counted(2);
    const msgs = ['a', 'b', 'c'].map((s) => utf8(s));
    const sigs = msgs.map((m) => sign(m, key.secretKey));
    memo.remember(sigs[0], msgs[0], key.publicKey);
    expect(memo.verify(sigs[0], msgs[0], key.publicKey)).toBe(true);
    expect(calls.n).toBe(0);
    memo.remember(sigs[1], msgs[1], key.publicKey);
    memo.remember(sigs[2], msgs[2], key.publicKey);
    expect(memo.size).toBe(2);
    // 'a' was evicted: checked again; 'c' is still held
    expect(memo.verify(sigs[0], msgs[0], key.publicKey)).toBe(true);
    expect(calls.n).toBe(1);
    expect(memo.verify(sigs[2], msgs[2], key.publicKey)).toBe(true);
    expect(calls.n).toBe(1);
  });
});
