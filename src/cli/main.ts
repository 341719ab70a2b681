import { generateKeyPair, writeKeyFile, readKeyFile } from '../crypto/index.ts';
import { toHex } from '../util/bytes.ts';
import { EdgeError } from '../util/errors.ts';
import { existsSync } from 'node:fs';

const USAGE = `usage: edgechain <command> [options]

commands:
  keygen --out <file> [--force]   write a new Ed25519 key file (JSON, mode 0600)
  address --key <file>            print the address and public key of a key file
  help                            this text

options:
  --json                          machine-readable output`;

type Flags = Record<string, string | true>;

function parseArgs(argv: string[]): { cmd: string; flags: Flags } {
  const [cmd = 'help', ...rest] = argv;
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new EdgeError('CLI_BAD_ARGS', `unexpected argument "${a}"`);
    const name = a.slice(2);
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags[name] = next;
      i++;
    } else flags[name] = true;
  }
  return { cmd, flags };
}

function need(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || !v) throw new EdgeError('CLI_BAD_ARGS', `--${name} <value> is required`);
  return v;
}

function main(argv: string[]): void {
  const { cmd, flags } = parseArgs(argv);
  const json = flags.json === true;
  const out = (human: string, obj: unknown) => console.log(json ? JSON.stringify(obj) : human);
  switch (cmd) {
    case 'keygen': {
      const path = need(flags, 'out');
      if (existsSync(path) && flags.force !== true) throw new EdgeError('CLI_FILE_EXISTS', `${path} exists (use --force to overwrite)`);
      const kp = generateKeyPair();
      writeKeyFile(path, kp);
      out(`wrote ${path}\naddress    ${kp.address}\npublic key ${toHex(kp.publicKey)}`, { path, address: kp.address, publicKey: toHex(kp.publicKey) });
      return;
    }
    case 'address': {
      const kp = readKeyFile(need(flags, 'key'));
      out(`address    ${kp.address}\npublic key ${toHex(kp.publicKey)}`, { address: kp.address, publicKey: toHex(kp.publicKey) });
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new EdgeError('CLI_UNKNOWN_COMMAND', `unknown command "${cmd}" (try: edgechain help)`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  const msg = e instanceof EdgeError ? e.message : (e as Error).message;
  console.error(`edgechain: ${msg}`);
  process.exitCode = 1;
}
