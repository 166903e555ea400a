import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { LlmProviderError } from '../core/errors';

/** HTTP statuses worth retrying: timeouts, conflicts, rate limits and server errors. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 409, 429]);

/** True for statuses where the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || status >= 500;
}

/**
 * Turns whatever the OpenAI client threw into an {@link LlmProviderError} that says whether a
 * retry may help and how long the provider asked us to wait.
 */
export function toLlmProviderError(error: unknown, endpointDescription: string): LlmProviderError {
  if (LlmProviderError.isInstance(error)) return error;
  if (error instanceof APIUserAbortError) {
    return new LlmProviderError({
      message: `Request to ${endpointDescription} was aborted.`,
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new LlmProviderError({
      message: `Could not reach ${endpointDescription}: ${error.message}`,
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const detail = providerMessage(error);
    const message = detail.startsWith(String(status)) ? detail : `${status}: ${detail}`;
    return new LlmProviderError({
      message: `${endpointDescription} answered ${message}`,
      status,
      retryable: isRetryableStatus(status),
      retryAfterMs: parseRetryAfter(error.headers),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LlmProviderError({
    message: `Model call to ${endpointDescription} failed: ${message}`,
    retryable: true,
    cause: error,
  });
}

function providerMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message.length > 0) return body.message;
  return error.message;
}

/** Milliseconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const milliseconds = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
