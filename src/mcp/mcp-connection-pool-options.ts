import { defaultMcpClientInfo } from './mcp-client-info';

/** Time allowed to start a server and complete the MCP `initialize` handshake. */
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 30_000;
/** Time allowed for one tool call when the caller gives none. */
export const DEFAULT_MCP_CALL_TIMEOUT_MS = 60_000;
/** Connection attempts (first one included) before a connect or reconnect gives up. */
export const DEFAULT_MCP_MAX_CONNECT_ATTEMPTS = 3;
/** Wait before the second connection attempt; doubled for each further attempt. */
export const DEFAULT_MCP_RECONNECT_BACKOFF_MS = 200;

/**
 * Where the pool reports connection problems and what its stdio servers write to stderr. Zap's
 * `ZapLogger` and `console` both fit.
 */
export interface McpConnectionPoolLogger {
  /** Connection losses and errors reported by servers. */
  warn(message: string, meta?: object): void;
  /** Reconnects; also each stderr line of a stdio server when there is no `debug`. */
  info?(message: string, meta?: object): void;
  /** Each stderr line of a stdio server, prefixed with the server's name (line-buffered, length- and rate-bounded). */
  debug?(message: string, meta?: object): void;
}

/** Options of {@link McpConnectionPool}. */
export interface McpConnectionPoolOptions {
  /**
   * Name and version the pool announces to MCP servers.
   * @default { name: 'zap-agents', version: <version of the zap-agents package, or '0.1.0'> }
   */
  clientInfo?: { name: string; version: string };
  /** Time allowed to start a server and complete the `initialize` handshake, per attempt. @default 30_000 */
  connectTimeoutMs?: number;
  /** Timeout of a tool call whose {@link McpCallOptions.timeoutMs} is not given. @default 60_000 */
  defaultCallTimeoutMs?: number;
  /** Connection attempts (first one included) before giving up on a server. @default 3 */
  maxConnectAttempts?: number;
  /** Wait before the second attempt, doubled for each further one. @default 200 */
  reconnectBackoffMs?: number;
  /**
   * Receives connection losses, reconnects and each stderr line of stdio servers (at `debug`, else
   * `info`; not logged when the logger has neither).
   * @default no logging
   */
  logger?: McpConnectionPoolLogger;
}

/** Options of one {@link McpConnectionPool.callTool} call. */
export interface McpCallOptions {
  /**
   * Sent as the request `_meta` (zap-agents puts the task id, tool call id, idempotency key and
   * user context here).
   */
  meta?: Record<string, unknown>;
  /** Cancels the call; the server is sent `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Timeout of this call. @default the pool's `defaultCallTimeoutMs` */
  timeoutMs?: number;
  /** The model's id of this call, reported in the `ToolExecutionError` of a failed call. */
  toolCallId?: string;
}

/** {@link McpConnectionPoolOptions} with defaults applied and numbers validated. */
export interface CompiledMcpConnectionPoolOptions {
  clientInfo: { name: string; version: string };
  connectTimeoutMs: number;
  defaultCallTimeoutMs: number;
  maxConnectAttempts: number;
  reconnectBackoffMs: number;
  logger: McpConnectionPoolLogger | undefined;
  /** Logs one stderr line of a stdio server; undefined when the logger has no `debug` or `info`. */
  logStderrLine: ((serverName: string, line: string) => void) | undefined;
}

/** Applies the defaults of {@link McpConnectionPoolOptions} once, at construction. */
export function compileMcpConnectionPoolOptions(options: McpConnectionPoolOptions): CompiledMcpConnectionPoolOptions {
  return {
    clientInfo: options.clientInfo ?? defaultMcpClientInfo(),
    connectTimeoutMs: positiveOrDefault(options.connectTimeoutMs, DEFAULT_MCP_CONNECT_TIMEOUT_MS),
    defaultCallTimeoutMs: positiveOrDefault(options.defaultCallTimeoutMs, DEFAULT_MCP_CALL_TIMEOUT_MS),
    maxConnectAttempts: Math.max(1, Math.floor(options.maxConnectAttempts ?? DEFAULT_MCP_MAX_CONNECT_ATTEMPTS)),
    reconnectBackoffMs: Math.max(0, options.reconnectBackoffMs ?? DEFAULT_MCP_RECONNECT_BACKOFF_MS),
    logger: options.logger,
    logStderrLine: stderrLineLogger(options.logger),
  };
}

/** `value` when it is a finite positive number, else `fallback`. */
export function positiveOrDefault(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Where stderr lines of stdio servers go: the logger's `debug`, else its `info`, else nowhere. */
function stderrLineLogger(
  logger: McpConnectionPoolLogger | undefined,
): ((serverName: string, line: string) => void) | undefined {
  const level = typeof logger?.debug === 'function' ? 'debug' : typeof logger?.info === 'function' ? 'info' : undefined;
  if (logger === undefined || level === undefined) return undefined;
  return (serverName, line) => logger[level]?.(`MCP server '${serverName}' stderr: ${line}`, { server: serverName });
}
