/**
 * V8 flags every node process is started with (scripts/testnet.ts, the e2e harness, the
 * Dockerfile and bin/edgechain.js's shebang say the same).
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space (the default
 * lets it grow to 16+ MiB under allocation pressure). A sealer allocates mostly short-lived
 * buffers (gossip frames, decoded txs); with the cap, the 4-sealer testnet at 700 tx/s
 * measured 206 MB RSS per node instead of 300 MB, at the same throughput
 * (docs/PERFORMANCE.md).
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
