export * from './kind.ts';
export * from './fields.ts';
export * from './registry.ts';
export * from './check.ts';
