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

/** Reads the genesis and key files of a config; a sealer whose key is not a genesis sealer is a config error. */
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
  const idx = sealers.indexOfKey(key.publicKey);
  if (cfg.role === 'sealer' && idx < 0) throw new EdgeError('CONFIG_INVALID', `role is "sealer" but the key ${key.address} is not in the genesis sealer list`);
  return { genesis, genesisHash: genesisHash(genesis), sealers, key, isSealer: cfg.role === 'sealer' && idx >= 0 };
}
