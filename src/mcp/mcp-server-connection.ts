import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { describeError, isUndeliveredMcpRequest, mayMeanHttpServerGone } from './mcp-call-errors';
import { isStdioMcpClientConfig } from './mcp-client-config';
import type { McpClientConfig } from './mcp-client-config';
import { McpServerStderr } from './mcp-server-stderr';
import { withTimeout } from '../core/with-timeout';

/** Bound on the DELETE that ends an HTTP session on close, so an unresponsive server cannot stall shutdown. */
const SESSION_TERMINATE_TIMEOUT_MS = 1_000;
/** Bound on the ping that checks an HTTP session after one of its streams dropped. */
const LIVENESS_PING_TIMEOUT_MS = 10_000;

/** What a {@link McpServerConnection} tells its owner. */
export interface McpServerConnectionEvents {
  /** The connection went out of service while it was alive (process exited, transport closed, session gone). */
  onLost(connection: McpServerConnection, reason: string): void;
  /** The transport reported an error that does not end the connection. */
  onError(error: unknown): void;
  /** The connection finished closing. */
  onClosed(connection: McpServerConnection): void;
  /**
   * Each line a stdio server writes to stderr, line-buffered and cut to a bounded length.
   * @default stderr is only kept as a tail for error messages
   */
  onStderrLine?(line: string): void;
}

/**
 * One client and transport to one server, stdio or Streamable HTTP. Never reused after it dies:
 * the pool opens a new one.
 */
export class McpServerConnection {
  readonly client: Client;
  private readonly transport: StdioClientTransport | StreamableHTTPClientTransport;
  private readonly isStdio: boolean;
  private readonly events: McpServerConnectionEvents;
  private readonly stderr: McpServerStderr;
  /** Request params whose message the transport failed to send, recognized by identity. */
  private readonly failedSends = new WeakSet<object>();
  private alive = false;
  private closing = false;
  private verifying = false;
  private closePromise: Promise<void> | undefined;
  /** Why the connection died, for error messages. */
  lostReason: string | undefined;

  constructor(config: McpClientConfig, clientInfo: { name: string; version: string }, events: McpServerConnectionEvents) {
    this.events = events;
    this.client = new Client(clientInfo, { capabilities: {} });
    const onStderrLine = events.onStderrLine?.bind(events);
    this.stderr = new McpServerStderr(onStderrLine ? { onLine: onStderrLine } : {});
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
      stderr?.on('data', (chunk: string) => this.stderr.write(chunk));
      stderr?.on('end', () => this.stderr.end());
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
   * True when `error` means the request with these `params` never reached the server, so sending
   * it again cannot run the tool twice.
   */
  wasNotDelivered(params: object, error: unknown): boolean {
    return isUndeliveredMcpRequest(error, {
      sendFailed: this.failedSends.has(params),
      transport: this.isStdio ? 'stdio' : 'http',
    });
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
    const lines = this.stderr.lastLines();
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
    if (mayMeanHttpServerGone(error)) {
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
