/**
 * The HTTP API of zap-agents: a Hono app over `ZapOperations` (the same service layer as the CLI
 * and the MCP server), with bearer-token authentication, tenancy and roles, server-sent events,
 * RFC 9457 problem details and an OpenAPI 3.1 document.
 *
 * @example
 * ```ts
 * import { bearerTokenAuthenticator, serveHttpApi } from 'zap-agents/http';
 *
 * const server = await serveHttpApi({
 *   zap,
 *   port: 8080,
 *   authenticate: bearerTokenAuthenticator({ tokens: { [process.env.API_TOKEN!]: { roles: ['read', 'start', 'approve'] } } }),
 * });
 * ```
 * @module
 */
export { createHttpApi, type CreateHttpApiOptions, type HttpApiSource, type McpRequestHandler } from './create-http-api';
export { serveHttpApi, type HttpApiServer, type ServeHttpApiOptions } from './serve-http-api';
export { allowAnyone, type Authenticator } from './authenticator';
export { bearerTokenAuthenticator, type BearerTokenAuthenticatorOptions } from './bearer-token-authenticator';
export {
  HttpProblemCode,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE_URI,
  problemDetailsSchema,
  problemTypeUri,
  type ProblemDetails,
} from './problem-details';
export type { Principal, Role } from '../operations/principal';
export { OPERATOR_PRINCIPAL } from '../operations/principal';
