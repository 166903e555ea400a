import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ZapNotStarted;

/** Options of {@link ZapNotStartedError}. */
export interface ZapNotStartedErrorOptions {
  /** @default 'Call zap.start() first.' */
  message?: string;
  cause?: unknown;
}

/** A method that needs a Temporal connection was called before `zap.start()`. */
export class ZapNotStartedError extends ZapError {
  constructor(options: ZapNotStartedErrorOptions = {}) {
    super({ code: CODE, message: options.message ?? 'Call zap.start() first.', cause: options.cause });
  }

  static override isInstance(error: unknown): error is ZapNotStartedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
