import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';

export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** One line per record for a human: `12:00:01.234 INFO  [consensus] finalized block height=12 txs=30`. */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  const { level, time, msg, module, pid: _pid, hostname: _h, node, ...rest } = o as Record<string, any>;
  const t = new Date(time as number).toISOString().slice(11, 23);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${LEVEL_NAMES[level as number] ?? level} ${node ? `${node} ` : ''}${module ? `[${module}] ` : ''}${msg ?? ''}${fields ? ' ' + fields : ''}`;
}

/**
 * The node's logger: pino JSON lines on stdout by default; human-readable lines when stdout is
 * a terminal (or EDGECHAIN_LOG_PRETTY=1). Subsystems use `logger.child({ module })`.
 */
export function createLogger(opts: { level: string; name?: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const pretty = opts.pretty ?? (process.env.EDGECHAIN_LOG_PRETTY === '1' || (process.env.EDGECHAIN_LOG_PRETTY !== '0' && process.stdout.isTTY === true));
  const base = opts.name ? { node: opts.name } : undefined;
  const dest = opts.destination ?? process.stdout;
  if (!pretty) return pino({ level: opts.level, base: base ?? null, timestamp: pino.stdTimeFunctions.epochTime }, dest as pino.DestinationStream);
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        dest.write(prettyLine(buf.slice(0, i)) + '\n');
        buf = buf.slice(i + 1);
      }
      cb();
    },
  });
  return pino({ level: opts.level, base: base ?? null, timestamp: pino.stdTimeFunctions.epochTime }, stream);
}
