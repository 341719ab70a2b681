import { EdgeError } from '../util/errors.ts';

/** Why the state machine refuses a whole block or a stored state. */
export const StateErrorCode = {
  /** A tx nonce is not the sender's next nonce: the block is invalid (data: index, sender, expected, got). */
  STATE_BAD_NONCE: 'STATE_BAD_NONCE',
  /** Stored state entries that do not decode (load()). */
  STATE_CORRUPT: 'STATE_CORRUPT',
  /** A proof or query asks for a height outside the retention window (src/state/world.ts STATE_RETENTION). */
  STATE_HEIGHT_UNAVAILABLE: 'STATE_HEIGHT_UNAVAILABLE',
} as const;
export type StateErrorCode = (typeof StateErrorCode)[keyof typeof StateErrorCode];

export class StateError extends EdgeError<StateErrorCode> {}

export function stateError(code: StateErrorCode, message: string, data: Record<string, unknown> = {}): StateError {
  return new StateError(code, message, data);
}
