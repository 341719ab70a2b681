export * from './hash.ts';
export * from './keys.ts';
export * from './merkle.ts';
export * from './keyfile.ts';
export * from './verify-pool.ts';
