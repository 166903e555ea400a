import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/activity-contracts';
import { LlmProviderError, ZapConfigurationError, ZapError, ZapValidationError } from '../core/errors';
import { limitFailureMessage } from './result-size-limits';

/** The longest `retry-after` we honour; a provider asking for more gets the retry policy's backoff cap. */
const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/**
 * Converts an error thrown inside an activity into the `ApplicationFailure` Temporal records:
 * its `type` is the zap-agents code, so workflows branch on strings, and `nonRetryable` /
 * `nextRetryDelay` carry the provider's verdict into Temporal's retry logic.
 *
 * Messages are cut to `MAX_FAILURE_MESSAGE_BYTES`: a failure too large for Temporal never reaches
 * the server, and the call would then time out as if its outcome were unknown.
 */
export function toApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return limitApplicationFailure(error);
  if (LlmProviderError.isInstance(error)) {
    return ApplicationFailure.create({
      type: FailureType.LlmProvider,
      message: limitFailureMessage(error.message).message,
      nonRetryable: !error.retryable,
      nextRetryDelay:
        error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS) : undefined,
      details: [{ status: error.status ?? null }],
    });
  }
  if (ZapError.isInstance(error)) {
    // A configuration or validation error fails the same way on every attempt: never retried.
    const permanent = ZapConfigurationError.isInstance(error) || ZapValidationError.isInstance(error);
    return ApplicationFailure.create({ type: error.code, message: limitFailureMessage(error.message).message, nonRetryable: permanent });
  }
  const { message, truncated } = limitFailureMessage(error instanceof Error ? error.message : String(error));
  // The cause would carry the whole message again, in its message and its stack trace.
  const cause = error instanceof Error && !truncated ? error : undefined;
  return ApplicationFailure.create({ type: FailureType.ToolExecution, message, cause });
}

/** A failure that retrying cannot fix (bad arguments, unknown tool, unknown agent). */
export function permanentFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message: limitFailureMessage(message).message, nonRetryable: true });
}

/** An `ApplicationFailure` thrown by a tool, rebuilt around a shorter message when its own is too long. */
function limitApplicationFailure(failure: ApplicationFailure): ApplicationFailure {
  const { message, truncated } = limitFailureMessage(failure.message);
  if (!truncated) return failure;
  return ApplicationFailure.create({
    type: failure.type ?? undefined,
    message,
    nonRetryable: failure.nonRetryable ?? undefined,
    details: failure.details ?? undefined,
    nextRetryDelay: failure.nextRetryDelay ?? undefined,
    category: failure.category ?? undefined,
  });
}
