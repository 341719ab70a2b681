import { EdgeError } from '../util/errors.ts';

/** Every reason the storage layer refuses an operation. */
export const StorageErrorCode = {
  /** The database belongs to a chain with another genesis hash. */
  STORAGE_GENESIS_MISMATCH: 'STORAGE_GENESIS_MISMATCH',
  /** The database was written with another schema version. */
  STORAGE_SCHEMA_MISMATCH: 'STORAGE_SCHEMA_MISMATCH',
  /** A stored record is missing or does not decode: the database is damaged. */
  STORAGE_CORRUPT: 'STORAGE_CORRUPT',
  /** commitBlock before commitGenesis. */
  STORAGE_NOT_INITIALIZED: 'STORAGE_NOT_INITIALIZED',
  /** commitGenesis on a database that already has a chain. */
  STORAGE_ALREADY_INITIALIZED: 'STORAGE_ALREADY_INITIALIZED',
  /** The block's height is not head + 1. */
  STORAGE_BAD_HEIGHT: 'STORAGE_BAD_HEIGHT',
  /** The block's parent hash is not the head's hash. */
  STORAGE_BAD_PARENT: 'STORAGE_BAD_PARENT',
  /** Inconsistent commit input (receipt count, state root, genesis parent). */
  STORAGE_BAD_INPUT: 'STORAGE_BAD_INPUT',
  /** The database or store is closed. */
  STORAGE_CLOSED: 'STORAGE_CLOSED',
  /** A fault injected by a test (MemoryDatabase.failNextBatch): the batch was not written. */
  STORAGE_SIMULATED_CRASH: 'STORAGE_SIMULATED_CRASH',
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export class StorageError extends EdgeError<StorageErrorCode> {}

export function storageError(code: StorageErrorCode, message: string, data: Record<string, unknown> = {}): StorageError {
  return new StorageError(code, message, data);
}
