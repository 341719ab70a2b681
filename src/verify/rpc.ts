import type { RpcCall } from './match.ts';

/** An error answer of a node: the JSON-RPC error with its `code` and `data` kept (the verifier reads `data.parts`). */
export class NodeRpcError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown>;
  constructor(code: number, message: string, data: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** A JSON-RPC call over HTTP to `url` (fetch: Node and browsers), for the verifier. */
export function httpRpc(url: string, timeoutMs = 30_000): RpcCall {
  let id = 1;
  return async (method, params) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };
    if (body.error) throw new NodeRpcError(body.error.code, `${method}: ${body.error.message}`, body.error.data ?? {});
    return body.result;
  };
}
