import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { DEFAULT_MCP_MAX_SESSIONS, DEFAULT_MCP_SESSION_IDLE_TIMEOUT_MS } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import type { Principal, ZapOperations } from '../operations';
import { hostRefusal, normalizeAllowedHosts } from './allowed-hosts';
import { createZapMcpServer } from './create-zap-mcp-server';
import { McpHttpSessions, type McpHttpSession } from './mcp-http-sessions';

/** Options of {@link createMcpHttpHandler}. */
export interface McpHttpHandlerOptions {
  /** The service layer every tool call goes through. */
  operations: ZapOperations;
  /**
   * DNS-rebinding protection: hostnames (any port) a request's `Host`, and its `Origin` when
   * present, must name; others get 403. Set it when the endpoint answers without
   * authentication on this machine (`LOCALHOST_NAMES`); behind authentication a rebound page
   * has no credentials, so it is not needed.
   * @default undefined (no check)
   */
  allowedHosts?: readonly string[];
  /** How long a session with no request and no open stream lives. @default 30 minutes (DEFAULT_MCP_SESSION_IDLE_TIMEOUT_MS) */
  sessionIdleTimeoutMs?: number;
  /** Open sessions at most; past it the least recently used idle one is closed. @default 1000 (DEFAULT_MCP_MAX_SESSIONS) */
  maxSessions?: number;
  /** Server name announced in `initialize`. @default 'zap-agents' */
  name?: string;
}

/** Answers one MCP Streamable HTTP request (POST, GET or DELETE) as `principal`. */
export interface McpHttpHandler {
  (request: Request, principal: Principal): Promise<Response>;
  /** Closes every session: calls in flight are aborted, streams end. */
  close(): Promise<void>;
}

/**
 * The zap-agents MCP server over Streamable HTTP, as a web-standard `Request → Response`
 * function to mount behind your authentication (the HTTP API serves it at `/mcp`): the caller
 * authenticates each request and passes its principal.
 *
 * Sessions, not stateless: a session is the one server instance that runs a client's calls, so
 * a `notifications/cancelled` (a separate POST) reaches the `wait_for_task` it cancels, and the
 * optional GET stream has somewhere to come from. Each session is bound to the principal that
 * opened it; a request with another principal's session id is answered 404, as an unknown id,
 * which is also what a client gets after the server restarted or the session expired: it
 * initializes again (zap-agents' own MCP client does so by itself). Sessions live in this
 * process's memory, so several replicas behind one address need sticky routing on the
 * `Mcp-Session-Id` header. Nothing else is kept: tasks live in Temporal.
 *
 * @example
 * ```ts
 * const mcp = createMcpHttpHandler({ operations: new ZapOperations({ zap }) });
 * app.all('/mcp', async (c) => mcp(c.req.raw, await authenticate(c.req.raw)));
 * ```
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const { operations, name } = options;
  const idleTimeoutMs = positiveInteger(options.sessionIdleTimeoutMs, DEFAULT_MCP_SESSION_IDLE_TIMEOUT_MS, 'sessionIdleTimeoutMs');
  const maxSessions = positiveInteger(options.maxSessions, DEFAULT_MCP_MAX_SESSIONS, 'maxSessions');
  const allowedHosts = options.allowedHosts ? normalizeAllowedHosts(options.allowedHosts) : undefined;
  const sessions = new McpHttpSessions({ idleTimeoutMs, maxSessions });

  const openSession = async (request: Request, principal: Principal): Promise<Response> => {
    if (!sessions.makeRoom()) return jsonRpcErrorResponse(503, 'Too many open MCP sessions; try again later.');
    const server = createZapMcpServer({ operations, principal, ...(name !== undefined ? { name } : {}) });
    let session: McpHttpSession | undefined;
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = { id, server, transport, principal, openResponses: 0, lastActiveAt: Date.now() };
        sessions.add(session);
      },
    });
    server.server.onclose = () => {
      if (session) sessions.remove(session.id);
    };
    await server.connect(transport);
    try {
      const response = await transport.handleRequest(request);
      // Anything but an `initialize` without a session id is refused by the transport (400).
      if (!session) await server.close();
      return session ? sessions.track(session, response) : response;
    } catch (error) {
      await server.close();
      throw error;
    }
  };

  const handler = async (request: Request, principal: Principal): Promise<Response> => {
    const refusal = allowedHosts ? hostRefusal(request, allowedHosts) : undefined;
    if (refusal) return jsonRpcErrorResponse(403, refusal);
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId === null) return openSession(request, principal);
    const session = sessions.find(sessionId, principal);
    if (!session) return jsonRpcErrorResponse(404, 'Session not found', -32001);
    return sessions.track(session, await session.transport.handleRequest(request));
  };
  return Object.assign(handler, { close: () => sessions.closeAll() });
}

/** A JSON-RPC error without an id, as the SDK's transport answers refused HTTP requests. */
function jsonRpcErrorResponse(status: number, message: string, code = -32000): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ZapConfigurationError({ message: `createMcpHttpHandler: '${option}' must be a positive integer, got ${String(value)}.` });
  }
  return value;
}
