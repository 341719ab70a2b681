/**
 * Builds the installable package's JavaScript (`npm run build`; `npm pack` runs it as
 * `prepack`): tsc emits src/ as JS + .d.ts into dist/ (relative `.ts` imports rewritten to
 * `.js`), the crypto backend import is pointed at dist (package.json `imports`:
 * `#crypto-backend-dist`, OpenSSL in Node, noble under the browser condition), and the
 * explorer's static files are copied. Tests, bench and scripts are not part of it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

export function buildPackage(): void {
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  for (const f of walk(dist)) {
    if (!f.endsWith('.js') && !f.endsWith('.d.ts')) continue;
    const text = readFileSync(f, 'utf8');
    if (text.includes("'#crypto-backend'")) writeFileSync(f, text.replaceAll("'#crypto-backend'", "'#crypto-backend-dist'"));
  }
  cpSync(join(root, 'src', 'rpc', 'explorer'), join(dist, 'rpc', 'explorer'), { recursive: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildPackage();
  console.log('built dist/');
}
