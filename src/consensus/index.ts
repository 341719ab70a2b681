export * from './types.ts';
export * from './engine.ts';
export * from './wal.ts';
