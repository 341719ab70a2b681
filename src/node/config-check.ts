import { readFileSync } from 'node:fs';
import { EdgeError } from '../util/errors.ts';
import { parseGenesis, genesisProblems } from '../chain/index.ts';
import { readKeyFile } from '../crypto/index.ts';
import { configProblems, loadConfig } from './config.ts';

export interface ConfigCheck {
  file: string;
  kind: 'node config' | 'genesis';
  problems: string[];
  summary: string[];
}

/**
 * `edgechain config check <file>`: a node config (and the genesis and key it names) or a
 * genesis file, checked the way the node checks them at start, every problem on its own line.
 */
export function checkConfigFile(file: string): ConfigCheck {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : `cannot read it (${(e as Error).message})`;
    throw new EdgeError('CONFIG_UNREADABLE', `${file}: ${why}`);
  }
  const isGenesis = typeof json === 'object' && json !== null && 'chainId' in json && 'sealers' in json;
  if (isGenesis) {
    const problems = genesisProblems(json);
    const summary: string[] = [];
    if (problems.length === 0) {
      try {
        const g = parseGenesis(json);
        summary.push(`chain ${g.chainId}, ${g.sealers.length} sealers, ${g.accounts.length} accounts`);
      } catch (e) {
        problems.push((e as Error).message.replace(/^[A-Z_]+: /, ''));
      }
    }
    return { file, kind: 'genesis', problems, summary };
  }
  const problems = configProblems(json);
  const summary: string[] = [];
  if (problems.length === 0) {
    try {
      const cfg = loadConfig(file, {});
      summary.push(`${cfg.role} "${cfg.name}", rpc ${cfg.rpc.host}:${cfg.rpc.port}, data ${cfg.dataDir}`);
      try {
        const g = parseGenesis(JSON.parse(readFileSync(cfg.genesisPath, 'utf8')));
        summary.push(`genesis ${cfg.genesisPath}: chain ${g.chainId}, ${g.sealers.length} sealers`);
      } catch (e) {
        problems.push(`genesis ${cfg.genesisPath}: ${(e as Error).message.replace(/^[A-Z_]+: /, '')}`);
      }
      try {
        summary.push(`key ${cfg.keyPath}: ${readKeyFile(cfg.keyPath).address}`);
      } catch (e) {
        problems.push(`key: ${(e as Error).message.replace(/^[A-Z_]+: /, '')}`);
      }
    } catch (e) {
      problems.push((e as Error).message.replace(/^[A-Z_]+: /, ''));
    }
  }
  return { file, kind: 'node config', problems, summary };
}
