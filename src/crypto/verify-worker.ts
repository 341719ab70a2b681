/**
 * Worker thread of VerifyPool (verify-pool.ts): receives packed (signature, public key,
 * message) triples, answers one verdict byte per triple. Same `verify` as the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { verify } from './keys.ts';
import { unpackItems } from './verify-pool.ts';

parentPort!.on('message', (m: { id: number; buf: ArrayBuffer }) => {
  const items = unpackItems(new Uint8Array(m.buf));
  const verdicts = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) verdicts[i] = verify(items[i].signature, items[i].message, items[i].publicKey) ? 1 : 0;
  parentPort!.postMessage({ id: m.id, verdicts }, [verdicts.buffer]);
});
