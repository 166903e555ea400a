import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ToolExecutionError, ZapConfigurationError } from '../core/errors';
import { stableStringify } from '../core/stable-stringify';
import type { FunctionToolDefinition, ToolCallOutcome } from '../core/tool-definition';
import { isStdioMcpClientConfig, validateMcpClientConfig } from './mcp-client-config';
import type { McpClientConfig } from './mcp-client-config';
import { mcpCallResultToOutcome, mcpToolToFunctionDefinition } from './mcp-tool-schema';

/** Time allowed to start a server and complete the MCP `initialize` handshake. */
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 30_000;
/** Time allowed for one tool call when the caller gives none. */
export const DEFAULT_MCP_CALL_TIMEOUT_MS = 60_000;
/** Connection attempts (first one included) before a connect or reconnect gives up. */
export const DEFAULT_MCP_MAX_CONNECT_ATTEMPTS = 3;
/** Wait before the second connection attempt; doubled for each further attempt. */
export const DEFAULT_MCP_RECONNECT_BACKOFF_MS = 200;
/** Name the pool announces to MCP servers in `initialize`. */
export const DEFAULT_MCP_CLIENT_NAME = 'zap-agents';

const FALLBACK_CLIENT_VERSION = '0.1.0';
/** Characters of a stdio server's stderr kept for error messages; servers print their startup failures there. */
const STDERR_TAIL_MAX_CHARS = 4_000;
/** Lines of that tail shown in an error message. */
const STDERR_TAIL_MAX_LINES = 20;
/** Bound on the DELETE that ends an HTTP session on close, so an unresponsive server cannot stall shutdown. */
const SESSION_TERMINATE_TIMEOUT_MS = 1_000;
/** Bound on the ping that checks an HTTP session after one of its streams dropped. */
const LIVENESS_PING_TIMEOUT_MS = 10_000;
/** Error codes of failures that another connection attempt cannot fix. */
const PERMANENT_CONNECT_ERROR_CODES: ReadonlySet<string> = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR']);
/** Socket-level error codes meaning the HTTP server may have gone away (UND_ERR_SOCKET: undici's "other side closed"). */
const HTTP_CONNECTION_LOST_ERROR_CODES: readonly string[] = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'];
/** HTTP statuses that are worth another attempt; every other 4xx means the config is wrong. */
const TRANSIENT_HTTP_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

/** Where the pool reports connection problems. */
export interface McpConnectionPoolLogger {
  warn(message: string, meta?: object): void;
  info?(message: string, meta?: object): void;
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
  /** Receives connection losses and reconnects. @default no logging */
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
}

/**
 * Worker-side pool of MCP client connections, one per registered server, shared by every tool
 * call the worker runs. Connections open lazily, are re-opened when they die (process exited,
 * transport closed, HTTP session gone), and each server's tools are discovered once.
 */
export class McpConnectionPool {
  private readonly clientInfo: { name: string; version: string };
  private readonly connectTimeoutMs: number;
  private readonly defaultCallTimeoutMs: number;
  private readonly maxConnectAttempts: number;
  private readonly reconnectBackoffMs: number;
  private readonly logger: McpConnectionPoolLogger | undefined;
  private readonly servers = new Map<string, ServerEntry>();
  /** Every connection not yet closed, including ones still connecting, so close() reaches them all. */
  private readonly openConnections = new Set<McpServerConnection>();
  /** Aborts backoff waits when the pool closes. */
  private readonly closeController = new AbortController();
  private closePromise: Promise<void> | undefined;

  constructor(options: McpConnectionPoolOptions = {}) {
    this.clientInfo = options.clientInfo ?? { name: DEFAULT_MCP_CLIENT_NAME, version: packageVersion() };
    this.connectTimeoutMs = positiveOrDefault(options.connectTimeoutMs, DEFAULT_MCP_CONNECT_TIMEOUT_MS);
    this.defaultCallTimeoutMs = positiveOrDefault(options.defaultCallTimeoutMs, DEFAULT_MCP_CALL_TIMEOUT_MS);
    this.maxConnectAttempts = Math.max(1, Math.floor(options.maxConnectAttempts ?? DEFAULT_MCP_MAX_CONNECT_ATTEMPTS));
    this.reconnectBackoffMs = Math.max(0, options.reconnectBackoffMs ?? DEFAULT_MCP_RECONNECT_BACKOFF_MS);
    this.logger = options.logger;
  }

  /**
   * Registers server configs. A config registered twice under one name is kept once; two
   * different configs under one name are a {@link ZapConfigurationError}.
   */
  register(configs: readonly McpClientConfig[]): void {
    this.assertOpen();
    for (const [index, candidate] of configs.entries()) {
      const config = validateMcpClientConfig(candidate, `McpConnectionPool.register: configs[${index}]`);
      const existing = this.servers.get(config.name);
      if (existing) {
        if (stableStringify(existing.config) !== stableStringify(config)) {
          throw new ZapConfigurationError(
            `Two different MCP server configs are registered under the name '${config.name}' ` +
              `(${describeTarget(existing.config)} and ${describeTarget(config)}); give each server a unique name.`,
          );
        }
        continue;
      }
      this.servers.set(config.name, {
        config,
        connection: undefined,
        connecting: undefined,
        tools: undefined,
        discovering: undefined,
        hasConnectedBefore: false,
      });
    }
  }

  /**
   * Connects to the server if needed and returns its tools, discovered once and cached.
   * @throws ZapConfigurationError when the server is unknown or cannot be reached; the message names
   *   the server, its command or url, the underlying reason and the tail of its stderr
   */
  async listTools(serverName: string): Promise<FunctionToolDefinition[]> {
    const entry = this.entryFor(serverName);
    if (entry.tools) return [...entry.tools];
    entry.discovering ??= this.discoverTools(entry).finally(() => {
      entry.discovering = undefined;
    });
    return [...(await entry.discovering)];
  }

  /**
   * Connects every registered server in parallel and discovers their tools.
   * @returns server name → tools
   * @throws ZapConfigurationError listing every server that could not be reached
   */
  async connectAll(): Promise<Map<string, FunctionToolDefinition[]>> {
    const names = [...this.servers.keys()];
    const results = await Promise.allSettled(names.map((name) => this.listTools(name)));
    const toolsByServer = new Map<string, FunctionToolDefinition[]>();
    const failures: unknown[] = [];
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') toolsByServer.set(names[index] as string, result.value);
      else failures.push(result.reason);
    });
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new ZapConfigurationError(
        `${failures.length} MCP servers could not be connected:\n` +
          failures.map((failure) => `- ${describeError(failure)}`).join('\n'),
        { cause: failures[0] },
      );
    }
    return toolsByServer;
  }

  /**
   * Calls a tool. Tool-level errors (`isError: true` results) are returned as outcomes.
   *
   * A dead connection is re-opened before the call. If the request fails before it reached the
   * server (process already gone, HTTP session unknown), the pool reconnects once and sends it
   * again; a failure after it was sent (the server crashed mid-call) is thrown, because only the
   * caller's retry policy knows whether running the tool twice is acceptable.
   *
   * @throws ToolExecutionError on timeout, cancellation, connection loss or a protocol error
   * @throws ZapConfigurationError when the server name is not registered
   */
  async callTool(
    serverName: string,
    toolName: string,
    args: Record<string, unknown>,
    options: McpCallOptions = {},
  ): Promise<ToolCallOutcome> {
    const entry = this.entryFor(serverName);
    const timeoutMs = positiveOrDefault(options.timeoutMs, this.defaultCallTimeoutMs);
    for (let attempt = 1; ; attempt += 1) {
      if (options.signal?.aborted) {
        throw new ToolExecutionError(`MCP tool '${toolName}' on server '${serverName}' was cancelled.`, {
          cause: options.signal.reason,
        });
      }
      let connection: McpServerConnection;
      try {
        connection = await this.connectionFor(entry);
      } catch (error) {
        throw new ToolExecutionError(
          `MCP tool '${toolName}' could not run: ${errorMessage(error)}`,
          { cause: error },
        );
      }
      // A fresh params object per attempt: the connection recognizes failed sends by identity.
      const params = {
        name: toolName,
        arguments: args,
        ...(options.meta ? { _meta: options.meta } : {}),
      };
      try {
        const result = await connection.client.callTool(params, CallToolResultSchema, {
          timeout: timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return mcpCallResultToOutcome(result);
      } catch (error) {
        if (attempt === 1 && connection.wasNotDelivered(params, error)) {
          this.retire(connection, `request could not be delivered (${describeError(error)})`);
          continue;
        }
        throw await this.callFailure(entry, connection, toolName, timeoutMs, options.signal, error);
      }
    }
  }

  /** True when the server's connection is currently alive. */
  isConnected(serverName: string): boolean {
    return this.servers.get(serverName)?.connection?.isAlive === true;
  }

  /**
   * Closes every connection: ends HTTP sessions, stops stdio subprocesses (SIGTERM, then SIGKILL).
   * The pool cannot be used afterwards.
   */
  close(): Promise<void> {
    this.closePromise ??= this.closeAll();
    return this.closePromise;
  }

  private async closeAll(): Promise<void> {
    this.closeController.abort();
    const connecting = [...this.servers.values()].map((entry) => entry.connecting);
    await Promise.allSettled([...this.openConnections].map((connection) => connection.close({ endSession: true })));
    // Attempts that were connecting notice the closed pool and close what they opened.
    await Promise.allSettled(connecting);
    await Promise.allSettled([...this.openConnections].map((connection) => connection.close()));
  }

  private get isClosed(): boolean {
    return this.closeController.signal.aborted;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new ZapConfigurationError('The MCP connection pool is closed.');
  }

  private entryFor(serverName: string): ServerEntry {
    const entry = this.servers.get(serverName);
    if (!entry) {
      const known = [...this.servers.keys()];
      throw new ZapConfigurationError(
        `MCP server '${serverName}' is not registered.` +
          (known.length > 0 ? ` Registered servers: ${known.join(', ')}.` : ' No MCP servers are registered.'),
      );
    }
    return entry;
  }

  /** The live connection of a server, opening one if needed; concurrent callers share one attempt. */
  private connectionFor(entry: ServerEntry): Promise<McpServerConnection> {
    this.assertOpen();
    const current = entry.connection;
    if (current?.isAlive) return Promise.resolve(current);
    entry.connecting ??= this.connectWithRetries(entry).finally(() => {
      entry.connecting = undefined;
    });
    return entry.connecting;
  }

  private async connectWithRetries(entry: ServerEntry): Promise<McpServerConnection> {
    const { config } = entry;
    let lastError: unknown;
    let lastReason = '';
    let attempts = 0;
    while (attempts < this.maxConnectAttempts) {
      if (attempts > 0) {
        await sleep(this.reconnectBackoffMs * 2 ** (attempts - 1), undefined, {
          signal: this.closeController.signal,
        }).catch(() => undefined);
      }
      this.assertOpen();
      attempts += 1;
      const connection = new McpServerConnection(config, this.clientInfo, {
        onLost: (lost, reason) => this.onConnectionLost(entry, lost, reason),
        onError: (error) =>
          this.logger?.warn(`MCP server '${config.name}' reported an error: ${describeError(error)}`, {
            server: config.name,
          }),
        onClosed: (closed) => this.openConnections.delete(closed),
      });
      this.openConnections.add(connection);
      try {
        await connection.open(this.connectTimeoutMs);
        if (this.isClosed) {
          await connection.close();
          this.assertOpen();
        }
        const previous = entry.connection;
        entry.connection = connection;
        if (previous && previous !== connection) void previous.close();
        if (entry.hasConnectedBefore) {
          this.logger?.info?.(`Reconnected to MCP server '${config.name}'.`, { server: config.name });
        }
        entry.hasConnectedBefore = true;
        return connection;
      } catch (error) {
        lastError = error;
        lastReason = describeError(error) + (await connection.stderrSuffix());
        await connection.close();
        if (this.isClosed || isPermanentConnectFailure(error)) break;
      }
    }
    throw new ZapConfigurationError(
      `Could not connect to MCP server '${config.name}' (${describeTarget(config)})` +
        (attempts > 1 ? ` after ${attempts} attempts` : '') +
        `: ${lastReason}`,
      { cause: lastError },
    );
  }

  private async discoverTools(entry: ServerEntry): Promise<FunctionToolDefinition[]> {
    for (let attempt = 1; ; attempt += 1) {
      const connection = await this.connectionFor(entry);
      let params: { cursor?: string } = {};
      try {
        const tools: FunctionToolDefinition[] = [];
        for (;;) {
          const page = await connection.client.listTools(params, { timeout: this.connectTimeoutMs });
          tools.push(...page.tools.map((tool) => mcpToolToFunctionDefinition(tool)));
          if (page.nextCursor === undefined) break;
          params = { cursor: page.nextCursor };
        }
        entry.tools = tools;
        return tools;
      } catch (error) {
        // Listing has no side effects, so one retry on a fresh connection is always safe.
        if (attempt === 1 && (!connection.isAlive || connection.wasNotDelivered(params, error))) {
          this.retire(connection, `tool listing failed (${describeError(error)})`);
          continue;
        }
        throw new ZapConfigurationError(
          `Could not list the tools of MCP server '${entry.config.name}' (${describeTarget(entry.config)}): ` +
            `${describeError(error)}${await connection.stderrSuffix()}`,
          { cause: error },
        );
      }
    }
  }

  private async callFailure(
    entry: ServerEntry,
    connection: McpServerConnection,
    toolName: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    error: unknown,
  ): Promise<ToolExecutionError> {
    const serverName = entry.config.name;
    if (signal?.aborted) {
      return new ToolExecutionError(`MCP tool '${toolName}' on server '${serverName}' was cancelled.`, {
        cause: error,
      });
    }
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      return new ToolExecutionError(
        `MCP tool '${toolName}' on server '${serverName}' timed out after ${timeoutMs} ms.`,
        { cause: error, outcomeUnknown: true },
      );
    }
    const connectionDropped =
      (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) ||
      !connection.isAlive ||
      isHttpStreamOrSocketLoss(error);
    if (connectionDropped) {
      return new ToolExecutionError(
        `MCP server '${serverName}' (${describeTarget(entry.config)}) disconnected while tool '${toolName}' ` +
          `was running (${connection.lostReason ?? describeError(error)}); the call may or may not have taken effect.` +
          (await connection.stderrSuffix()),
        { cause: error, outcomeUnknown: true },
      );
    }
    return new ToolExecutionError(
      `MCP tool '${toolName}' on server '${serverName}' failed: ${describeError(error)}`,
      { cause: error },
    );
  }

  private onConnectionLost(entry: ServerEntry, connection: McpServerConnection, reason: string): void {
    if (entry.connection !== connection || this.isClosed) return;
    this.logger?.warn(
      `Lost the connection to MCP server '${entry.config.name}' (${reason}); it reconnects on next use.`,
      { server: entry.config.name },
    );
  }

  /** Takes a connection out of service so the next use reconnects. */
  private retire(connection: McpServerConnection, reason: string): void {
    // Logged through onConnectionLost when the connection was still in service.
    connection.markLost(reason);
  }
}

interface ServerEntry {
  readonly config: McpClientConfig;
  /** Latest connection, alive or not. */
  connection: McpServerConnection | undefined;
  /** The connect attempt in progress, shared by concurrent callers. */
  connecting: Promise<McpServerConnection> | undefined;
  tools: FunctionToolDefinition[] | undefined;
  discovering: Promise<FunctionToolDefinition[]> | undefined;
  hasConnectedBefore: boolean;
}

interface ConnectionEvents {
  onLost(connection: McpServerConnection, reason: string): void;
  onError(error: unknown): void;
  onClosed(connection: McpServerConnection): void;
}

/** One client + transport to one server; never reused after it dies (the pool opens a new one). */
class McpServerConnection {
  readonly client: Client;
  private readonly transport: StdioClientTransport | StreamableHTTPClientTransport;
  private readonly isStdio: boolean;
  private readonly events: ConnectionEvents;
  /** Request params whose message the transport failed to send, recognized by identity. */
  private readonly failedSends = new WeakSet<object>();
  private stderrTail = '';
  private alive = false;
  private closing = false;
  private verifying = false;
  private closePromise: Promise<void> | undefined;
  /** Why the connection died, for error messages. */
  lostReason: string | undefined;

  constructor(config: McpClientConfig, clientInfo: { name: string; version: string }, events: ConnectionEvents) {
    this.events = events;
    this.client = new Client(clientInfo, { capabilities: {} });
    if (isStdioMcpClientConfig(config)) {
      this.isStdio = true;
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args ?? [],
        // Only the SDK's minimal safe set of the worker's variables: worker secrets stay out of servers.
        env: { ...getDefaultEnvironment(), ...config.env },
        ...(config.cwd !== undefined ? { cwd: config.cwd } : {}),
        stderr: 'pipe',
      });
      // A PassThrough available before start, so early startup errors are not lost.
      const stderr = transport.stderr as Readable | null;
      stderr?.setEncoding('utf8');
      stderr?.on('data', (chunk: string) => {
        this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_MAX_CHARS);
      });
      this.transport = transport;
    } else {
      this.isStdio = false;
      this.transport = new StreamableHTTPClientTransport(new URL(config.url), {
        ...(config.headers ? { requestInit: { headers: config.headers } } : {}),
      });
    }
    this.trackFailedSends(this.transport);
    this.client.onclose = () => {
      this.handleLost(this.isStdio ? 'the server process exited' : 'the transport closed');
    };
    this.client.onerror = (error: Error) => this.handleError(error);
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Starts the transport and completes the `initialize` handshake. */
  async open(timeoutMs: number): Promise<void> {
    await this.client.connect(this.transport, { timeout: timeoutMs });
    // The process may have exited right after answering `initialize`.
    if (this.client.transport === undefined || this.closing || this.lostReason !== undefined) {
      throw new Error(`connection closed during initialization (${this.lostReason ?? 'closed'})`);
    }
    this.alive = true;
  }

  /**
   * True when `error` means the request never reached the server, so sending it again cannot run
   * the tool twice.
   */
  wasNotDelivered(params: object, error: unknown): boolean {
    // The SDK rejects before sending when the client has no transport any more.
    if (!(error instanceof McpError) && errorMessage(error) === 'Not connected') return true;
    if (!this.failedSends.has(params)) return false;
    // stdio send only fails when the process is already gone: nothing was written.
    if (this.isStdio) return true;
    // HTTP: the server answered "unknown session" (did not run it) or nothing listens on the port.
    if (error instanceof StreamableHTTPError) return error.code === 404;
    return hasErrorCode(error, 'ECONNREFUSED');
  }

  /** Takes the connection out of service and closes it once in-flight bookkeeping has settled. */
  markLost(reason: string): void {
    if (this.closing) return;
    this.handleLost(reason);
    // Deferred: a failing send reports onerror before its rejection reaches the caller, and closing
    // synchronously would turn that rejection into "connection closed", hiding that it was never sent.
    setImmediate(() => void this.close());
  }

  /** `\nLast stderr output of the server:\n…` for error messages, or '' when there is none. */
  async stderrSuffix(): Promise<string> {
    // Let stderr chunks already read from the pipe reach the listener.
    await new Promise((resolve) => setImmediate(resolve));
    const lines = this.stderrTail.trimEnd().split('\n').slice(-STDERR_TAIL_MAX_LINES).join('\n');
    return lines.length > 0 ? `\nLast stderr output of the server:\n${lines}` : '';
  }

  close(options: { endSession?: boolean } = {}): Promise<void> {
    this.closePromise ??= this.closeOnce(options.endSession === true);
    return this.closePromise;
  }

  private async closeOnce(endSession: boolean): Promise<void> {
    const wasAlive = this.alive;
    this.closing = true;
    this.alive = false;
    try {
      if (endSession && wasAlive && this.transport instanceof StreamableHTTPClientTransport) {
        // Frees the server-side session now instead of waiting for the server's own timeout.
        await withTimeout(this.transport.terminateSession(), SESSION_TERMINATE_TIMEOUT_MS).catch(() => undefined);
      }
      // Stdio: ends stdin, then SIGTERM and SIGKILL if the process lingers.
      await this.client.close().catch(() => undefined);
    } finally {
      this.events.onClosed(this);
    }
  }

  private handleLost(reason: string): void {
    this.lostReason ??= reason;
    const wasAlive = this.alive;
    this.alive = false;
    if (wasAlive && !this.closing) this.events.onLost(this, reason);
  }

  private handleError(error: Error): void {
    if (this.closing || !this.alive) return;
    if (this.isStdio) {
      // A dead process is reported through onclose; other stdio errors are only worth a log line.
      this.events.onError(error);
      return;
    }
    // A dropped stream, a dropped socket or an unknown session (404, e.g. on the standalone GET
    // stream after a server restart) may mean the server is gone; a ping tells.
    if (
      isHttpStreamOrSocketLoss(error) ||
      (error instanceof StreamableHTTPError && error.code === 404) ||
      errorMessage(error).includes('SSE stream')
    ) {
      void this.verifyAlive(describeError(error));
      return;
    }
    this.events.onError(error);
  }

  /**
   * After an SSE stream or socket dropped, asks the server whether the session still works.
   * If it does not, the connection is retired, which fails the calls waiting on it at once instead
   * of at their timeout; if it does (a proxy cut an idle stream), in-flight calls are left alone.
   */
  private async verifyAlive(reason: string): Promise<void> {
    if (this.verifying) return;
    this.verifying = true;
    try {
      await this.client.ping({ timeout: LIVENESS_PING_TIMEOUT_MS });
    } catch (pingError) {
      this.markLost(`${reason}; the server then failed a ping: ${describeError(pingError)}`);
    } finally {
      this.verifying = false;
    }
  }

  private trackFailedSends(transport: Transport): void {
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      try {
        await send(message, options);
      } catch (error) {
        if (!Array.isArray(message) && 'params' in message && isObject(message.params)) {
          this.failedSends.add(message.params);
        }
        throw error;
      }
    };
  }
}

/** True for HTTP transport errors saying a stream or socket dropped (the server may be gone). */
function isHttpStreamOrSocketLoss(error: unknown): boolean {
  return (
    errorMessage(error).startsWith('SSE stream disconnected') ||
    HTTP_CONNECTION_LOST_ERROR_CODES.some((code) => hasErrorCode(error, code))
  );
}

function isPermanentConnectFailure(error: unknown): boolean {
  for (const code of PERMANENT_CONNECT_ERROR_CODES) {
    if (hasErrorCode(error, code)) return true;
  }
  if (error instanceof StreamableHTTPError && error.code !== undefined) {
    return error.code >= 400 && error.code < 500 && !TRANSIENT_HTTP_STATUSES.has(error.code);
  }
  return false;
}

/** `command: node server.js` or `url: https://host/mcp` (without credentials or query, which may hold secrets). */
function describeTarget(config: McpClientConfig): string {
  if (isStdioMcpClientConfig(config)) {
    return `command: ${[config.command, ...(config.args ?? [])].join(' ')}`;
  }
  const url = new URL(config.url);
  return `url: ${url.origin}${url.pathname}`;
}

/** Message of an error and of its causes (`fetch failed: connect ECONNREFUSED …`), with errno codes. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
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

function errorMessage(error: unknown): string {
  return isObject(error) && typeof error['message'] === 'string' ? error['message'] : String(error);
}

/**
 * Looks for an errno-style `code` through `cause` chains and aggregate `errors`; by shape, because
 * errors from Node internals and undici may come from another realm (e.g. under Jest).
 */
function hasErrorCode(error: unknown, code: string, depth = 0): boolean {
  if (!isObject(error) || depth > 5) return false;
  if (error['code'] === code) return true;
  const nested = error['errors'];
  if (Array.isArray(nested) && nested.some((inner) => hasErrorCode(inner, code, depth + 1))) return true;
  return hasErrorCode(error['cause'], code, depth + 1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function positiveOrDefault(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let cachedPackageVersion: string | undefined;

/** Version of the installed zap-agents package, found by walking up from this file (src/ or dist/src/). */
function packageVersion(): string {
  if (cachedPackageVersion !== undefined) return cachedPackageVersion;
  cachedPackageVersion = FALLBACK_CLIENT_VERSION;
  let directory = __dirname;
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')) as unknown;
      if (isObject(manifest) && manifest['name'] === 'zap-agents' && typeof manifest['version'] === 'string') {
        cachedPackageVersion = manifest['version'];
        break;
      }
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return cachedPackageVersion;
}
