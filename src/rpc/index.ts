export * from './errors.ts';
export * from './server.ts';
export * from './methods.ts';
export * from './metrics.ts';
export * from './events.ts';
export * from './indexers.ts';
export * from './health.ts';
export * from './status.ts';
