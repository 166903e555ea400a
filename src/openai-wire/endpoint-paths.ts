/** Paths of an OpenAI-compatible endpoint, with and without the `/v1` prefix clients put in `baseURL`. */

/** `POST`: chat completions. */
export const CHAT_COMPLETIONS_PATHS: ReadonlySet<string> = new Set(['/v1/chat/completions', '/chat/completions']);
/** `GET`: the served models. */
export const MODELS_PATHS: ReadonlySet<string> = new Set(['/v1/models', '/models']);
/** `GET`: a liveness check. */
export const HEALTH_PATH = '/health';

/** The path of a request URL without its query string or a trailing slash. */
export function normalizeRequestPath(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

