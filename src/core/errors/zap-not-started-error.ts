import { ZapError } from './zap-error';

const CODE = 'ZAP_NOT_STARTED';

/** A method that needs a Temporal connection was called before `zap.start()`. */
export class ZapNotStartedError extends ZapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CODE, message, options);
  }

  static override isInstance(error: unknown): error is ZapNotStartedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
