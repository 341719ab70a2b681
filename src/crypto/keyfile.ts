import { readFileSync, mkdirSync, openSync, writeSync, fchmodSync, fstatSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EdgeError } from '../util/errors.ts';
import { fromHex, toHex, equalBytes } from '../util/bytes.ts';
import { keyPairFromSecret, type KeyPair } from './keys.ts';

/**
 * Key files are JSON: {"type":"ed25519","address":"0x…","publicKey":"<hex>","secretKey":"<hex seed>"}.
 * Written with mode 0600, also when an existing file is overwritten (the mode given to open()
 * only applies to a file it creates, so the file is chmod-ed through its descriptor before the
 * secret is written). Loading refuses a secret that the group or others can read, as ssh does,
 * and names the command that fixes it; it also checks the shape and that the public key and
 * address match the secret key, so a hand-edited or truncated file fails with a clear error.
 */
export interface KeyFile {
  type: 'ed25519';
  address: string;
  publicKey: string;
  secretKey: string;
  note?: string;
}

/**
 * The note of the testnet generator's demo keys. Those are public (config/keys/ is in the
 * repository, checked out 0644), so the mode check does not apply to them; nothing else writes it.
 */
export const DEMO_KEY_NOTE = 'DEMO KEY of the edgechain testnet: public in the repository, never use it for anything of value';

function isDemoKey(text: string): boolean {
  try {
    return (JSON.parse(text) as { note?: unknown }).note === DEMO_KEY_NOTE;
  } catch {
    return false;
  }
}

export function keyFileJson(kp: KeyPair, note?: string): KeyFile {
  const f: KeyFile = { type: 'ed25519', address: kp.address, publicKey: toHex(kp.publicKey), secretKey: toHex(kp.secretKey) };
  if (note) f.note = note;
  return f;
}

export function writeKeyFile(path: string, kp: KeyPair, note?: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w', 0o600);
  try {
    if (process.platform !== 'win32') fchmodSync(fd, 0o600);
    writeSync(fd, JSON.stringify(keyFileJson(kp, note), null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
}

/** Why a key file's mode is unsafe (with the fix), or null. Windows has no such mode bits. */
export function unsafeKeyFileMode(path: string, mode: number, platform: string = process.platform): string | null {
  if (platform === 'win32' || (mode & 0o077) === 0) return null;
  const m = (mode & 0o777).toString(8).padStart(4, '0');
  return `${path} holds a secret key but is readable or writable by ${mode & 0o070 ? 'its group' : ''}${mode & 0o070 && mode & 0o007 ? ' and ' : ''}${mode & 0o007 ? 'others' : ''} (mode ${m}); run: chmod 600 ${shellQuote(path)}`;
}

function shellQuote(s: string): string {
  return /^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new EdgeError('KEYFILE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const mode = fstatSync(fd).mode;
    text = readFileSync(fd, 'utf8');
    const unsafe = unsafeKeyFileMode(path, mode);
    if (unsafe && !isDemoKey(text)) throw new EdgeError('KEYFILE_UNSAFE_MODE', unsafe);
  } catch (e) {
    if (e instanceof EdgeError) throw e;
    throw new EdgeError('KEYFILE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
  return parseKeyFile(text, path);
}
