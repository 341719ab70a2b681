export * from './config.ts';
export * from './node.ts';
export * from './logger.ts';
export * from './testnet.ts';
