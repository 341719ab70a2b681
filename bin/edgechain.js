#!/usr/bin/env node
// The `edgechain` command. Node >= 22.6 runs the TypeScript sources directly (type stripping);
// through npm/npx the pinned Node 24 from devDependencies is first on PATH.
import '../src/cli/main.ts';
