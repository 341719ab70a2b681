/**
 * On-chain strings are any UTF-8 an account signed: the CLI must not hand a terminal the
 * escape sequences in them (clear screen, set title, a one-byte C1 CSI, bidi reordering).
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { safeForTerminal } from '../../src/cli/format.ts';
import { RpcServer } from '../../src/rpc/server.ts';

const HOSTILE = 'cam\x1b[2J\x1b]0;pwned\x07 \u009b31m \u202eevil\r\n';
const ADDRESS = '0x' + '11'.repeat(20);
let server: RpcServer;
let url: string;

beforeAll(async () => {
  server = new RpcServer(
    { host: '127.0.0.1', port: 0 },
    {
      methods: {
        getAccount: () => ({ address: ADDRESS, name: 'x\x1b[31m', role: 'user', nonce: 0, pendingNonce: 0, balance: 0, device: { info: HOSTILE, registeredAt: 1 } }),
      },
    },
  );
  const a = await server.start();
  url = `http://${a.host}:${a.port}`;
});
afterAll(() => server.stop());

async function run(argv: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  try {
    await main(argv);
  } finally {
    spy.mockRestore();
  }
  return out.join('\n');
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('CLI output is safe for a terminal', () => {
  it('human output shows escape sequences of device info as visible \\u escapes', async () => {
    const out = await run(['account', ADDRESS, '--rpc', url]);
    expect(out).toContain('cam\\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m \\u202eevil\\u000d');
    expect(out).not.toMatch(CONTROL);
  });

  it('--json output has no raw controls either and parses back to the on-chain value', async () => {
    const out = await run(['account', ADDRESS, '--rpc', url, '--json']);
    expect(out).not.toMatch(CONTROL);
    expect(JSON.parse(out).device.info).toBe(HOSTILE);
  });

  it('keeps newlines and tabs, and plain text as it is', () => {
    expect(safeForTerminal('a\tb\nc é 東京')).toBe('a\tb\nc é 東京');
  });
});
