import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EdgeError } from '../util/errors.ts';
import { fromHex, toHex, equalBytes } from '../util/bytes.ts';
import { keyPairFromSecret, type KeyPair } from './keys.ts';

/**
 * Key files are JSON: {"type":"ed25519","address":"0x…","publicKey":"<hex>","secretKey":"<hex seed>"}.
 * Written with mode 0600. Loading checks the shape and that the public key and address
 * match the secret key, so a hand-edited or truncated file fails with a clear error.
 */
export interface KeyFile {
  type: 'ed25519';
  address: string;
  publicKey: string;
  secretKey: string;
  note?: string;
}

export function keyFileJson(kp: KeyPair, note?: string): KeyFile {
  const f: KeyFile = { type: 'ed25519', address: kp.address, publicKey: toHex(kp.publicKey), secretKey: toHex(kp.secretKey) };
  if (note) f.note = note;
  return f;
}

export function writeKeyFile(path: string, kp: KeyPair, note?: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(keyFileJson(kp, note), null, 2) + '\n', { mode: 0o600, flag: 'w' });
}

export function parseKeyFile(text: string, source = 'key file'): KeyPair {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new EdgeError('KEYFILE_MALFORMED', `${source} is not JSON`);
  }
  if (typeof j !== 'object' || j === null) throw new EdgeError('KEYFILE_MALFORMED', `${source} is not a JSON object`);
  const o = j as Record<string, unknown>;
  if (o.type !== 'ed25519') throw new EdgeError('KEYFILE_MALFORMED', `${source}: "type" must be "ed25519"`);
  const sk = typeof o.secretKey === 'string' ? fromHex(o.secretKey) : null;
  if (!sk || sk.length !== 32) throw new EdgeError('KEYFILE_MALFORMED', `${source}: "secretKey" must be 64 hex characters`);
  const kp = keyPairFromSecret(sk);
  if (o.publicKey !== undefined) {
    const pk = typeof o.publicKey === 'string' ? fromHex(o.publicKey) : null;
    if (!pk || !equalBytes(pk, kp.publicKey)) throw new EdgeError('KEYFILE_MALFORMED', `${source}: "publicKey" does not match "secretKey"`);
  }
  if (o.address !== undefined && String(o.address).toLowerCase() !== kp.address) {
    throw new EdgeError('KEYFILE_MALFORMED', `${source}: "address" does not match "secretKey"`);
  }
  return kp;
}

export function readKeyFile(path: string): KeyPair {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EdgeError('KEYFILE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseKeyFile(text, path);
}
