import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/activity-contracts';
import { LlmProviderError, ZapError } from '../core/errors';

/** The longest `retry-after` we honour; a provider asking for more gets the retry policy's backoff cap. */
const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/**
 * Converts an error thrown inside an activity into the `ApplicationFailure` Temporal records:
 * its `type` is the zap-agents code, so workflows branch on strings, and `nonRetryable` /
 * `nextRetryDelay` carry the provider's verdict into Temporal's retry logic.
 */
export function toApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (LlmProviderError.isInstance(error)) {
    return ApplicationFailure.create({
      type: FailureType.LlmProvider,
      message: error.message,
      nonRetryable: !error.retryable,
      nextRetryDelay:
        error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS) : undefined,
      details: [{ status: error.status ?? null }],
    });
  }
  if (ZapError.isInstance(error)) {
    return ApplicationFailure.create({ type: error.code, message: error.message });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ type: FailureType.ToolExecution, message, cause: error instanceof Error ? error : undefined });
}

/** A failure that retrying cannot fix (bad arguments, unknown tool, unknown agent). */
export function permanentFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
