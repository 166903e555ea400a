import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ZapConnection;

/** Options of {@link ZapConnectionError}. */
export interface ZapConnectionErrorOptions {
  message: string;
  cause?: unknown;
}

/** The Temporal server could not be reached; the message names the address. */
export class ZapConnectionError extends ZapError {
  constructor(options: ZapConnectionErrorOptions) {
    super({ code: CODE, message: options.message, cause: options.cause });
  }

  static override isInstance(error: unknown): error is ZapConnectionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
