/**
 * Prints, checks or rewrites the fixed test vectors (test/vectors/expected.json).
 *
 *   node test/vectors/generate.ts           # compare with expected.json, list what differs, exit 1 if anything does
 *   node test/vectors/generate.ts --write   # rewrite expected.json from the current code (on purpose only)
 *
 * Rewrite only after a change that is meant to alter a format, hash or distance (and say
 * so in the commit); see docs/CHAIN.md, "Test vectors".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { computeVectors } from './vectors.ts';

export const EXPECTED_PATH = fileURLToPath(new URL('./expected.json', import.meta.url));

/** Names of the vectors that differ between `expected` and `actual` (missing or extra on either side included). */
export function diffVectors(expected: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.filter((n) => JSON.stringify(expected[n]) !== JSON.stringify(actual[n]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const actual = computeVectors();
  if (process.argv.includes('--write')) {
    writeFileSync(EXPECTED_PATH, JSON.stringify(actual, null, 2) + '\n');
    console.log(`wrote ${Object.keys(actual).length} vectors to ${EXPECTED_PATH}`);
  } else {
    const expected = JSON.parse(readFileSync(EXPECTED_PATH, 'utf8')) as Record<string, unknown>;
    const d = diffVectors(expected, actual);
    for (const n of d) console.log(`${n}\n  expected ${JSON.stringify(expected[n])}\n  actual   ${JSON.stringify(actual[n])}`);
    console.log(d.length ? `${d.length} of ${Object.keys(actual).length} vectors differ (rewrite on purpose with --write)` : `all ${Object.keys(actual).length} vectors match`);
    process.exitCode = d.length ? 1 : 0;
  }
}
