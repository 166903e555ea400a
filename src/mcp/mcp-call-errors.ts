/**
 * What a failed MCP request means: whether it reached the server (so resending it cannot run a
 * tool twice), whether another connection attempt can help, and how a failed tool call is reported
 * (cancelled, timed out, connection lost mid-call, or failed). Pure functions of the error and of
 * what the connection knows, so they are tested without a server.
 * @module
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ToolExecutionError } from '../core/errors';

/** Error codes of failures that another connection attempt cannot fix. */
const PERMANENT_CONNECT_ERROR_CODES: readonly string[] = ['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR'];
/** Socket-level error codes meaning the HTTP server may have gone away (UND_ERR_SOCKET: undici's "other side closed"). */
const HTTP_CONNECTION_LOST_ERROR_CODES: readonly string[] = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'];
/** HTTP statuses that are worth another attempt; every other 4xx means the config is wrong. */
const TRANSIENT_HTTP_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);
/** How deep `cause` chains and aggregate `errors` are followed. */
const MAX_ERROR_DEPTH = 5;

/** The transport a request went out on. */
export type McpTransportKind = 'stdio' | 'http';

/** What a tool call that threw is reported as; see {@link classifyMcpCallFailure}. */
export type McpCallFailureKind = 'cancelled' | 'timed-out' | 'connection-lost' | 'failed';

/**
 * True when `error` means the request never reached the server, so sending it again cannot run
 * the tool twice.
 *
 * @param error what the request was rejected with
 * @param state.sendFailed whether the transport failed to send this very request
 * @param state.transport the transport the request went out on
 */
export function isUndeliveredMcpRequest(
  error: unknown,
  state: { sendFailed: boolean; transport: McpTransportKind },
): boolean {
  // The SDK rejects before sending when the client has no transport any more.
  if (!(error instanceof McpError) && errorMessage(error) === 'Not connected') return true;
  if (!state.sendFailed) return false;
  // stdio send only fails when the process is already gone: nothing was written.
  if (state.transport === 'stdio') return true;
  // HTTP: the server answered "unknown session" (did not run it) or nothing listens on the port.
  if (error instanceof StreamableHTTPError) return error.code === 404;
  return hasErrorCode(error, 'ECONNREFUSED');
}

/**
 * Decides how a tool call that threw is reported.
 *
 * @param error what the call was rejected with
 * @param state.aborted whether the caller's signal is aborted
 * @param state.connectionAlive whether the connection the call went out on is still in service
 * @returns `cancelled` when the caller aborted; `timed-out` when the call's timeout passed;
 *   `connection-lost` when the connection closed, died or dropped its stream or socket (the tool
 *   may or may not have run); `failed` for everything else (e.g. a protocol error)
 */
export function classifyMcpCallFailure(
  error: unknown,
  state: { aborted: boolean; connectionAlive: boolean },
): McpCallFailureKind {
  if (state.aborted) return 'cancelled';
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return 'timed-out';
  if (
    (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) ||
    !state.connectionAlive ||
    isHttpStreamOrSocketLoss(error)
  ) {
    return 'connection-lost';
  }
  return 'failed';
}

/** Input of {@link toolCallFailureError}. */
export interface ToolCallFailureInput {
  kind: McpCallFailureKind;
  error: unknown;
  serverName: string;
  toolName: string;
  /** The model's id of the call, when the caller gave it. */
  toolCallId?: string;
  /** The server's command or url, from `describeMcpServerTarget`. */
  target: string;
  timeoutMs: number;
  /** Why the connection died, when it is known. */
  lostReason: string | undefined;
  /** Tail of the server's stderr, used for `connection-lost` only. */
  stderrSuffix: string;
}

/**
 * The error a failed tool call throws. Timeouts and lost connections are `outcomeUnknown`: the
 * tool may have run, and only the caller's retry policy knows whether running it twice is acceptable.
 */
export function toolCallFailureError(input: ToolCallFailureInput): ToolExecutionError {
  const { kind, error, serverName, toolName, toolCallId } = input;
  switch (kind) {
    case 'cancelled':
      return toolCallCancelledError({ toolName, toolCallId, serverName, cause: error });
    case 'timed-out':
      return new ToolExecutionError({
        toolName,
        toolCallId,
        message: `MCP tool '${toolName}' on server '${serverName}' timed out after ${input.timeoutMs} ms.`,
        cause: error,
        outcomeUnknown: true,
      });
    case 'connection-lost':
      return new ToolExecutionError({
        toolName,
        toolCallId,
        message:
          `MCP server '${serverName}' (${input.target}) disconnected while tool '${toolName}' ` +
          `was running (${input.lostReason ?? describeError(error)}); the call may or may not have taken effect.` +
          input.stderrSuffix,
        cause: error,
        outcomeUnknown: true,
      });
    case 'failed':
      return new ToolExecutionError({
        toolName,
        toolCallId,
        message: `MCP tool '${toolName}' on server '${serverName}' failed: ${describeError(error)}`,
        cause: error,
      });
  }
}

/** Input of {@link toolCallCancelledError}. */
export interface ToolCallCancelledInput {
  toolName: string;
  /** The model's id of the call, when the caller gave it. */
  toolCallId?: string;
  serverName: string;
  /** The abort reason. */
  cause: unknown;
}

/** The error of a tool call whose caller aborted it. */
export function toolCallCancelledError({ toolName, toolCallId, serverName, cause }: ToolCallCancelledInput): ToolExecutionError {
  return new ToolExecutionError({
    toolName,
    toolCallId,
    message: `MCP tool '${toolName}' on server '${serverName}' was cancelled.`,
    cause,
  });
}

/** True for HTTP transport errors saying a stream or socket dropped (the server may be gone). */
export function isHttpStreamOrSocketLoss(error: unknown): boolean {
  return (
    errorMessage(error).startsWith('SSE stream disconnected') ||
    HTTP_CONNECTION_LOST_ERROR_CODES.some((code) => hasErrorCode(error, code))
  );
}

/**
 * True when an error the HTTP transport reported outside any request may mean the server is gone:
 * a dropped stream, a dropped socket or an unknown session (404, e.g. on the standalone GET stream
 * after a server restart). A ping then tells.
 */
export function mayMeanHttpServerGone(error: unknown): boolean {
  return (
    isHttpStreamOrSocketLoss(error) ||
    (error instanceof StreamableHTTPError && error.code === 404) ||
    errorMessage(error).includes('SSE stream')
  );
}

/**
 * True when another connection attempt cannot fix the failure: a missing or non-executable
 * command, or an HTTP 4xx other than 408, 425 and 429.
 */
export function isPermanentConnectFailure(error: unknown): boolean {
  if (PERMANENT_CONNECT_ERROR_CODES.some((code) => hasErrorCode(error, code))) return true;
  if (error instanceof StreamableHTTPError && error.code !== undefined) {
    return error.code >= 400 && error.code < 500 && !TRANSIENT_HTTP_STATUSES.has(error.code);
  }
  return false;
}

/** Message of an error and of its causes (`fetch failed: connect ECONNREFUSED …`), with errno codes. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < MAX_ERROR_DEPTH && current !== undefined && current !== null; depth += 1) {
    if (!isObject(current) || typeof current['message'] !== 'string') {
      parts.push(String(current));
      break;
    }
    let text = current['message'];
    const code = current['code'];
    if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
    // The SDK's HTTP errors keep the status only in `code`.
    if (current instanceof StreamableHTTPError && typeof code === 'number' && code > 0) text = `HTTP ${code}: ${text}`;
    if (text.length > 0 && !parts.some((part) => part.includes(text))) parts.push(text);
    current = current['cause'];
  }
  return parts.join(': ') || 'unknown error';
}

/** The `message` of an error-like value, or the value as a string. */
export function errorMessage(error: unknown): string {
  return isObject(error) && typeof error['message'] === 'string' ? error['message'] : String(error);
}

/**
 * Looks for an errno-style `code` through `cause` chains and aggregate `errors`; by shape, because
 * errors from Node internals and undici may come from another realm (e.g. under Jest).
 */
export function hasErrorCode(error: unknown, code: string, depth = 0): boolean {
  if (!isObject(error) || depth > MAX_ERROR_DEPTH) return false;
  if (error['code'] === code) return true;
  const nested = error['errors'];
  if (Array.isArray(nested) && nested.some((inner) => hasErrorCode(inner, code, depth + 1))) return true;
  return hasErrorCode(error['cause'], code, depth + 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
