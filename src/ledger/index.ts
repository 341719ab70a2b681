export * from './ledger.ts';
export * from './open.ts';
export * from './synced.ts';
export * from './compact.ts';
