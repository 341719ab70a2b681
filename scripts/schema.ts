/**
 * `npm run schema`: writes the JSON Schemas of the node config and the genesis file, generated
 * from their zod schemas, to docs/schema/ (for editors: "$schema": "<path>/node-config.schema.json").
 * A test checks the committed files are what this generates.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { NodeConfigSchema } from '../src/node/config.ts';
import { GenesisSchema } from '../src/chain/genesis-schema.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../docs/schema/', import.meta.url));

export function schemaFiles(): Record<string, string> {
  const gen = (s: z.ZodType, title: string) => JSON.stringify({ ...z.toJSONSchema(s, { io: 'input', target: 'draft-2020-12' }), title }, null, 2) + '\n';
  return {
    'node-config.schema.json': gen(NodeConfigSchema, 'edgechain node configuration'),
    'genesis.schema.json': gen(GenesisSchema, 'edgechain genesis'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(schemaFiles())) {
    writeFileSync(SCHEMA_DIR + name, text);
    console.log(`wrote docs/schema/${name}`);
  }
}
