export * from './syncer.ts';
export * from './peers.ts';
