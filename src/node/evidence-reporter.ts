import { signTx, type SealerSet, type SignedTx } from '../chain/index.ts';
import type { KeyPair } from '../crypto/index.ts';
import type { EngineOutput } from '../consensus/index.ts';
import { offenceKey, parseEvidence, type EvidenceKind } from '../domain/evidence.ts';
import type { Result } from '../util/errors.ts';

export type EquivocationOutput = Extract<EngineOutput, { type: 'equivocation' }>;

/** What the reporter reads and where it sends (the node's state, pool and gossip; the simulator's). */
export interface EvidenceReporterModules {
  /** The node key: it signs the evidence tx, from its own account (docs/CONSENSUS.md "Evidence on chain"). */
  key: KeyPair;
  chainId: string;
  /** The genesis hash tx signatures bind to (txSignMessage). */
  genesisHash: Uint8Array;
  state: { nonceOf(address: string): number; evidenceOf(sealer: string, height: number, view: number, kind: EvidenceKind): number | undefined };
  pool: { add(tx: SignedTx): Result<unknown, { code: string; message: string }>; nextNonce(address: string): number; has(hashHex: string): boolean };
  /** Sends an admitted tx to the peers. */
  gossip(tx: SignedTx): void;
  sealersAt(height: number): SealerSet;
  log?: (level: 'info' | 'warn', fields: Record<string, unknown>, msg: string) => void;
}

interface Open {
  readonly sealer: string;
  readonly o: EquivocationOutput;
  /** The hash of the tx last submitted for it (null: not admitted yet, retried on the next block). */
  txHash: string | null;
  attempts: number;
}

/**
 * Turns the engine's `equivocation` outputs into evidence txs (kinds/evidence.ts) sent from the
 * node's own account through its own pool, de-duplicated: one open report per offence (sealer,
 * height, view, kind), none for an offence already recorded on chain. After every block
 * (`onBlock`) an open report is closed once its offence is recorded (by this node's tx or
 * anyone's), and re-submitted with a fresh nonce when its tx left the pool without recording it
 * (evicted, or never admitted): at most `maxAttempts` times.
 */
export class EvidenceReporter {
  private readonly m: EvidenceReporterModules;
  private readonly open = new Map<string, Open>();
  private readonly address: string;
  readonly maxOpen: number;
  readonly maxAttempts: number;
  /** Evidence txs admitted to the own pool, for tests and metrics. */
  submitted = 0;

  constructor(modules: EvidenceReporterModules, opts: { maxOpen?: number; maxAttempts?: number } = {}) {
    this.m = modules;
    this.address = modules.key.address;
    this.maxOpen = opts.maxOpen ?? 64;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  /** Offences reported and not yet seen recorded. */
  get pending(): number {
    return this.open.size;
  }

  /** An `equivocation` output of the engine: submit its evidence unless it is already reported or recorded. */
  report(o: EquivocationOutput): void {
    const set = this.m.sealersAt(o.height);
    const accused = set.sealers[o.sender];
    if (!accused) return;
    const key = offenceKey(accused.address, o.height, o.view, o.kind);
    if (this.open.has(key)) return;
    if (this.m.state.evidenceOf(accused.address, o.height, o.view, o.kind) !== undefined) return;
    if (!parseEvidence(o.messages[0], o.messages[1]).ok) return; // the engine emits only valid evidence; never send junk
    if (this.open.size >= this.maxOpen) {
      this.m.log?.('warn', { sealer: accused.name, kind: o.kind, height: o.height, view: o.view }, 'evidence: too many open reports, not reporting this one');
      return;
    }
    const r: Open = { sealer: accused.address, o, txHash: null, attempts: 0 };
    this.open.set(key, r);
    this.submit(r, accused.name);
  }

  /** After a block was committed: close what is recorded, re-submit what fell out of the pool. */
  onBlock(): void {
    for (const [key, r] of this.open) {
      if (this.m.state.evidenceOf(r.sealer, r.o.height, r.o.view, r.o.kind) !== undefined) {
        this.open.delete(key);
        continue;
      }
      if (r.txHash && this.m.pool.has(r.txHash)) continue;
      if (r.attempts >= this.maxAttempts) {
        this.m.log?.('warn', { sealer: r.sealer, kind: r.o.kind, height: r.o.height, view: r.o.view, attempts: r.attempts }, 'evidence: giving up after repeated failed submissions');
        this.open.delete(key);
        continue;
      }
      this.submit(r, r.sealer);
    }
  }

  private submit(r: Open, who: string): void {
    r.attempts++;
    const nonce = Math.max(this.m.state.nonceOf(this.address), this.m.pool.nextNonce(this.address));
    const tx = signTx(this.m.key, this.m.chainId, nonce, { kind: 'evidence', evidence: { first: r.o.messages[0], second: r.o.messages[1] } }, this.m.genesisHash);
    const a = this.m.pool.add(tx);
    const fields = { sealer: who, kind: r.o.kind, height: r.o.height, view: r.o.view, tx: tx.hashHex, nonce };
    if (!a.ok) {
      r.txHash = null;
      this.m.log?.('warn', { ...fields, err: a.error.message }, 'evidence: own pool refused the evidence tx; retrying after the next block');
      return;
    }
    r.txHash = tx.hashHex;
    this.submitted++;
    this.m.gossip(tx);
    this.m.log?.('info', fields, 'evidence: submitted an evidence tx');
  }
}
