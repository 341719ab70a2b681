export * from './interface.ts';
export * from './errors.ts';
export * from './keys.ts';
export * from './receipts.ts';
export * from './geo.ts';
export * from './spatial.ts';
export * from './world.ts';
