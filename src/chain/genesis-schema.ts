import { z } from 'zod';
import { DEFAULT_PARAMS } from './params.ts';
import { describeIssues } from '../util/schema.ts';

const u32 = z.number().int().min(0).max(0xffffffff);

/**
 * The genesis file, as a strict schema (shape and types; parseGenesis adds the cross-field
 * rules: distinct keys and addresses, sane limits). docs/schema/genesis.schema.json is
 * generated from it (npm run schema) for editors.
 */
export const GenesisSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editors (not part of the genesis hash)'),
    chainId: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1..64 of [a-z0-9._-], starting with a letter or digit').describe('Chain id, signed into every tx together with the genesis hash'),
    timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Unix time in ms of block 0'),
    sealers: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters'),
          role: z.enum(['proxy', 'company']),
          operator: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x + 40 hex characters').optional().describe('Address of the operating company (default: the proxy or company account of the same name)'),
        }),
      )
      .min(1),
    observers: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters'),
        }),
      )
      .optional()
      .describe('The initial observer set (docs/GOVERNANCE.md); governance votes change it'),
    accounts: z
      .array(
        z.strictObject({
          name: z.string().optional(),
          address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x + 40 hex characters'),
          role: z.enum(['proxy', 'company', 'user']),
          balance: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        }),
      )
      .optional(),
    params: z
      .strictObject(Object.fromEntries(Object.keys(DEFAULT_PARAMS).map((k) => [k, u32.optional()])) as Record<keyof typeof DEFAULT_PARAMS, z.ZodOptional<typeof u32>>)
      .optional()
      .describe('Chain parameters (docs/CHAIN.md); defaults in src/chain/params.ts'),
  })
  .describe('edgechain genesis (docs/CHAIN.md)');

/** Problems of a genesis file's JSON, one line each with its path; empty when it is valid. */
export function genesisProblems(json: unknown): string[] {
  const r = GenesisSchema.safeParse(json, { reportInput: true });
  return r.success ? [] : describeIssues(GenesisSchema, r.error.issues);
}
