import { ZapError } from './zap-error';

const CODE = 'ZAP_CONNECTION';

/** The Temporal server could not be reached; the message names the address. */
export class ZapConnectionError extends ZapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CODE, message, options);
  }

  static override isInstance(error: unknown): error is ZapConnectionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
