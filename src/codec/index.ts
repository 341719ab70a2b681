export * from './codec.ts';
export * from './types.ts';
export * from './chain.ts';
export { root, lookupType } from './schema.ts';
