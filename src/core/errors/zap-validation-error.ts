import { ZapError } from './zap-error';

const CODE = 'ZAP_VALIDATION';

/** Invalid input to a zap-agents call (missing task text, a context that is not JSON, …). */
export class ZapValidationError extends ZapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CODE, message, options);
  }

  static override isInstance(error: unknown): error is ZapValidationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
