import type { TxKindModule } from './kind.ts';

/**
 * Checks the kind modules against `members` (the TxBody.kind oneof's member names): one module
 * per member, none of another kind, distinct commands. Returns them in the order of `members`;
 * throws (a programmer error, at start-up and in every test) otherwise. `found` pairs each
 * module with its file name, for the messages.
 */
export function checkKindModules(found: readonly { file: string; module: TxKindModule }[], members: readonly string[]): TxKindModule[] {
  const byKind = new Map<string, TxKindModule>();
  const commands = new Map<string, string>();
  for (const { file, module: k } of found) {
    if (!members.includes(k.kind)) throw new Error(`kinds/${file}: "${k.kind}" is not a member of the TxBody.kind oneof (proto/chain.proto)`);
    if (byKind.has(k.kind)) throw new Error(`kinds/${file}: a second module for kind "${k.kind}"`);
    if (commands.has(k.command)) throw new Error(`kinds/${file}: command "${k.command}" is already used by kind "${commands.get(k.command)}"`);
    byKind.set(k.kind, k);
    commands.set(k.command, k.kind);
  }
  const missing = members.filter((k) => !byKind.has(k));
  if (missing.length) throw new Error(`no kind module (src/kinds/) for TxBody.kind member(s): ${missing.join(', ')} (added one? run: node scripts/gen-kind-index.ts)`);
  return members.map((k) => byKind.get(k)!);
}

/** Whether a module's default export looks like a kind module. */
export function isKindModule(v: unknown): v is TxKindModule {
  return !!v && typeof v === 'object' && typeof (v as { kind?: unknown }).kind === 'string';
}
