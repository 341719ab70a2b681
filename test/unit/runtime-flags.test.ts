import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RUNTIME_FLAGS } from '../../src/node/runtime-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The flags are written in four places: runtime-flags.ts (the testnet script and the e2e
// harness spawn with it), bin/edgechain.js's shebang and the Dockerfile's ENTRYPOINT. A flag
// added in one place only would make a docker or `npx edgechain` node behave unlike the tested one.
describe('node runtime flags', () => {
  it('the shebang and the Dockerfile pass every flag', () => {
    const shebang = readFileSync(join(ROOT, 'bin', 'edgechain.js'), 'utf8').split('\n')[0];
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(entry, 'Dockerfile ENTRYPOINT').not.toBeNull();
    const dockerArgs = JSON.parse(entry![1]) as string[];
    expect(NODE_RUNTIME_FLAGS.length).toBeGreaterThan(0);
    for (const f of NODE_RUNTIME_FLAGS) {
      expect(shebang.split(/\s+/), `shebang ${shebang}`).toContain(f);
      expect(dockerArgs, 'Dockerfile ENTRYPOINT').toContain(f);
    }
    // and no flag there that the tested nodes do not get
    expect(shebang.split(/\s+/).filter((a) => a.startsWith('--'))).toEqual([...NODE_RUNTIME_FLAGS]);
    expect(dockerArgs.filter((a) => a.startsWith('--'))).toEqual([...NODE_RUNTIME_FLAGS]);
  });
});
