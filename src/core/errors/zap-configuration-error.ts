import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ZapConfiguration;

/** Options of {@link ZapConfigurationError}. */
export interface ZapConfigurationErrorOptions {
  message: string;
  cause?: unknown;
}

/** Invalid agent, tool or Zap configuration, thrown at construction or worker start. */
export class ZapConfigurationError extends ZapError {
  constructor(options: ZapConfigurationErrorOptions) {
    super({ code: CODE, message: options.message, cause: options.cause });
  }

  static override isInstance(error: unknown): error is ZapConfigurationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
