import { ZapValidationError } from '../core/errors';
import { createProblem, HttpProblemCode, problemException } from './problem-details';

/** `application/json`, `application/<anything>+json`, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** A missing or empty body is a 400 (otherwise undefined). */
  required: boolean;
  /** Largest body read; a larger one is a 413 problem (by its Content-Length, or as it streams). */
  limitBytes: number;
}

/**
 * The JSON body of a request, or undefined when it has none and `required` is false. A body
 * over the limit is a 413 problem, one that is not `application/json` a 415, one that does not
 * parse a 400 `MALFORMED_JSON`.
 */
export async function readJsonBody(request: Request, options: ReadJsonBodyOptions): Promise<unknown> {
  const instance = new URL(request.url).pathname;
  const text = await readBodyText(request, options.limitBytes, instance);
  if (text.trim() === '') {
    if (options.required) throw new ZapValidationError({ message: 'The request needs a JSON body.' });
    return undefined;
  }
  const contentType = request.headers.get('content-type') ?? '';
  if (!JSON_MEDIA_TYPE.test(contentType)) {
    throw problemException(
      createProblem(
        HttpProblemCode.UnsupportedMediaType,
        `The body must be application/json${contentType ? `, not ${contentType}` : ' (no Content-Type was given)'}.`,
        instance,
      ),
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw problemException(createProblem(HttpProblemCode.MalformedJson, `The body is not valid JSON: ${(error as Error).message}`, instance));
  }
}

/** A 413 problem when the request declares a body over the limit. */
export function assertDeclaredBodySize(request: Request, limitBytes: number): void {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limitBytes) throw tooLarge(limitBytes, new URL(request.url).pathname);
}

/**
 * The body as text, read as it streams and refused once past the limit, so a chunked upload
 * without a Content-Length is bounded too (read here rather than by Hono's body-limit
 * middleware, which rebuilds the request with the global `Request` and so fails on
 * `@hono/node-server`'s own request objects).
 */
async function readBodyText(request: Request, limitBytes: number, instance: string): Promise<string> {
  assertDeclaredBodySize(request, limitBytes);
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limitBytes, instance);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limitBytes: number, instance: string) {
  return problemException(createProblem(HttpProblemCode.PayloadTooLarge, `The body is larger than ${limitBytes} bytes.`, instance));
}

/**
 * A body that must be a JSON object, merged with the route's path parameters; a body that names
 * a path parameter itself is refused rather than silently overridden.
 */
export function withPathParameters(body: unknown, parameters: Record<string, string>): Record<string, unknown> {
  if (body === undefined) return { ...parameters };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ZapValidationError({ message: 'The body must be a JSON object.' });
  }
  for (const name of Object.keys(parameters)) {
    if (name in body) throw new ZapValidationError({ message: `'${name}' is given by the path; leave it out of the body.` });
  }
  return { ...(body as Record<string, unknown>), ...parameters };
}
