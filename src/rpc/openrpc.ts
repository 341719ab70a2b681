import { z } from 'zod';
import { RPC_API, RPC_PARAM_NAMES, type RpcMethod } from '../sdk/api.ts';
import type { HttpRoute } from './server.ts';

/**
 * The OpenRPC document of the JSON-RPC API (docs/RPC.md), generated from the same method
 * definitions the SDK's types come from (src/sdk/api.ts), served at GET /openrpc.json.
 * test/sdk/openrpc.test.ts checks it against a live server's methods.
 */
export function openRpcDocument(version: string): Record<string, unknown> {
  const schema = (t: z.ZodType) => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(t, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  };
  const methods = (Object.keys(RPC_API) as RpcMethod[]).map((name) => {
    const def = RPC_API[name];
    const items = (def.params as unknown as { def: { items: z.ZodType[] } }).def.items;
    return {
      name,
      summary: def.summary,
      paramStructure: 'by-position',
      params: items.map((t, i) => ({ name: RPC_PARAM_NAMES[name][i] ?? `param${i}`, required: !t.safeParse(undefined).success, schema: schema(t) })),
      result: { name: `${name}Result`, schema: schema(def.result) },
    };
  });
  return {
    openrpc: '1.3.2',
    info: { title: 'edgechain JSON-RPC', version, description: 'JSON-RPC 2.0 over HTTP POST (docs/RPC.md). Errors: -32000 tx refused, -32001 not found, -32002 unavailable (NODE_BUSY), -32005 limit.' },
    methods,
  };
}

/** GET /openrpc.json. */
export function openRpcRoute(version: string): HttpRoute {
  let body: string | null = null;
  return async (path) => {
    if (path !== '/openrpc.json') return null;
    body ??= JSON.stringify(openRpcDocument(version));
    return { type: 'application/json', body };
  };
}
