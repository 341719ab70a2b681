export * from './interface.ts';
export * from './errors.ts';
export * from './keys.ts';
export * from './memory.ts';
export * from './level.ts';
export * from './chain-store.ts';
export * from './durable-file.ts';
