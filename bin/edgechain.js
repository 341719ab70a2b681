#!/usr/bin/env -S node --max-semi-space-size=4
// The `edgechain` command. Node >= 22.6 runs the TypeScript sources directly (type stripping);
// through npm/npx the pinned Node 24 from devDependencies is first on PATH.
import { main } from '../src/cli/main.ts';

main(process.argv.slice(2)).catch((e) => {
  const msg = e && typeof e.code === 'string' && typeof e.message === 'string' ? e.message.replace(/^[A-Z_]+: /, '') : String(e?.message ?? e);
  console.error(`edgechain: ${msg}`);
  process.exitCode = 1;
});
