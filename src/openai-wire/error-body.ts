/**
 * The `error.type` OpenAI uses for an HTTP status: `rate_limit_exceeded` for 429,
 * `invalid_request_error` for other 4xx, `server_error` otherwise.
 */
export function defaultErrorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'server_error';
}

/** An OpenAI-style error body: `{ error: { message, type, code, param } }`. */
export function buildErrorBody(
  status: number,
  message: string,
  type?: string,
  code?: string | null,
): { error: { message: string; type: string; code: string | null; param: null } } {
  return { error: { message, type: type ?? defaultErrorType(status), code: code ?? null, param: null } };
}
