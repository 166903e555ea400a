import { ZapError } from './zap-error';

const CODE = 'ZAP_CONFIGURATION';

/** Invalid agent, tool or Zap configuration, thrown at construction or worker start. */
export class ZapConfigurationError extends ZapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CODE, message, options);
  }

  static override isInstance(error: unknown): error is ZapConfigurationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
