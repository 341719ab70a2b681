export * from './syncer.ts';
