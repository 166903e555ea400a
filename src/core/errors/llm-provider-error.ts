import { ZapError } from './zap-error';

const CODE = 'LLM_PROVIDER';

/** The OpenAI-compatible endpoint answered with an error (or could not be reached: `status` undefined). */
export class LlmProviderError extends ZapError {
  /** HTTP status of the provider's answer; undefined for network errors and timeouts. */
  readonly status: number | undefined;
  /** Whether retrying the same request may succeed (408, 409, 429, 5xx, network errors). */
  readonly retryable: boolean;
  /** Delay the provider asked for (`retry-after`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    details: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(CODE, message, { cause: details.cause });
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }

  static override isInstance(error: unknown): error is LlmProviderError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
