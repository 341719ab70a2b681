import { loadConfig } from './config.ts';
import { EdgeNode } from './node.ts';
import { createLogger } from './logger.ts';

/** `edgechain start --config <file>`: runs a node until SIGINT/SIGTERM, then shuts down gracefully. */
export async function runNode(configPath: string): Promise<void> {
  const cfg = loadConfig(configPath);
  const logger = createLogger({ level: cfg.log.level, name: cfg.name });
  const node = await EdgeNode.start(cfg, { logger });
  let closing = false;
  const shutdown = (sig: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal: sig }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    node.stop().then(() => process.exit(process.exitCode ?? 0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
