import { EdgeError } from '../util/errors.ts';

export type P2PErrorCode =
  | 'P2P_BAD_OPTIONS'
  | 'P2P_NOT_STARTED'
  | 'P2P_MESSAGE_TOO_LARGE'
  | 'P2P_PUBLISH_FAILED'
  | 'P2P_UNKNOWN_PEER'
  | 'P2P_BAD_REQUEST'
  | 'P2P_REQUEST_FAILED'
  | 'P2P_REQUEST_TIMEOUT'
  | 'P2P_BAD_RESPONSE'
  | 'P2P_REMOTE_ERROR';

export class P2PError extends EdgeError<P2PErrorCode> {
  constructor(code: P2PErrorCode, message?: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
    this.name = 'P2PError';
  }
}
