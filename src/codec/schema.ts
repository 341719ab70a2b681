import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// 64-bit fields decode to plain numbers, not Long objects. Values above 2^53 lose
// precision, so the codec's canonical round-trip check rejects them (codec.ts).
(protobuf.util as { Long?: unknown }).Long = undefined;
protobuf.configure();

/** Every `.proto` file in the repository's `proto/` folder, loaded once into one root. */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

function loadRoot(): protobuf.Root {
  const files = readdirSync(PROTO_DIR)
    .filter((f) => f.endsWith('.proto'))
    .sort()
    .map((f) => PROTO_DIR + f);
  return protobuf.loadSync(files);
}

export const root: protobuf.Root = loadRoot();

export function lookupType(name: string): protobuf.Type {
  return root.lookupType(name.includes('.') ? name : 'edgechain.' + name);
}
