/**
 * What real stdio MCP servers write to stderr reaches the pool's logger, line by line and
 * prefixed with the server's name.
 */
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import type { McpConnectionPoolLogger } from '../../src/mcp/mcp-connection-pool';
import type { McpClientConfig } from '../../src/mcp/mcp-client-config';
import { stderrServerConfig, stdioServerConfig } from '../fixtures/mcp/stdio-server-command';

/** How long a stderr line may take to reach the logger. */
const LINE_TIMEOUT_MS = 5_000;

interface LogCall {
  level: 'warn' | 'info' | 'debug';
  message: string;
  meta: object | undefined;
}

interface RecordingLogger {
  logger: McpConnectionPoolLogger;
  calls: LogCall[];
  /** Resolves once a logged stderr line of `server` satisfies `matches`. */
  stderrLine(server: string, matches: (line: string) => boolean): Promise<void>;
}

const openPools: McpConnectionPool[] = [];

afterEach(async () => {
  await Promise.all(openPools.splice(0).map((pool) => pool.close()));
});

function createPool(configs: McpClientConfig[], logger: McpConnectionPoolLogger): McpConnectionPool {
  const pool = new McpConnectionPool({ reconnectBackoffMs: 50, logger });
  pool.register(configs);
  openPools.push(pool);
  return pool;
}

function stderrMessages(calls: readonly LogCall[], server: string): string[] {
  const prefix = `MCP server '${server}' stderr: `;
  return calls.filter((call) => call.message.startsWith(prefix)).map((call) => call.message.slice(prefix.length));
}

function recordingLogger(levels: readonly ('info' | 'debug')[]): RecordingLogger {
  const calls: LogCall[] = [];
  const checks = new Set<() => void>();
  const record = (level: LogCall['level']) => (message: string, meta?: object) => {
    calls.push({ level, message, meta });
    for (const check of checks) check();
  };
  const logger: McpConnectionPoolLogger = { warn: record('warn') };
  if (levels.includes('info')) logger.info = record('info');
  if (levels.includes('debug')) logger.debug = record('debug');
  const stderrLine = (server: string, matches: (line: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`no stderr line of '${server}' matched within ${LINE_TIMEOUT_MS} ms`));
      }, LINE_TIMEOUT_MS);
      const check = (): void => {
        if (!stderrMessages(calls, server).some(matches)) return;
        clearTimeout(timer);
        checks.delete(check);
        resolve();
      };
      checks.add(check);
      check();
    });
  return { logger, calls, stderrLine };
}

describe('stderr of stdio MCP servers', () => {
  it('logs each line at debug, prefixed with the server name', async () => {
    const { logger, calls, stderrLine } = recordingLogger(['info', 'debug']);
    const pool = createPool([stdioServerConfig('tools')], logger);
    await pool.listTools('tools');
    await stderrLine('tools', (line) => line.startsWith('zap test tool server ready'));
    const ready = calls.find((call) => call.message.startsWith("MCP server 'tools' stderr: zap test tool server ready"));
    expect(ready).toMatchObject({ level: 'debug', meta: { server: 'tools' } });
  });

  it('joins lines split across writes, cuts long lines and logs the last line when the server exits', async () => {
    const { logger, calls, stderrLine } = recordingLogger(['info', 'debug']);
    const pool = createPool([stderrServerConfig('noisy')], logger);
    const outcome = await pool.callTool('noisy', 'write_stderr', {
      chunks: ['loading ', 'config\r\nline two\n', `${'x'.repeat(2_500)}\n`, 'goodbye without newline'],
    });
    expect(outcome).toEqual({ content: 'written', isError: false });
    await stderrLine('noisy', (line) => line === 'line two');
    await pool.close();
    await stderrLine('noisy', (line) => line === 'goodbye without newline');

    const lines = stderrMessages(calls, 'noisy');
    expect(lines[0]).toMatch(/^zap stderr test server ready/);
    expect(lines.slice(1)).toEqual([
      'loading config',
      'line two',
      `${'x'.repeat(2_000)} … (500 more characters)`,
      'goodbye without newline',
    ]);
    expect(calls.every((call) => call.level === 'debug')).toBe(true);
  });

  it('keeps each server apart and falls back to info', async () => {
    const { logger, calls, stderrLine } = recordingLogger(['info']);
    const pool = createPool([stdioServerConfig('first'), stderrServerConfig('second')], logger);
    await pool.connectAll();
    await pool.callTool('second', 'write_stderr', { chunks: ['only from second\n'] });
    await stderrLine('second', (line) => line === 'only from second');
    await stderrLine('first', () => true);
    expect(stderrMessages(calls, 'first')).toEqual([expect.stringMatching(/^zap test tool server ready/)]);
    expect(calls.filter((call) => call.message.includes('stderr:')).every((call) => call.level === 'info')).toBe(true);
  });

  it('logs no stderr to a logger with only warn, and still shows the tail in errors', async () => {
    const { logger, calls } = recordingLogger([]);
    const pool = createPool(
      [{ name: 'broken', command: process.execPath, args: ['-e', 'console.error("boom: no key"); process.exit(3)'] }],
      logger,
    );
    await expect(pool.listTools('broken')).rejects.toThrow(/boom: no key/);
    expect(calls.filter((call) => call.message.includes('stderr:'))).toEqual([]);
  });
});
