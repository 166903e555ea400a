import { setTimeout as sleep } from 'node:timers/promises';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { ToolExecutionError, ZapConfigurationError } from '../core/errors';
import { stableStringify } from '../core/stable-stringify';
import type { FunctionToolDefinition, ToolCallOutcome } from '../core/tool-definition';
import {
  classifyMcpCallFailure,
  describeError,
  errorMessage,
  isPermanentConnectFailure,
  toolCallCancelledError,
  toolCallFailureError,
} from './mcp-call-errors';
import { describeMcpServerTarget, validateMcpClientConfig } from './mcp-client-config';
import type { McpClientConfig } from './mcp-client-config';
import { compileMcpConnectionPoolOptions, positiveOrDefault } from './mcp-connection-pool-options';
import type {
  CompiledMcpConnectionPoolOptions,
  McpCallOptions,
  McpConnectionPoolOptions,
} from './mcp-connection-pool-options';
import { McpServerConnection } from './mcp-server-connection';
import { mcpCallResultToOutcome, mcpToolToFunctionDefinition } from './mcp-tool-schema';

export { DEFAULT_MCP_CLIENT_NAME } from './mcp-client-info';
export {
  DEFAULT_MCP_CALL_TIMEOUT_MS,
  DEFAULT_MCP_CONNECT_TIMEOUT_MS,
  DEFAULT_MCP_MAX_CONNECT_ATTEMPTS,
  DEFAULT_MCP_RECONNECT_BACKOFF_MS,
} from './mcp-connection-pool-options';
export type { McpCallOptions, McpConnectionPoolLogger, McpConnectionPoolOptions } from './mcp-connection-pool-options';

/**
 * Worker-side pool of MCP client connections, one per registered server, shared by every tool
 * call the worker runs. Connections open lazily, are re-opened when they die (process exited,
 * transport closed, HTTP session gone), and each server's tools are discovered once.
 */
export class McpConnectionPool {
  private readonly options: CompiledMcpConnectionPoolOptions;
  private readonly servers = new Map<string, ServerEntry>();
  /** Every connection not yet closed, including ones still connecting, so close() reaches them all. */
  private readonly openConnections = new Set<McpServerConnection>();
  /** Aborts backoff waits when the pool closes. */
  private readonly closeController = new AbortController();
  private closePromise: Promise<void> | undefined;

  constructor(options: McpConnectionPoolOptions = {}) {
    this.options = compileMcpConnectionPoolOptions(options);
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
          throw new ZapConfigurationError({
            message: `Two different MCP server configs are registered under the name '${config.name}' ` +
              `(${describeMcpServerTarget(existing.config)} and ${describeMcpServerTarget(config)}); give each server a unique name.`,
          });
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
      throw new ZapConfigurationError({
        message: `${failures.length} MCP servers could not be connected:\n` +
          failures.map((failure) => `- ${describeError(failure)}`).join('\n'),
        cause: failures[0],
      });
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
    const timeoutMs = positiveOrDefault(options.timeoutMs, this.options.defaultCallTimeoutMs);
    for (let attempt = 1; ; attempt += 1) {
      if (options.signal?.aborted) {
        throw toolCallCancelledError({ toolName, toolCallId: options.toolCallId, serverName, cause: options.signal.reason });
      }
      let connection: McpServerConnection;
      try {
        connection = await this.connectionFor(entry);
      } catch (error) {
        throw new ToolExecutionError({
          toolName,
          toolCallId: options.toolCallId,
          message: `MCP tool '${toolName}' could not run: ${errorMessage(error)}`,
          cause: error,
        });
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
        const call = { toolName, toolCallId: options.toolCallId, timeoutMs, signal: options.signal };
        throw await this.callFailure(entry, connection, call, error);
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
    if (this.isClosed) throw new ZapConfigurationError({ message: 'The MCP connection pool is closed.' });
  }

  private entryFor(serverName: string): ServerEntry {
    const entry = this.servers.get(serverName);
    if (!entry) {
      const known = [...this.servers.keys()];
      throw new ZapConfigurationError({
        message: `MCP server '${serverName}' is not registered.` +
          (known.length > 0 ? ` Registered servers: ${known.join(', ')}.` : ' No MCP servers are registered.'),
      });
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
    const { logStderrLine } = this.options;
    let lastError: unknown;
    let lastReason = '';
    let attempts = 0;
    while (attempts < this.options.maxConnectAttempts) {
      if (attempts > 0) {
        await sleep(this.options.reconnectBackoffMs * 2 ** (attempts - 1), undefined, {
          signal: this.closeController.signal,
        }).catch(() => undefined);
      }
      this.assertOpen();
      attempts += 1;
      const connection = new McpServerConnection(config, this.options.clientInfo, {
        onLost: (lost, reason) => this.onConnectionLost(entry, lost, reason),
        onError: (error) =>
          this.options.logger?.warn(`MCP server '${config.name}' reported an error: ${describeError(error)}`, {
            server: config.name,
          }),
        onClosed: (closed) => this.openConnections.delete(closed),
        ...(logStderrLine ? { onStderrLine: (line: string) => logStderrLine(config.name, line) } : {}),
      });
      this.openConnections.add(connection);
      try {
        await connection.open(this.options.connectTimeoutMs);
        if (this.isClosed) {
          await connection.close();
          this.assertOpen();
        }
        const previous = entry.connection;
        entry.connection = connection;
        if (previous && previous !== connection) void previous.close();
        if (entry.hasConnectedBefore) {
          this.options.logger?.info?.(`Reconnected to MCP server '${config.name}'.`, { server: config.name });
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
    throw new ZapConfigurationError({
      message: `Could not connect to MCP server '${config.name}' (${describeMcpServerTarget(config)})` +
        (attempts > 1 ? ` after ${attempts} attempts` : '') +
        `: ${lastReason}`,
      cause: lastError,
    });
  }

  private async discoverTools(entry: ServerEntry): Promise<FunctionToolDefinition[]> {
    for (let attempt = 1; ; attempt += 1) {
      const connection = await this.connectionFor(entry);
      let params: { cursor?: string } = {};
      try {
        const tools: FunctionToolDefinition[] = [];
        for (;;) {
          const page = await connection.client.listTools(params, { timeout: this.options.connectTimeoutMs });
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
        throw new ZapConfigurationError({
          message: `Could not list the tools of MCP server '${entry.config.name}' (${describeMcpServerTarget(entry.config)}): ` +
            `${describeError(error)}${await connection.stderrSuffix()}`,
          cause: error,
        });
      }
    }
  }

  private async callFailure(
    entry: ServerEntry,
    connection: McpServerConnection,
    call: { toolName: string; toolCallId: string | undefined; timeoutMs: number; signal: AbortSignal | undefined },
    error: unknown,
  ): Promise<ToolExecutionError> {
    const kind = classifyMcpCallFailure(error, {
      aborted: call.signal?.aborted === true,
      connectionAlive: connection.isAlive,
    });
    // Read before waiting for stderr, which lets the connection's close handlers run.
    const lostReason = connection.lostReason;
    return toolCallFailureError({
      kind,
      error,
      serverName: entry.config.name,
      toolName: call.toolName,
      toolCallId: call.toolCallId,
      target: describeMcpServerTarget(entry.config),
      timeoutMs: call.timeoutMs,
      lostReason,
      stderrSuffix: kind === 'connection-lost' ? await connection.stderrSuffix() : '',
    });
  }

  private onConnectionLost(entry: ServerEntry, connection: McpServerConnection, reason: string): void {
    if (entry.connection !== connection || this.isClosed) return;
    this.options.logger?.warn(
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
