import { readFileSync } from 'node:fs';
import { readKeyFile, type KeyPair } from '../crypto/index.ts';
import { EdgeError } from '../util/errors.ts';
import type { Genesis } from '../codec/index.ts';
import { parseGenesis, genesisHash, genesisSealerSet, type SealerSet } from '../chain/index.ts';
import type { NodeConfig } from './config.ts';

/** What a node is before it is wired: its genesis, the sealers, its key and role. */
export interface Identity {
  genesis: Genesis;
  genesisHash: Uint8Array;
  sealers: SealerSet;
  key: KeyPair;
  isSealer: boolean;
}

/**
 * Reads the genesis and key files of a config. A sealer whose key is not a genesis sealer is
 * accepted: it syncs as a plain node and votes from the height governance admits it
 * (docs/GOVERNANCE.md).
 */
export function readIdentity(cfg: NodeConfig): Identity {
  let gjson: unknown;
  try {
    gjson = JSON.parse(readFileSync(cfg.genesisPath, 'utf8'));
  } catch (e) {
    throw new EdgeError('CONFIG_INVALID', `cannot read genesis ${cfg.genesisPath}: ${(e as Error).message}`);
  }
  const genesis = parseGenesis(gjson);
  const sealers = genesisSealerSet(genesis);
  const key = readKeyFile(cfg.keyPath);
  return { genesis, genesisHash: genesisHash(genesis), sealers, key, isSealer: cfg.role === 'sealer' };
}
