import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Zap } from '../client/zap';
import {
  DEFAULT_HTTP_BASE_PATH,
  DEFAULT_HTTP_BODY_LIMIT_BYTES,
  DEFAULT_READINESS_TIMEOUT_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
} from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import { hostRefusal, normalizeAllowedHosts } from '../mcp-server/allowed-hosts';
import { createMcpHttpHandler } from '../mcp-server/mcp-http-handler';
import type { Principal } from '../operations/principal';
import { ZapOperations } from '../operations/zap-operations';
import type { Authenticator } from './authenticator';
import { HTTP_ROUTES, type HttpRoute } from './http-routes';
import { createOpenApiDocument } from './openapi-document';
import { createProblem, HttpProblemCode, problemException, problemResponse } from './problem-details';
import { problemFromError } from './problem-from-error';
import { assertKnownQueryParameters } from './query-parameters';
import { assertDeclaredBodySize, readJsonBody } from './request-body';
import { SCHEDULE_ROUTES } from './schedule-routes';

/**
 * Serves MCP (Streamable HTTP) for an authenticated principal, e.g. the handler of
 * `createMcpHttpHandler({ operations })` from `zap-agents/mcp-server`.
 */
export type McpRequestHandler = (request: Request, principal: Principal) => Promise<Response>;

/** Where the API's operations come from: a started `Zap`, or the `ZapOperations` you share with other faces. */
export type HttpApiSource =
  | {
      /** The started `Zap` whose tasks the API serves (wrapped in a `ZapOperations`). */
      zap: Zap<any>;
      operations?: undefined;
    }
  | {
      /** The operations the API serves (share one between the HTTP API, MCP and your code). */
      operations: ZapOperations;
      zap?: undefined;
    };

/** Options of {@link createHttpApi}. */
export type CreateHttpApiOptions = HttpApiSource & {
  /**
   * Who sends each request to `/v1/*` and `/mcp`: a principal, or undefined for 401 (with
   * `WWW-Authenticate: Bearer`). `bearerTokenAuthenticator({ tokens })` is built in;
   * `allowAnyone()` is for local development. `/healthz`, `/readyz` and `/openapi.json` need
   * no credentials.
   */
  authenticate: Authenticator;
  /**
   * Prefix of every route, e.g. `/zap` for `/zap/v1/tasks`: starts with `/`, does not end with one.
   * @default ''
   */
  basePath?: string;
  /**
   * Largest request body in bytes; a larger one is a 413 problem.
   * @default DEFAULT_HTTP_BODY_LIMIT_BYTES (1 MiB)
   */
  bodyLimitBytes?: number;
  /**
   * Interval of the comment heartbeat of an idle event stream, in milliseconds.
   * @default DEFAULT_SSE_HEARTBEAT_MS (15 s)
   */
  heartbeatIntervalMs?: number;
  /**
   * How long `GET /readyz` waits for Temporal, in milliseconds.
   * @default DEFAULT_READINESS_TIMEOUT_MS (2 s)
   */
  readinessTimeoutMs?: number;
  /**
   * What `ALL /mcp` serves, after authentication: the operations as MCP tools over Streamable
   * HTTP, for the authenticated principal. Pass your own handler (e.g. `createMcpHttpHandler`
   * with other options, which you then close yourself), or `false` for no `/mcp` route.
   * @default createMcpHttpHandler({ operations }) from `zap-agents/mcp-server`
   */
  mcp?: McpRequestHandler | false;
  /**
   * DNS-rebinding protection: requests whose `Host` (and `Origin`, when present) name none of
   * these hostnames get a 403 problem. Use `LOCALHOST_NAMES` (from `zap-agents/mcp-server`) for a
   * server on 127.0.0.1 without authentication, so a web page re-pointed at it cannot act.
   * @default undefined (no check)
   */
  allowedHosts?: readonly string[];
  /**
   * Told about each error answered with a 500, whose details the answer does not reveal.
   * @default logs to console.error
   */
  onUnexpectedError?: (error: unknown, request: Request) => void;
};

/** {@link CreateHttpApiOptions} validated, with every default applied. */
interface CompiledHttpApiOptions {
  operations: ZapOperations;
  authenticate: Authenticator;
  basePath: string;
  bodyLimitBytes: number;
  heartbeatIntervalMs: number;
  readinessTimeoutMs: number;
  mcp: McpRequestHandler | undefined;
  allowedHosts: ReadonlySet<string> | undefined;
  /** Closes the MCP handler the API created itself (sessions and their streams). */
  closeMcp: () => Promise<void>;
  onUnexpectedError: (error: unknown, request: Request) => void;
}

/** Every route the API serves but `/mcp`: the task and service routes, then the schedule routes. */
export const API_ROUTES: readonly HttpRoute[] = Object.freeze([...HTTP_ROUTES, ...SCHEDULE_ROUTES]);

/** The principal of the routes that need no credentials: it may do nothing. */
const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ roles: Object.freeze([]) });

/**
 * The HTTP API of a Zap as a Hono app: serve it with `serveHttpApi`, or mount it in your own
 * Hono (or any fetch-based) server. Every route goes through `ZapOperations` with the principal
 * `authenticate` establishes, so tenants see only their own tasks (another tenant's task is 404
 * on every route) and roles are enforced (403). Routes (under `basePath`): `POST /v1/tasks`,
 * `GET /v1/tasks`, `GET /v1/tasks/{id}`, `…/history`, `…/events` (SSE), `POST …/messages`,
 * `GET …/approvals`, `POST …/approvals/{approvalId}`, `POST …/decisions` (several at once),
 * `POST …/events/{name}`, `POST …/wait`,
 * `POST …/cancel`, `GET …/usage`, `POST /v1/schedules`, `GET /v1/schedules`,
 * `GET|PATCH|DELETE /v1/schedules/{id}`, `POST …/pause|unpause|trigger`, `GET /healthz`,
 * `GET /readyz`, `GET /openapi.json`, and `ALL /mcp` (unless `mcp: false`). Errors are `application/problem+json` (RFC 9457).
 *
 * @example
 * ```ts
 * import { bearerTokenAuthenticator, createHttpApi } from 'zap-agents/http';
 *
 * const api = createHttpApi({
 *   zap,
 *   authenticate: bearerTokenAuthenticator({ tokens: { [process.env.API_TOKEN!]: { tenantId: 'acme', roles: ['read', 'start'] } } }),
 * });
 * myHonoApp.route('/', api); // or: serve({ fetch: api.fetch, port: 8080 })
 * ```
 */
export function createHttpApi(options: CreateHttpApiOptions): Hono {
  return buildHttpApi(options).app;
}

/** The app, and how to close what it created itself (its MCP sessions): for `serveHttpApi`. */
export function buildHttpApi(options: CreateHttpApiOptions): { app: Hono; close(): Promise<void> } {
  const settings = compileHttpApiOptions(options);
  const app = new Hono();
  if (settings.allowedHosts) {
    const allowed = settings.allowedHosts;
    app.use('*', async (context, next) => {
      const refusal = hostRefusal(context.req.raw, allowed);
      if (refusal) return problemResponse(createProblem(HttpProblemCode.HostNotAllowed, refusal, context.req.path));
      await next();
    });
  }
  let document: Record<string, unknown> | undefined;
  const openApiDocument = () =>
    (document ??= createOpenApiDocument({ routes: API_ROUTES, basePath: settings.basePath, mcp: settings.mcp !== undefined }));

  const authenticate = async (request: Request): Promise<Principal> => {
    const principal = await settings.authenticate(request);
    if (principal === undefined) {
      throw problemException(
        createProblem(HttpProblemCode.Unauthenticated, 'Authentication required: send Authorization: Bearer <token>.', new URL(request.url).pathname),
        { 'www-authenticate': 'Bearer realm="zap-agents"' },
      );
    }
    return principal;
  };

  for (const route of API_ROUTES) {
    const queryNames = route.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    app.on(route.method.toUpperCase(), settings.basePath + honoPath(route), async (context) => {
      const request = context.req.raw;
      const principal = route.authenticated ? await authenticate(request) : ANONYMOUS_PRINCIPAL;
      const query = new URL(request.url).searchParams;
      assertKnownQueryParameters(query, queryNames);
      return route.handle({
        operations: settings.operations,
        principal,
        request,
        parameters: context.req.param() as Record<string, string>,
        query,
        basePath: settings.basePath,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        readinessTimeoutMs: settings.readinessTimeoutMs,
        instance: context.req.path,
        readJson: ({ required }) => readJsonBody(request, { required, limitBytes: settings.bodyLimitBytes }),
        openApiDocument,
      });
    });
  }

  const mcp = settings.mcp;
  if (mcp) {
    app.all(`${settings.basePath}/mcp`, async (context) => {
      const principal = await authenticate(context.req.raw);
      // The MCP transport reads its body itself: the declared size is what can be checked here.
      assertDeclaredBodySize(context.req.raw, settings.bodyLimitBytes);
      return mcp(context.req.raw, principal);
    });
  }

  app.notFound((context) =>
    problemResponse(createProblem(HttpProblemCode.RouteNotFound, `No route ${context.req.method} ${context.req.path}.`, context.req.path)),
  );
  app.onError((error, context) => {
    if (error instanceof HTTPException && error.res) return error.getResponse();
    const problem = problemFromError(error, context.req.path);
    if (problem.code === HttpProblemCode.Internal) settings.onUnexpectedError(error, context.req.raw);
    return problemResponse(problem);
  });
  return { app, close: settings.closeMcp };
}

/** `/v1/tasks/{taskId}` → `/v1/tasks/:taskId`. */
function honoPath(route: HttpRoute): string {
  return route.path.replace(/\{(\w+)\}/g, ':$1');
}

function compileHttpApiOptions(options: CreateHttpApiOptions): CompiledHttpApiOptions {
  if (typeof options !== 'object' || options === null) throw new ZapConfigurationError({ message: 'createHttpApi needs options.' });
  const { zap, operations } = options;
  if ((zap === undefined) === (operations === undefined)) {
    throw new ZapConfigurationError({ message: 'createHttpApi needs exactly one of `zap` and `operations`.' });
  }
  if (typeof options.authenticate !== 'function') {
    throw new ZapConfigurationError({
      message: 'createHttpApi needs `authenticate` (e.g. bearerTokenAuthenticator({ tokens }), or allowAnyone() for local development).',
    });
  }
  const basePath = options.basePath ?? DEFAULT_HTTP_BASE_PATH;
  if (basePath !== '' && !/^(\/[\w.~-]+)+$/.test(basePath)) {
    throw new ZapConfigurationError({ message: `basePath must be '' or like '/zap' (a leading slash, none at the end), not '${basePath}'.` });
  }
  if (options.mcp !== undefined && options.mcp !== false && typeof options.mcp !== 'function') {
    throw new ZapConfigurationError({ message: 'mcp must be a function (request, principal) => Promise<Response>, or false.' });
  }
  const resolvedOperations = operations ?? new ZapOperations({ zap: zap! });
  const ownMcp =
    options.mcp === undefined
      ? createMcpHttpHandler({ operations: resolvedOperations, ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) })
      : undefined;
  return {
    operations: resolvedOperations,
    authenticate: options.authenticate,
    basePath,
    bodyLimitBytes: positiveInteger('bodyLimitBytes', options.bodyLimitBytes, DEFAULT_HTTP_BODY_LIMIT_BYTES),
    heartbeatIntervalMs: positiveInteger('heartbeatIntervalMs', options.heartbeatIntervalMs, DEFAULT_SSE_HEARTBEAT_MS),
    readinessTimeoutMs: positiveInteger('readinessTimeoutMs', options.readinessTimeoutMs, DEFAULT_READINESS_TIMEOUT_MS),
    mcp: ownMcp ?? (options.mcp === false ? undefined : options.mcp),
    allowedHosts: options.allowedHosts ? normalizeAllowedHosts(options.allowedHosts) : undefined,
    closeMcp: async () => ownMcp?.close(),
    onUnexpectedError: options.onUnexpectedError ?? ((error) => console.error('[zap-agents/http] unexpected error:', error)),
  };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ZapConfigurationError({ message: `${name} must be a positive integer, not ${String(value)}.` });
  return value;
}
