import { EdgeError } from '../util/errors.ts';

export type Flags = Record<string, string | true>;

/** Flags that never take a value. */
const BOOLEAN_FLAGS = new Set(['json', 'no-wait', 'force', 'offline', 'help', 'reject']);

export interface ParsedArgs {
  positionals: string[];
  flags: Flags;
}

/** `a b --x 1 --y --z=2` → positionals [a, b], flags {x: '1', y: true, z: '2'}. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!name) throw new EdgeError('CLI_BAD_ARGS', `bad flag "${a}"`);
      if (eq > 0) flags[name] = a.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = true;
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new EdgeError('CLI_BAD_ARGS', `--${name} needs a value`);
        flags[name] = next;
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export class Args {
  readonly positionals: string[];
  readonly flags: Flags;
  private readonly used = new Set<string>();

  constructor(p: ParsedArgs) {
    this.positionals = p.positionals;
    this.flags = p.flags;
  }

  has(name: string): boolean {
    this.used.add(name);
    return this.flags[name] !== undefined;
  }

  str(name: string, def?: string): string {
    this.used.add(name);
    const v = this.flags[name];
    if (v === undefined) {
      if (def !== undefined) return def;
      throw new EdgeError('CLI_BAD_ARGS', `--${name} <value> is required`);
    }
    if (v === true) throw new EdgeError('CLI_BAD_ARGS', `--${name} needs a value`);
    return v;
  }

  /** A non-negative safe integer. */
  int(name: string, def?: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const s = this.str(name, def === undefined ? undefined : String(def));
    if (!/^\d+$/.test(s)) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be a whole number, got "${s}"`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be between ${min} and ${max}`);
    return n;
  }

  /** Degrees as a decimal string → integer micro-degrees. */
  degrees(name: string, maxAbs: number): number {
    const s = this.str(name);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be decimal degrees, got "${s}"`);
    const deg = Number(s);
    if (Math.abs(deg) > maxAbs) throw new EdgeError('CLI_BAD_ARGS', `--${name} must be within ±${maxAbs} degrees`);
    return Math.round(deg * 1e6);
  }

  list(name: string): string[] {
    const items = this.str(name).split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new EdgeError('CLI_BAD_ARGS', `--${name} needs at least one item`);
    return items;
  }

  /** Refuses flags the command does not know (typos must not be silently ignored). */
  rejectUnknown(extra: string[] = []): void {
    for (const name of Object.keys(this.flags)) {
      if (!this.used.has(name) && !extra.includes(name)) throw new EdgeError('CLI_BAD_ARGS', `unknown option --${name}`);
    }
  }
}
