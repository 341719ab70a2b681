/**
 * V8 flags every node process is started with (scripts/testnet.ts, the e2e harness, the
 * Dockerfile and bin/edgechain.js's shebang say the same; test/unit/runtime-flags.test.ts
 * checks that they do).
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space (the default
 * lets it grow to 16+ MiB under allocation pressure). A sealer allocates mostly short-lived
 * buffers (gossip frames, decoded txs); with the cap, the 4-sealer testnet at 700 tx/s
 * measured 206 MB RSS per node instead of 300 MB, at the same throughput
 * (docs/PERFORMANCE.md).
 *
 * `--heap-growing-percent=100` lets the old generation grow to twice the live heap before the
 * next major collection. V8 otherwise picks up to 4× on a machine with ≥ 2 GB of heap limit
 * (any machine with more than ~8 GB of RAM), and a sealer's RSS is the high-water mark of that
 * limit: freed V8 pages and glibc's main arena stay resident. At 300 tx/s over six minutes:
 * RSS 340 MB in the last minute against 526–563 MB, growth 16 against 63–67 MB/min, CPU per
 * tx within 2 % (docs/PERFORMANCE.md "Memory: round 8"). Unlike `--max-old-space-size` it sets
 * no limit: a node whose live state grows is not aborted sooner than before.
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=100'];
