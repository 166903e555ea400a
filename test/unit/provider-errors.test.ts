import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmProviderError } from '../../src/core/errors';
import { isRetryableStatus, parseRetryAfter, toLlmProviderError } from '../../src/llm/provider-errors';

const ENDPOINT = 'the model endpoint http://127.0.0.1:4000/v1';
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function openAiError(status: number, message: string, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { error: { message, type: 'invalid_request_error', code: null } },
    undefined,
    new Headers(headers),
  );
}

describe('isRetryableStatus', () => {
  it.each([408, 409, 429, 500, 502, 503, 504, 529])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([400, 401, 403, 404, 413, 422])('does not retry %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, including fractions', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), NOW)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), NOW)).toBe(500);
  });

  it('reads an HTTP date relative to now', () => {
    const inThirtySeconds = new Date(NOW + 30_000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': inThirtySeconds }), NOW)).toBe(30_000);
  });

  it('never returns a negative delay', () => {
    const past = new Date(NOW - 60_000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': past }), NOW)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after': '-3' }), NOW)).toBe(0);
  });

  it('prefers retry-after-ms over retry-after', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500', 'retry-after': '60' }), NOW)).toBe(1500);
  });

  it('falls back to retry-after when retry-after-ms is not a number', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '3' }), NOW)).toBe(3000);
  });

  it('is undefined without headers, for an empty value, and for garbage', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': ' ' }), NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'in a while' }), NOW)).toBeUndefined();
  });
});

describe('toLlmProviderError', () => {
  it('makes a 400 non-retryable, keeping the status and the provider message', () => {
    const cause = openAiError(400, "This model's maximum context length is 8192 tokens");
    const error = toLlmProviderError(cause, ENDPOINT);

    expect(error).toBeInstanceOf(LlmProviderError);
    expect(error.code).toBe('LLM_PROVIDER');
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toBe(`${ENDPOINT} answered 400: This model's maximum context length is 8192 tokens`);
    expect(error.cause).toBe(cause);
  });

  it.each([401, 403, 404, 422])('makes %i non-retryable', (status) => {
    expect(toLlmProviderError(openAiError(status, 'no'), ENDPOINT).retryable).toBe(false);
  });

  it('makes a 429 retryable with the delay the provider asked for', () => {
    const error = toLlmProviderError(openAiError(429, 'Rate limit reached', { 'retry-after': '7' }), ENDPOINT);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
    expect(error.message).toContain('Rate limit reached');
  });

  it.each([500, 503])('makes %i retryable', (status) => {
    const error = toLlmProviderError(openAiError(status, 'The server had an error'), ENDPOINT);
    expect(error).toMatchObject({ status, retryable: true });
    expect(error.message).toContain('The server had an error');
  });

  it('uses the error message when the body has none', () => {
    const error = toLlmProviderError(new APIError(502, undefined, 'Bad gateway', new Headers()), ENDPOINT);
    expect(error.message).toBe(`${ENDPOINT} answered 502 Bad gateway`);
    expect(error.retryable).toBe(true);
  });

  it('makes connection errors and timeouts retryable without a status', () => {
    const connection = toLlmProviderError(new APIConnectionError({ message: 'Connection error.' }), ENDPOINT);
    expect(connection).toMatchObject({ status: undefined, retryable: true });
    expect(connection.message).toBe(`Could not reach ${ENDPOINT}: Connection error.`);

    const timeout = toLlmProviderError(new APIConnectionTimeoutError(), ENDPOINT);
    expect(timeout).toMatchObject({ status: undefined, retryable: true });
  });

  it('reports aborted requests as retryable', () => {
    const error = toLlmProviderError(new APIUserAbortError(), ENDPOINT);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`Request to ${ENDPOINT} was aborted.`);
  });

  it('wraps unknown errors as retryable and returns LlmProviderErrors unchanged', () => {
    const unknown = toLlmProviderError(new TypeError('fetch failed'), ENDPOINT);
    expect(unknown).toMatchObject({ status: undefined, retryable: true });
    expect(unknown.message).toBe(`Model call to ${ENDPOINT} failed: fetch failed`);

    const existing = new LlmProviderError({ message: 'already converted', status: 400, retryable: false });
    expect(toLlmProviderError(existing, ENDPOINT)).toBe(existing);
  });
});
