import { RpcServer, rpcMethods, rpcCost, healthRoutes, type RpcContext, type HealthSnapshot, type NodeMetrics, type EventHub } from '../rpc/index.ts';
import { explorerRoute } from '../rpc/explorer.ts';
import { openRpcRoute } from '../rpc/openrpc.ts';
import type { NodeConfig } from './config.ts';
import type { Logger } from './logger.ts';

/**
 * The node's HTTP server: the JSON-RPC methods over `ctx` with their costs and limits
 * (docs/RPC.md), the health probes, `/metrics`, `/openrpc.json`, the explorer and the event
 * stream; every call and refusal counted in the metrics.
 */
export function nodeRpcServer(
  cfg: NodeConfig,
  ctx: RpcContext,
  m: { metrics: NodeMetrics; events: EventHub; health: () => HealthSnapshot; version: string; logger: Logger },
): RpcServer {
  return new RpcServer(cfg.rpc, {
    methods: rpcMethods(ctx),
    cost: rpcCost,
    routes: [healthRoutes(m.health, cfg.health), m.metrics.route(), openRpcRoute(m.version), explorerRoute()],
    streams: [m.events.handler()],
    onCall: (method, okCall) => m.metrics.rpcCalls.inc({ method, ok: String(okCall) }),
    onReject: (reason) => m.metrics.rpcRejected.inc({ reason }),
    logger: m.logger.child({ module: 'rpc' }),
  });
}
