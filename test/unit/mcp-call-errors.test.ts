import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ToolExecutionError } from '../../src/core/errors';
import {
  classifyMcpCallFailure,
  describeError,
  hasErrorCode,
  isHttpStreamOrSocketLoss,
  isPermanentConnectFailure,
  isUndeliveredMcpRequest,
  mayMeanHttpServerGone,
  toolCallCancelledError,
  toolCallFailureError,
  type ToolCallFailureInput,
} from '../../src/mcp/mcp-call-errors';

/** An error shaped like Node's and undici's: errno `code`, wrapped in `cause`. */
function errnoError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function fetchFailed(code: string): Error {
  return new TypeError('fetch failed', { cause: errnoError(`connect ${code} 127.0.0.1:1`, code) });
}

const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out');
const connectionClosed = new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
const protocolError = new McpError(ErrorCode.InvalidParams, 'bad arguments');

describe('isUndeliveredMcpRequest', () => {
  it('treats "Not connected" (rejected before sending) as undelivered on any transport', () => {
    for (const transport of ['stdio', 'http'] as const) {
      expect(isUndeliveredMcpRequest(new Error('Not connected'), { sendFailed: false, transport })).toBe(true);
    }
  });

  it('does not take an McpError for the SDK\'s "Not connected"', () => {
    const error = Object.assign(new McpError(ErrorCode.InternalError, 'x'), { message: 'Not connected' });
    expect(isUndeliveredMcpRequest(error, { sendFailed: false, transport: 'stdio' })).toBe(false);
  });

  it('says nothing was delivered only when the send itself failed', () => {
    const error = new Error('write EPIPE');
    expect(isUndeliveredMcpRequest(error, { sendFailed: false, transport: 'stdio' })).toBe(false);
    expect(isUndeliveredMcpRequest(error, { sendFailed: true, transport: 'stdio' })).toBe(true);
  });

  it('over HTTP, only an unknown session (404) or a refused connection was not delivered', () => {
    const sent = { sendFailed: true, transport: 'http' } as const;
    expect(isUndeliveredMcpRequest(new StreamableHTTPError(404, 'Session not found'), sent)).toBe(true);
    expect(isUndeliveredMcpRequest(new StreamableHTTPError(500, 'Internal error'), sent)).toBe(false);
    expect(isUndeliveredMcpRequest(fetchFailed('ECONNREFUSED'), sent)).toBe(true);
    // A reset socket may have carried the request: the tool may have run.
    expect(isUndeliveredMcpRequest(fetchFailed('ECONNRESET'), sent)).toBe(false);
    expect(isUndeliveredMcpRequest(new AggregateError([errnoError('x', 'ECONNREFUSED')]), sent)).toBe(true);
  });
});

describe('classifyMcpCallFailure', () => {
  const alive = { aborted: false, connectionAlive: true };

  it('reports an aborted call as cancelled, whatever the error', () => {
    expect(classifyMcpCallFailure(timeout, { aborted: true, connectionAlive: false })).toBe('cancelled');
  });

  it('reports the SDK request timeout as timed out, even when the connection died too', () => {
    expect(classifyMcpCallFailure(timeout, alive)).toBe('timed-out');
    expect(classifyMcpCallFailure(timeout, { aborted: false, connectionAlive: false })).toBe('timed-out');
  });

  it.each([
    ['a closed connection', connectionClosed],
    ['a dropped SSE stream', new Error('SSE stream disconnected: TypeError: terminated')],
    ['a reset socket', fetchFailed('ECONNRESET')],
    ['a closed undici socket', new TypeError('terminated', { cause: errnoError('other side closed', 'UND_ERR_SOCKET') })],
  ])('reports %s as connection lost', (_name, error) => {
    expect(classifyMcpCallFailure(error, alive)).toBe('connection-lost');
  });

  it('reports any error on a connection that is out of service as connection lost', () => {
    expect(classifyMcpCallFailure(protocolError, { aborted: false, connectionAlive: false })).toBe('connection-lost');
  });

  it('reports other errors on a live connection as failed', () => {
    expect(classifyMcpCallFailure(protocolError, alive)).toBe('failed');
    expect(classifyMcpCallFailure(new StreamableHTTPError(500, 'Internal error'), alive)).toBe('failed');
  });
});

describe('toolCallFailureError', () => {
  const base: ToolCallFailureInput = {
    kind: 'failed',
    error: protocolError,
    serverName: 'files',
    toolName: 'read_file',
    target: 'command: node server.js',
    timeoutMs: 1_500,
    lostReason: undefined,
    stderrSuffix: '\nLast stderr output of the server:\nboom',
  };

  it('marks timeouts as outcome unknown', () => {
    const error = toolCallFailureError({ ...base, kind: 'timed-out', error: timeout });
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toBe("MCP tool 'read_file' on server 'files' timed out after 1500 ms.");
    expect(error.outcomeUnknown).toBe(true);
    expect(error.cause).toBe(timeout);
    expect(error).toMatchObject({ toolName: 'read_file', toolCallId: undefined });
  });

  it('names the server, its target, the reason and the stderr tail of a lost connection', () => {
    const error = toolCallFailureError({ ...base, kind: 'connection-lost', lostReason: 'the server process exited' });
    expect(error.message).toBe(
      "MCP server 'files' (command: node server.js) disconnected while tool 'read_file' was running " +
        '(the server process exited); the call may or may not have taken effect.\nLast stderr output of the server:\nboom',
    );
    expect(error.outcomeUnknown).toBe(true);
  });

  it('describes the error of a lost connection whose reason is unknown', () => {
    const error = toolCallFailureError({ ...base, kind: 'connection-lost', error: connectionClosed, stderrSuffix: '' });
    expect(error.message).toContain('was running (MCP error -32000: Connection closed); the call may');
  });

  it('keeps cancellations and plain failures retryable', () => {
    const cancelled = toolCallFailureError({ ...base, kind: 'cancelled' });
    expect(cancelled.message).toBe("MCP tool 'read_file' on server 'files' was cancelled.");
    expect(cancelled.outcomeUnknown).toBe(false);
    const failed = toolCallFailureError(base);
    expect(failed.message).toBe("MCP tool 'read_file' on server 'files' failed: MCP error -32602: bad arguments");
    expect(failed.outcomeUnknown).toBe(false);
    expect(failed.message).not.toContain('stderr');
  });

  it('builds the same cancellation as a call aborted before it was sent', () => {
    const reason = new Error('aborted');
    const error = toolCallCancelledError({ toolName: 'read_file', toolCallId: 'call_1', serverName: 'files', cause: reason });
    expect(error.message).toBe(toolCallFailureError({ ...base, kind: 'cancelled' }).message);
    expect(error.cause).toBe(reason);
    expect(error).toMatchObject({ toolName: 'read_file', toolCallId: 'call_1' });
  });
});

describe('HTTP connection loss', () => {
  it('recognizes dropped streams and sockets', () => {
    expect(isHttpStreamOrSocketLoss(new Error('SSE stream disconnected: x'))).toBe(true);
    expect(isHttpStreamOrSocketLoss(fetchFailed('EPIPE'))).toBe(true);
    expect(isHttpStreamOrSocketLoss(new Error('Failed to open SSE stream: Not Found'))).toBe(false);
    expect(isHttpStreamOrSocketLoss(new StreamableHTTPError(404, 'Session not found'))).toBe(false);
  });

  it('checks the server after any SSE stream error or unknown session, not after other errors', () => {
    expect(mayMeanHttpServerGone(new Error('Failed to open SSE stream: Not Found'))).toBe(true);
    expect(mayMeanHttpServerGone(new StreamableHTTPError(404, 'Session not found'))).toBe(true);
    expect(mayMeanHttpServerGone(fetchFailed('ECONNREFUSED'))).toBe(true);
    expect(mayMeanHttpServerGone(new StreamableHTTPError(500, 'Internal error'))).toBe(false);
    expect(mayMeanHttpServerGone(protocolError)).toBe(false);
  });
});

describe('isPermanentConnectFailure', () => {
  it.each(['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR'])('gives up on %s', (code) => {
    expect(isPermanentConnectFailure(errnoError(`spawn x ${code}`, code))).toBe(true);
  });

  it.each([400, 401, 403, 404, 405])('gives up on HTTP %i', (status) => {
    expect(isPermanentConnectFailure(new StreamableHTTPError(status, 'x'))).toBe(true);
  });

  it.each([408, 425, 429, 500, 502, 503])('tries again after HTTP %i', (status) => {
    expect(isPermanentConnectFailure(new StreamableHTTPError(status, 'x'))).toBe(false);
  });

  it('tries again after refused connections and timeouts', () => {
    expect(isPermanentConnectFailure(fetchFailed('ECONNREFUSED'))).toBe(false);
    expect(isPermanentConnectFailure(timeout)).toBe(false);
  });
});

describe('describeError', () => {
  it('joins the messages of the cause chain, with errno codes', () => {
    expect(describeError(fetchFailed('ECONNREFUSED'))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(errnoError('spawn zap ENOENT', 'ENOENT'))).toBe('spawn zap ENOENT');
    expect(describeError(errnoError('socket hang up', 'ECONNRESET'))).toBe('socket hang up (ECONNRESET)');
  });

  it('names the HTTP status of the SDK\'s HTTP errors', () => {
    expect(describeError(new StreamableHTTPError(401, 'Unauthorized'))).toBe(
      'HTTP 401: Streamable HTTP error: Unauthorized',
    );
  });

  it('describes values that are not errors', () => {
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(new Error(''))).toBe('unknown error');
  });
});

describe('hasErrorCode', () => {
  it('follows causes and aggregate errors, but not forever', () => {
    expect(hasErrorCode(new AggregateError([new Error('a'), fetchFailed('ECONNRESET')]), 'ECONNRESET')).toBe(true);
    let deep: unknown = errnoError('x', 'EPIPE');
    for (let depth = 0; depth < 10; depth += 1) deep = new Error('wrapper', { cause: deep });
    expect(hasErrorCode(deep, 'EPIPE')).toBe(false);
    expect(hasErrorCode(null, 'EPIPE')).toBe(false);
  });
});
