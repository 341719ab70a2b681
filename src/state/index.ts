export * from './interface.ts';
export * from './root.ts';
export * from './world.ts';
export * from './smt.ts';
export * from './auth.ts';
// The domain layer's records, keys, receipts and matching index, re-exported for the state's users.
export * from '../domain/errors.ts';
export * from '../domain/keys.ts';
export * from '../domain/receipts.ts';
export * from '../domain/geo.ts';
export * from '../domain/spatial.ts';
