import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RUNTIME_FLAGS } from '../../src/node/runtime-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The flags are written in three places: runtime-flags.ts (the testnet script and the e2e
// harness spawn with it), bin/edgechain.js's shebang and the Dockerfile's ENTRYPOINT. A flag
// added in one place only would make a docker or `npx edgechain` node behave unlike the tested one.
describe('node runtime flags', () => {
  it('the shebang and the Dockerfile pass every flag', () => {
    const shebang = readFileSync(join(ROOT, 'bin', 'edgechain.js'), 'utf8').split('\n')[0];
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(entry, 'Dockerfile ENTRYPOINT').not.toBeNull();
    const dockerArgs = JSON.parse(entry![1]) as string[];
    expect(NODE_RUNTIME_FLAGS.length).toBeGreaterThan(0);
    // exactly the tested nodes' flags: none missing, none extra
    expect(shebang.split(/\s+/).filter((a) => a.startsWith('--')), `shebang ${shebang}`).toEqual([...NODE_RUNTIME_FLAGS]);
    expect(dockerArgs.filter((a) => a.startsWith('--')), 'Dockerfile ENTRYPOINT').toEqual([...NODE_RUNTIME_FLAGS]);
  });
});
