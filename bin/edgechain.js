#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
// The `edgechain` command. In a checkout it runs the TypeScript sources by Node's type
// stripping (on by default from Node 22.18 / 23.6; through npm/npx the pinned Node 24 from
// devDependencies is first on PATH); an installed package (npm pack, no src/) runs the built
// JavaScript in dist/. A Node that cannot run the sources gets one clear line, not a loader
// stack trace. This file stays plain JavaScript (no static import of a .ts file) so the check runs first.
import { existsSync } from 'node:fs';
const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const need = '22.18.0';
const [maj, min] = process.versions.node.split('.').map(Number);
const oldNode = maj < 22 || (maj === 22 && min < 18) || (maj === 23 && min < 6);
if (oldNode || (fromSource && (process.features.typescript === false || process.features.typescript === undefined))) {
  const why = oldNode ? `this is Node ${process.versions.node}` : `Node ${process.versions.node} runs here with type stripping turned off`;
  console.error(`edgechain: needs Node >= ${need} with type stripping to run its TypeScript sources (${why}); use Node 24 (\`npm ci\` installs it under node_modules/.bin, or install Node 24 yourself)`);
  process.exit(1);
}
const base = fromSource ? '../src/cli/' : '../dist/cli/';
const ext = fromSource ? '.ts' : '.js';
const { main } = await import(new URL(base + 'main' + ext, import.meta.url).href);
const { safeForTerminal } = await import(new URL(base + 'format' + ext, import.meta.url).href);
main(process.argv.slice(2)).catch((e) => {
  const msg = e && typeof e.code === 'string' && typeof e.message === 'string' ? e.message.replace(/^[A-Z_]+: /, '') : String(e?.message ?? e);
  console.error(safeForTerminal(`edgechain: ${msg}`));
  process.exitCode = 1;
});
