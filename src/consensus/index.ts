export * from './types.ts';
export * from './engine.ts';
export * from './wal.ts';
export * from './guard.ts';
export * from './gossip.ts';
export * from './sigmemo.ts';
