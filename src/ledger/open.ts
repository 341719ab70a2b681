import { genesisBlock, genesisHash } from '../chain/index.ts';
import type { Genesis } from '../codec/types.ts';
import { WorldState } from '../state/world.ts';
import { rulesOf } from '../domain/index.ts';
import type { ChainStore } from '../storage/chain-store.ts';

/**
 * The committed state of a store: an empty store is initialised from genesis (block 0 and the
 * initial state in one batch); otherwise the state is rebuilt from the stored entries at the
 * stored head. `fresh` tells which.
 */
export async function openState(store: ChainStore, genesis: Genesis): Promise<{ state: WorldState; fresh: boolean }> {
  const head = store.head();
  if (!head) {
    const { state, result } = WorldState.fromGenesis(genesis);
    const block = genesisBlock(genesis, result.stateRoot);
    await store.commitGenesis({ genesisHash: genesisHash(genesis), block, writes: result.writes, stateRoot: result.stateRoot });
    return { state, fresh: true };
  }
  const entries: [Uint8Array, Uint8Array][] = [];
  for await (const e of store.iterateState()) entries.push(e);
  return { state: WorldState.load(entries, { height: head.height, stateRoot: head.stateRoot, rules: rulesOf(genesis) }), fresh: false };
}
