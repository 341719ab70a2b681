/**
 * Shared helpers of the per-kind tests (test/kinds/<kind>.test.ts): a kind is tested through
 * the real paths only: its CLI flags (cli/args.ts + the registry), its bounds (decodeTx of a
 * really signed tx), its JSON form (rpc/format.ts) and its state handler (WorldState.execute).
 */
import { Args, parseArgs } from '../../src/cli/args.ts';
import { txPayload } from '../../src/cli/main.ts';
import { checkTxFields, decodeTx, encodeTxBody } from '../../src/chain/tx.ts';
import { TxCodec } from '../../src/codec/chain.ts';
import type { Genesis, TxPayload } from '../../src/codec/types.ts';
import { payloadJson } from '../../src/rpc/format.ts';
import { WorldState, type ExecutionResult } from '../../src/state/index.ts';
import { CHAIN, STD_GENESIS, TxMaker, addr, key, run } from '../state/helpers.ts';

export { P, addr, addrBytes, key, PAID_GENESIS, genesis } from '../state/helpers.ts';
export { ReceiptStatus as S } from '../../src/state/index.ts';

/** The payload an `edgechain tx <command> <flags…>` would send. */
export const fromFlags = (command: string, ...flags: string[]): TxPayload => txPayload(command, new Args(parseArgs(flags)));

/** The bounds verdict for a payload (null = well-formed), as every node's decodeTx sees it. */
export function bounds(p: TxPayload): string | null {
  const fields = checkTxFields({ chainId: CHAIN, nonce: 0, ...(p as object) });
  // the same verdict through decodeTx (what the pool and block validation run; it does not
  // verify the signature, so any 64 bytes do)
  const body = encodeTxBody(CHAIN, 0, p);
  const bytes = TxCodec.encode({ body, signature: new Uint8Array(64), publicKey: key('bounds').publicKey });
  const d = decodeTx(bytes, { chainId: CHAIN, maxTxBytes: 1 << 20 });
  if ((fields === null) !== d.ok) throw new Error(`checkTxFields and decodeTx disagree on ${JSON.stringify(p)}`);
  return fields;
}

/** The payload's JSON form in RPC answers and the explorer. */
export const json = (p: TxPayload): Record<string, unknown> => payloadJson({ chainId: CHAIN, nonce: 0, ...(p as object) });

/** A fresh standard-genesis state (proxy, companies acme and globex, user alice) and a block runner. */
export function chain(g: Genesis = STD_GENESIS()) {
  const ws = WorldState.fromGenesis(g).state;
  const t = new TxMaker();
  let height = 0;
  /** Block time: genesis time + 1 s per block unless a block says otherwise. */
  let time = g.timestamp;
  return {
    ws,
    /** Executes and commits one block of (sender label, payload) txs; returns its result. */
    block(...txs: [string, TxPayload][]): ExecutionResult {
      time += 1000;
      return run(ws, ++height, txs.map(([who, p]) => t.tx(who, p)), time);
    },
    /** The same, in a block `seconds` of block time after the previous one. */
    blockAfter(seconds: number, ...txs: [string, TxPayload][]): ExecutionResult {
      time += seconds * 1000;
      return run(ws, ++height, txs.map(([who, p]) => t.tx(who, p)), time);
    },
    get time(): number {
      return time;
    },
  };
}
