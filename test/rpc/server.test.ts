import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { RpcServer, RpcError, RpcCode, invalidParams } from '../../src/rpc/index.ts';

let server: RpcServer;
let url: string;
let calls = 0;

beforeAll(async () => {
  server = new RpcServer(
    { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, maxBatch: 3 },
    {
      methods: {
        echo: (p) => p,
        add: (p) => {
          if (typeof p[0] !== 'number' || typeof p[1] !== 'number') throw invalidParams('two numbers expected');
          calls++;
          return p[0] + p[1];
        },
        refuse: () => {
          throw new RpcError(RpcCode.TX_REJECTED, 'nonce too low', { code: 'TXPOOL_NONCE_TOO_LOW' });
        },
        crash: () => {
          throw new TypeError('secret internal detail');
        },
      },
      routes: [async (path) => (path === '/health' ? { type: 'application/json', body: '{"status":"ok"}' } : null)],
    },
  );
  const a = await server.start();
  url = `http://127.0.0.1:${a.port}/`;
});
afterAll(() => server.stop());

const post = async (body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
};
const call = (method: string, params?: unknown, id: unknown = 1) => post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));

describe('JSON-RPC server', () => {
  it('answers a call with its id', async () => {
    const r = await call('add', [2, 3], 'abc');
    expect(r.json).toEqual({ jsonrpc: '2.0', id: 'abc', result: 5 });
  });

  it('malformed JSON → -32700, and nothing is called', async () => {
    const before = calls;
    const r = await post('{"jsonrpc":"2.0","method":"add","params":[1,');
    expect(r.json.error.code).toBe(-32700);
    expect(r.json.id).toBeNull();
    expect(calls).toBe(before);
  });

  it('invalid request objects → -32600', async () => {
    for (const body of ['42', '"x"', '{"method":"add"}', '{"jsonrpc":"1.0","method":"add","id":1}', '{"jsonrpc":"2.0","method":5,"id":1}', '[]', '{"jsonrpc":"2.0","method":"add","id":{}}']) {
      const r = await post(body);
      const e = Array.isArray(r.json) ? r.json[0].error : r.json.error;
      expect(e.code, body).toBe(-32600);
    }
  });

  it('unknown methods → -32601, including inherited object properties', async () => {
    for (const m of ['nope', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const r = await call(m, []);
      expect(r.json.error.code, m).toBe(-32601);
    }
  });

  it('wrong params → -32602 with the reason', async () => {
    const r = await call('add', ['a', 1]);
    expect(r.json.error).toMatchObject({ code: -32602, message: 'two numbers expected' });
    const r2 = await call('add', 7);
    expect(r2.json.error.code).toBe(-32602);
  });

  it('application errors carry their code and data; internal errors hide their details', async () => {
    const r = await call('refuse');
    expect(r.json.error).toEqual({ code: -32000, message: 'nonce too low', data: { code: 'TXPOOL_NONCE_TOO_LOW' } });
    const c = await call('crash');
    expect(c.json.error).toEqual({ code: -32603, message: 'internal error' });
  });

  it('a body over the limit gets HTTP 413 and -32600, and nothing is called', async () => {
    const before = calls;
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2], pad: 'x'.repeat(5000) });
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe(-32600);
    expect(calls).toBe(before);
  });

  it('batches answer each member; notifications get no answer; too large batches are refused', async () => {
    const r = await post(JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 1] },
      { jsonrpc: '2.0', method: 'add', params: [5, 5] },
      { jsonrpc: '2.0', id: 3, method: 'nope' },
    ]));
    expect(r.json).toHaveLength(2);
    expect(r.json[0].result).toBe(2);
    expect(r.json[1].error.code).toBe(-32601);
    const big = await post(JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'echo' }))));
    expect(big.json.error.code).toBe(-32600);
  });

  it('GET routes and 404', async () => {
    const h = await fetch(url + 'health');
    expect(await h.json()).toEqual({ status: 'ok' });
    const n = await fetch(url + 'nothing-here');
    expect(n.status).toBe(404);
    const put = await fetch(url, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
  });
});
