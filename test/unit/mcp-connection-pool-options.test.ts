import type { ZapLogger } from '../../src/client/zap-options';
import type { McpConnectionPoolLogger } from '../../src/mcp/mcp-connection-pool';
import {
  compileMcpConnectionPoolOptions,
  DEFAULT_MCP_CALL_TIMEOUT_MS,
  DEFAULT_MCP_CONNECT_TIMEOUT_MS,
} from '../../src/mcp/mcp-connection-pool-options';

interface LogCall {
  level: string;
  message: string;
  meta: object | undefined;
}

function recordingLogger(levels: readonly ('warn' | 'info' | 'debug')[]): { logger: McpConnectionPoolLogger; calls: LogCall[] } {
  const calls: LogCall[] = [];
  const logger: Record<string, (message: string, meta?: object) => void> = {};
  for (const level of ['warn', ...levels]) {
    logger[level] = (message, meta) => calls.push({ level, message, meta });
  }
  return { logger: logger as unknown as McpConnectionPoolLogger, calls };
}

describe('compileMcpConnectionPoolOptions', () => {
  it('applies the defaults and ignores numbers that are not positive', () => {
    const compiled = compileMcpConnectionPoolOptions({ connectTimeoutMs: -1, defaultCallTimeoutMs: Number.NaN });
    expect(compiled.connectTimeoutMs).toBe(DEFAULT_MCP_CONNECT_TIMEOUT_MS);
    expect(compiled.defaultCallTimeoutMs).toBe(DEFAULT_MCP_CALL_TIMEOUT_MS);
    expect(compiled.maxConnectAttempts).toBe(3);
    expect(compiled.reconnectBackoffMs).toBe(200);
    expect(compiled.clientInfo.name).toBe('zap-agents');
    expect(compiled.logStderrLine).toBeUndefined();
  });

  it('logs stderr lines at debug, prefixed with the server name', () => {
    const { logger, calls } = recordingLogger(['info', 'debug']);
    compileMcpConnectionPoolOptions({ logger }).logStderrLine?.('files', 'listening');
    expect(calls).toEqual([{ level: 'debug', message: "MCP server 'files' stderr: listening", meta: { server: 'files' } }]);
  });

  it('falls back to info, and does not log stderr on a warn-only logger', () => {
    const { logger, calls } = recordingLogger(['info']);
    compileMcpConnectionPoolOptions({ logger }).logStderrLine?.('files', 'listening');
    expect(calls.map((call) => call.level)).toEqual(['info']);
    expect(compileMcpConnectionPoolOptions({ logger: recordingLogger([]).logger }).logStderrLine).toBeUndefined();
  });

  it('calls the logger as a method, so class-based loggers keep `this`', () => {
    const messages: string[] = [];
    class ClassLogger {
      private readonly sink = messages;
      warn(message: string): void {
        this.sink.push(message);
      }
      debug(message: string): void {
        this.sink.push(message);
      }
    }
    compileMcpConnectionPoolOptions({ logger: new ClassLogger() }).logStderrLine?.('files', 'up');
    expect(messages).toEqual(["MCP server 'files' stderr: up"]);
  });

  it('accepts the Zap logger and console', () => {
    // Type-level: ZapLogger (warn only) and console fit the pool's logger without adapters.
    const zapLogger: ZapLogger = { warn: () => undefined };
    const loggers: McpConnectionPoolLogger[] = [zapLogger, console];
    expect(compileMcpConnectionPoolOptions({ logger: loggers[0] }).logStderrLine).toBeUndefined();
    expect(compileMcpConnectionPoolOptions({ logger: loggers[1] }).logStderrLine).toBeDefined();
  });
});
