import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.LlmProvider;

/** Options of {@link LlmProviderError}. */
export interface LlmProviderErrorOptions {
  message: string;
  /** HTTP status of the provider's answer; omitted for network errors and timeouts. */
  status?: number;
  /** Whether retrying the same request may succeed. */
  retryable: boolean;
  /** Delay the provider asked for (`retry-after`), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** The OpenAI-compatible endpoint answered with an error (or could not be reached: `status` undefined). */
export class LlmProviderError extends ZapError {
  /** HTTP status of the provider's answer; undefined for network errors and timeouts. */
  readonly status: number | undefined;
  /** Whether retrying the same request may succeed (408, 409, 429, 5xx, network errors). */
  readonly retryable: boolean;
  /** Delay the provider asked for (`retry-after`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor({ message, status, retryable, retryAfterMs, cause }: LlmProviderErrorOptions) {
    super({ code: CODE, message, cause });
    this.status = status;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }

  static override isInstance(error: unknown): error is LlmProviderError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
