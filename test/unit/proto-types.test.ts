import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { generateProtoTypes, generateProtoJson, GENERATED_PATH, GENERATED_JSON_PATH } from '../../scripts/gen-proto-types.ts';
import { TX_KINDS } from '../../src/codec/types.ts';
import { root } from '../../src/codec/schema.ts';

describe('generated message types (src/codec/proto-types.ts)', () => {
  it('are exactly what the generator makes from proto/*.proto now (regenerate: node scripts/gen-proto-types.ts)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generateProtoTypes());
  });

  it('the bundled schema src/codec/proto-json.ts is what the generator makes from proto/*.proto now', () => {
    expect(readFileSync(GENERATED_JSON_PATH, 'utf8')).toBe(generateProtoJson());
  });

  it('the codec reads no file at run time (browser bundles, installed packages)', () => {
    expect(readFileSync(new URL('../../src/codec/schema.ts', import.meta.url), 'utf8')).not.toMatch(/node:fs|readdirSync|loadSync/);
  });

  it('a field added to a .proto changes the generated file (so a stale file fails the test above)', () => {
    const r = protobuf.parse(
      'syntax = "proto3"; package t; message M { uint64 a = 1; repeated bytes b = 2; N n = 3; oneof k { string s = 4; N m = 5; } } message N { bool x = 1; }',
    ).root;
    const out = generateProtoTypes(r);
    expect(out).toContain("export const MKs = ['s', 'm'] as const;");
    expect(out).toMatch(/export interface M \{\n {2}k\?: MK;\n {2}a: number;\n {2}b: Uint8Array\[\];\n {2}n\?: N \| null;\n {2}s\?: string \| null;\n {2}m\?: N \| null;\n\}/);
    const r2 = protobuf.parse('syntax = "proto3"; package t; message M { uint64 a = 1; repeated bytes b = 2; N n = 3; oneof k { string s = 4; N m = 5; } string added = 6; } message N { bool x = 1; }').root;
    expect(generateProtoTypes(r2)).not.toBe(out);
    expect(generateProtoTypes(r2)).toContain('  added: string;');
  });

  it('the tx kinds are the members of the TxBody.kind oneof', () => {
    expect([...TX_KINDS]).toEqual(root.lookupType('edgechain.TxBody').oneofs.kind.oneof);
  });
});
