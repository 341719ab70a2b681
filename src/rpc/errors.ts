import { EdgeError } from '../util/errors.ts';

/** JSON-RPC 2.0 error codes (the spec's, plus our application range). */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** A transaction refused by the pool; `data.code` says why (e.g. TXPOOL_NONCE_TOO_LOW). */
  TX_REJECTED: -32000,
  /** A block, tx, receipt, node or lease that does not exist. */
  NOT_FOUND: -32001,
  /** The request is fine but the node cannot serve it now (e.g. shutting down). */
  UNAVAILABLE: -32002,
  /**
   * A limit of the RPC server was hit: request cost, response size, rate, concurrency.
   * `data.limit` names it (cost, responseBytes, rate, concurrent); the message says what to do.
   */
  LIMIT_EXCEEDED: -32005,
} as const;
export type RpcCode = (typeof RpcCode)[keyof typeof RpcCode];

/** An error that goes back to the client as a JSON-RPC error object. */
export class RpcError extends EdgeError<string> {
  readonly rpcCode: number;
  constructor(rpcCode: number, message: string, data: Record<string, unknown> = {}) {
    super('RPC_ERROR', message, data);
    this.rpcCode = rpcCode;
    this.message = message;
  }
}

export function invalidParams(message: string): RpcError {
  return new RpcError(RpcCode.INVALID_PARAMS, message);
}

export function notFound(message: string): RpcError {
  return new RpcError(RpcCode.NOT_FOUND, message);
}
