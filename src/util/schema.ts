import type { z } from 'zod';

/**
 * Turning schema (zod) issues into one clear line per problem: the dotted path, what is wrong,
 * and for an unknown key the nearest known one ("p2p.listne: not an option; did you mean
 * p2p.listen?"), also across levels ("bootstrap" → "p2p.bootstrap", "logLevel" → "log.level").
 */

type Def = { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } }; element?: { _zod: { def: Def } } };

function unwrap(def: Def): Def {
  while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'nonoptional') && def.innerType) def = def.innerType._zod.def;
  return def;
}

/** The object definition at a path of an input (array indexes pass through arrays). */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[]): Def | null {
  let def = unwrap((schema as unknown as { _zod: { def: Def } })._zod.def);
  for (const seg of path) {
    if (def.type === 'array' && def.element && typeof seg === 'number') def = unwrap(def.element._zod.def);
    else if (def.type === 'object' && def.shape && typeof seg === 'string' && def.shape[seg]) def = unwrap(def.shape[seg]._zod.def);
    else return null;
  }
  return def.type === 'object' ? def : null;
}

/** Every key path below an object definition, as dotted strings relative to it (depth-limited). */
function keyPaths(def: Def, prefix = '', depth = 3): string[] {
  if (depth === 0 || def.type !== 'object' || !def.shape) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(def.shape)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p, ...keyPaths(unwrap(v._zod.def), p, depth - 1));
  }
  return out;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return prev[b.length];
}

/** The known key path nearest to an unknown key, or null when nothing is close. */
export function suggestKey(unknown: string, candidates: string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[._-]/g, '');
  const limit = Math.max(2, Math.floor(unknown.length / 3));
  const u = unknown.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const last = c.split('.').at(-1)!.toLowerCase();
    // a nested key matched by its own name costs one more than a key of this level
    let d = Math.min(editDistance(norm(unknown), norm(c)), editDistance(u, last) + (c.includes('.') ? 1 : 0));
    // an abbreviation ("cors" → corsOrigins, "pubkey" → publicKey) is as good as the worst typo
    if (d > limit && u.length >= 3 && isSubsequence(u, last)) d = limit;
    // …and the start of a longer key is better still
    if (u.length >= 3 && last.startsWith(u)) d = Math.min(d, 1);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== null && bestD <= limit ? best : null;
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length && short[0] === long[0];
}

const show = (path: readonly PropertyKey[]) => path.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${String(seg)}` : String(seg)), '');

/** One line per problem, each starting with its dotted path. */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const i of issues) {
    const at = show(i.path);
    if (i.code === 'unrecognized_keys') {
      const obj = objectAt(schema, i.path);
      const candidates = obj ? keyPaths(obj) : [];
      for (const k of i.keys) {
        const s = suggestKey(k, candidates);
        const full = at ? `${at}.${k}` : k;
        out.push(`${full}: not an option${s ? `; did you mean ${at ? `${at}.${s}` : s}?` : ''}${obj?.shape ? ` (known here: ${Object.keys(obj.shape).join(', ')})` : ''}`);
      }
    } else if (i.code === 'invalid_type') {
      const got = i.input === undefined ? 'nothing' : Array.isArray(i.input) ? 'an array' : i.input === null ? 'null' : typeof i.input;
      const want = i.expected === 'int' ? 'an integer' : i.expected;
      out.push(`${at || '(top level)'}: ${i.input === undefined ? 'required' : `expected ${want}, got ${i.expected === 'int' && typeof i.input === 'number' ? i.input : got}`}`);
    } else {
      out.push(`${at || '(top level)'}: ${i.message}`);
    }
  }
  return out;
}
