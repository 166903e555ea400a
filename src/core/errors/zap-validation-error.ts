import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ZapValidation;

/** Options of {@link ZapValidationError}. */
export interface ZapValidationErrorOptions {
  message: string;
  cause?: unknown;
}

/** Invalid input to a zap-agents call (missing task text, a context that is not JSON, …). */
export class ZapValidationError extends ZapError {
  constructor(options: ZapValidationErrorOptions) {
    super({ code: CODE, message: options.message, cause: options.cause });
  }

  static override isInstance(error: unknown): error is ZapValidationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
