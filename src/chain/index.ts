export * from './errors.ts';
export * from './params.ts';
export * from './sealers.ts';
export * from './tx.ts';
export * from './block.ts';
export * from './certificate.ts';
export * from './genesis.ts';
export * from './genesis-schema.ts';
