import { ToolExecutionError, ZapConfigurationError } from '../../src/core/errors';
import { validateMcpClientConfig } from '../../src/mcp/mcp-client-config';
import type { McpClientConfig } from '../../src/mcp/mcp-client-config';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import type { McpConnectionPoolOptions } from '../../src/mcp/mcp-connection-pool';
import { startHttpToolServer } from '../fixtures/mcp/http-server';
import type { HttpToolServer, HttpToolServerOptions } from '../fixtures/mcp/http-server';
import { stdioServerConfig } from '../fixtures/mcp/stdio-server-command';

const openPools: McpConnectionPool[] = [];
const openServers: HttpToolServer[] = [];

afterEach(async () => {
  await Promise.all(openPools.splice(0).map((pool) => pool.close()));
  await Promise.all(openServers.splice(0).map((server) => server.close()));
});

function createPool(configs: McpClientConfig[], options: McpConnectionPoolOptions = {}): McpConnectionPool {
  const pool = new McpConnectionPool({ reconnectBackoffMs: 50, ...options });
  pool.register(configs);
  openPools.push(pool);
  return pool;
}

async function startServer(options: HttpToolServerOptions = {}): Promise<HttpToolServer> {
  const server = await startHttpToolServer(options);
  openServers.push(server);
  return server;
}

async function restartServer(server: HttpToolServer, options: HttpToolServerOptions = {}): Promise<HttpToolServer> {
  await server.close();
  openServers.splice(openServers.indexOf(server), 1);
  return startServer({ ...options, port: server.port });
}

async function text(pool: McpConnectionPool, server: string, tool: string, args: Record<string, unknown> = {}) {
  const outcome = await pool.callTool(server, tool, args);
  expect(outcome.isError).toBe(false);
  return outcome.content;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('validateMcpClientConfig', () => {
  it('accepts stdio and http configs and returns copies', () => {
    const stdio = { name: 'files', command: 'npx', args: ['-y', 'server'], env: { TOKEN: 't' }, cwd: '/tmp' };
    expect(validateMcpClientConfig(stdio, 'test')).toEqual(stdio);
    expect(validateMcpClientConfig(stdio, 'test')).not.toBe(stdio);
    const http = { name: 'remote_1', url: 'https://example.com/mcp', headers: { Authorization: 'Bearer x' } };
    expect(validateMcpClientConfig(http, 'test')).toEqual(http);
  });

  it.each([
    [null, /expected an object/],
    [{ command: 'x' }, /'name' must be a non-empty string/],
    [{ name: 'a'.repeat(101), command: 'x' }, /at most 100 characters/],
    [{ name: 'has space', command: 'x' }, /letters, digits/],
    [{ name: 'both', command: 'x', url: 'http://h/mcp' }, /both 'command' and 'url'/],
    [{ name: 'none' }, /either 'command' \(stdio\) or 'url'/],
    [{ name: 'ftp', url: 'ftp://h/mcp' }, /must use http or https/],
    [{ name: 'bad', url: 'not a url' }, /not a valid URL/],
    [{ name: 'args', command: 'x', args: [1] }, /'args' must be an array of strings/],
    [{ name: 'env', command: 'x', env: { A: 1 } }, /'env'\.A must be a string/],
    [{ name: 'mixed', command: 'x', headers: {} }, /does not accept 'headers'/],
    [{ name: 'typo', url: 'http://h/mcp', header: {} }, /does not accept 'header'/],
  ])('rejects %j', (config, message) => {
    const error = rejectionSync(() => validateMcpClientConfig(config, "Agent 'support' mcpServers[0]"));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/^Agent 'support' mcpServers\[0\]: /);
    expect(error.message).toMatch(message);
  });
});

function rejectionSync(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('McpConnectionPool registration', () => {
  it('deduplicates identical configs and rejects two configs under one name', () => {
    const pool = createPool([stdioServerConfig('tools'), stdioServerConfig('tools')]);
    const error = rejectionSync(() => pool.register([{ name: 'tools', url: 'http://127.0.0.1:1/mcp' }]));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain("under the name 'tools'");
  });

  it('names the registered servers when an unknown one is asked for', async () => {
    const pool = createPool([stdioServerConfig('tools')]);
    const error = await rejection(pool.listTools('nope'));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain("MCP server 'nope' is not registered. Registered servers: tools.");
  });
});

describe('McpConnectionPool over stdio', () => {
  it('lists the tools as function definitions', async () => {
    const pool = createPool([stdioServerConfig()]);
    const tools = await pool.listTools('tools');
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['get_weather', 'add', 'echo_meta', 'fail_tool', 'slow_tool', 'count_calls']),
    );
    const weather = tools.find((tool) => tool.name === 'get_weather');
    expect(weather?.description).toBe('Current weather in a city.');
    expect(weather?.parameters).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    });
    expect(weather?.parameters).not.toHaveProperty('$schema');
    expect(tools.find((tool) => tool.name === 'fail_tool')?.parameters).toMatchObject({ type: 'object', properties: {} });
    expect(pool.isConnected('tools')).toBe(true);
  });

  it('calls tools, passes _meta and returns tool errors as outcomes', async () => {
    const pool = createPool([stdioServerConfig()]);
    expect(await text(pool, 'tools', 'get_weather', { city: 'Paris' })).toBe('Sunny, 21°C in Paris');
    expect(await text(pool, 'tools', 'add', { a: 2, b: 40 })).toBe('42');

    const meta = { taskId: 'task-1', toolCallId: 'call-7', idempotencyKey: 'task-1:call-7', user: { id: 'u1' } };
    const echoed = await pool.callTool('tools', 'echo_meta', {}, { meta });
    expect(JSON.parse(echoed.content)).toEqual(meta);

    await expect(pool.callTool('tools', 'fail_tool', {})).resolves.toEqual({
      content: 'tool failed on purpose',
      isError: true,
    });
  });

  it('throws ToolExecutionError when the server crashes mid-call, then reconnects on the next call', async () => {
    const warnings: string[] = [];
    const pool = createPool([stdioServerConfig()], { logger: { warn: (message) => warnings.push(message) } });
    expect(await text(pool, 'tools', 'count_calls')).toBe('1');

    const error = await rejection(pool.callTool('tools', 'crash_server', {}));
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toContain("disconnected while tool 'crash_server' was running");
    expect(error.message).toContain('zap test tool server ready'); // stderr tail of the dead process
    expect(pool.isConnected('tools')).toBe(false);

    // A new process: its call counter starts again.
    expect(await text(pool, 'tools', 'count_calls')).toBe('1');
    expect(pool.isConnected('tools')).toBe(true);
    expect(warnings.some((warning) => warning.includes("Lost the connection to MCP server 'tools'"))).toBe(true);
  });

  it('reconnects once for concurrent calls after the process was killed', async () => {
    const pool = createPool([stdioServerConfig()]);
    const firstPid = Number(await text(pool, 'tools', 'get_pid'));
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => !pool.isConnected('tools'));

    const pids = await Promise.all(Array.from({ length: 5 }, () => text(pool, 'tools', 'get_pid')));
    expect(new Set(pids).size).toBe(1);
    expect(Number(pids[0])).not.toBe(firstPid);
  });

  it('times out a slow call with ToolExecutionError and keeps working', async () => {
    const pool = createPool([stdioServerConfig()]);
    const started = Date.now();
    const error = await rejection(pool.callTool('tools', 'slow_tool', { ms: 5_000 }, { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(await text(pool, 'tools', 'add', { a: 1, b: 1 })).toBe('2');
    expect(pool.isConnected('tools')).toBe(true);
  });

  it('cancels a call through its AbortSignal', async () => {
    const pool = createPool([stdioServerConfig()]);
    const controller = new AbortController();
    const call = pool.callTool('tools', 'slow_tool', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(call);
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toContain('was cancelled');
    expect(await text(pool, 'tools', 'add', { a: 1, b: 2 })).toBe('3');
  });

  it('names the command when it does not exist', async () => {
    const pool = createPool([{ name: 'ghost', command: 'zap-no-such-mcp-server-binary', args: ['--port', '1'] }]);
    const error = await rejection(pool.listTools('ghost'));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain("MCP server 'ghost'");
    expect(error.message).toContain('command: zap-no-such-mcp-server-binary --port 1');
    expect(error.message).toContain('ENOENT');
    // Not retried: a missing binary does not appear by waiting.
    expect(error.message).not.toContain('attempts');

    const callError = await rejection(pool.callTool('ghost', 'anything', {}));
    expect(ToolExecutionError.isInstance(callError)).toBe(true);
    expect(callError.message).toContain('zap-no-such-mcp-server-binary');
  });

  it('includes the stderr tail of a server that dies at startup', async () => {
    const pool = createPool(
      [
        {
          name: 'broken',
          command: process.execPath,
          args: ['-e', 'console.error("boom: MISSING_API_KEY is not set"); process.exit(3)'],
        },
      ],
      { maxConnectAttempts: 2 },
    );
    const error = await rejection(pool.listTools('broken'));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain("Could not connect to MCP server 'broken'");
    expect(error.message).toContain('after 2 attempts');
    expect(error.message).toContain('boom: MISSING_API_KEY is not set');
  });

  it('does not leak the worker environment into the server, but passes config env', async () => {
    process.env.ZAP_SECRET_TEST = 'x';
    try {
      const pool = createPool([stdioServerConfig('tools', { env: { ZAP_PASSED_TEST: 'yes' } })]);
      expect(await text(pool, 'tools', 'read_env', { name: 'ZAP_SECRET_TEST' })).toBe('(unset)');
      expect(await text(pool, 'tools', 'read_env', { name: 'ZAP_PASSED_TEST' })).toBe('yes');
      expect(await text(pool, 'tools', 'read_env', { name: 'PATH' })).not.toBe('(unset)');
    } finally {
      delete process.env.ZAP_SECRET_TEST;
    }
  });

  it('close() stops the subprocess', async () => {
    const pool = new McpConnectionPool();
    pool.register([stdioServerConfig()]);
    const pid = Number(await text(pool, 'tools', 'get_pid'));
    expect(isProcessAlive(pid)).toBe(true);
    await pool.close();
    expect(isProcessAlive(pid)).toBe(false);
    expect(pool.isConnected('tools')).toBe(false);
    expect(ZapConfigurationError.isInstance(await rejection(pool.listTools('tools')))).toBe(true);
    expect(ToolExecutionError.isInstance(await rejection(pool.callTool('tools', 'add', { a: 1, b: 1 })))).toBe(true);
  });

  it('close() also stops a process in the middle of a call', async () => {
    const pool = new McpConnectionPool();
    pool.register([stdioServerConfig()]);
    const pid = Number(await text(pool, 'tools', 'get_pid'));
    const call = pool.callTool('tools', 'slow_tool', { ms: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.close();
    expect(isProcessAlive(pid)).toBe(false);
    expect(ToolExecutionError.isInstance(await rejection(call))).toBe(true);
  });
});

describe('McpConnectionPool over Streamable HTTP', () => {
  it('lists and calls tools, passing _meta', async () => {
    const server = await startServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const pool = createPool([{ name: 'remote', url: server.url }]);
    const tools = await pool.listTools('remote');
    expect(tools.map((tool) => tool.name)).toContain('get_weather');
    expect(await text(pool, 'remote', 'get_weather', { city: 'Oslo' })).toBe('Sunny, 21°C in Oslo');
    const echoed = await pool.callTool('remote', 'echo_meta', {}, { meta: { taskId: 'task-9' } });
    expect(JSON.parse(echoed.content)).toEqual({ taskId: 'task-9' });
    expect((await pool.callTool('remote', 'fail_tool', {})).isError).toBe(true);
    expect(server.sessions()).toBe(1);
  });

  it('sends the configured headers', async () => {
    const server = await startServer({ requiredHeaders: { Authorization: 'Bearer secret-token' } });
    const withHeaders = createPool([
      { name: 'remote', url: server.url, headers: { Authorization: 'Bearer secret-token' } },
    ]);
    expect(await text(withHeaders, 'remote', 'add', { a: 2, b: 3 })).toBe('5');

    const withoutHeaders = createPool([{ name: 'remote', url: server.url }]);
    const error = await rejection(withoutHeaders.listTools('remote'));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`url: ${server.url}`);
    expect(error.message).toContain('401');
    expect(error.message).not.toContain('secret-token');
  });

  it('reconnects after the server restarted on the same port', async () => {
    let server = await startServer();
    const pool = createPool([{ name: 'remote', url: server.url }]);
    expect(await text(pool, 'remote', 'add', { a: 1, b: 2 })).toBe('3');

    server = await restartServer(server);
    // The dropped standalone SSE stream tells the pool; a call racing that notice is ambiguous
    // (it may have reached the old server) and would rightly be thrown instead of resent.
    await waitFor(() => !pool.isConnected('remote'));
    expect(await text(pool, 'remote', 'add', { a: 2, b: 2 })).toBe('4');
    expect(server.sessions()).toBe(1);
    expect(pool.isConnected('remote')).toBe(true);
  });

  it('resends a request the server rejected as an unknown session, exactly once', async () => {
    // Without the standalone GET stream the pool only learns of the restart from the POST's 404.
    let server = await startServer({ allowStandaloneStream: false });
    const warnings: string[] = [];
    const pool = createPool([{ name: 'remote', url: server.url }], {
      logger: { warn: (message) => warnings.push(message) },
    });
    const before = Number(await text(pool, 'remote', 'count_calls'));

    server = await restartServer(server, { allowStandaloneStream: false });
    // A real restart takes longer than the client needs to see its idle keep-alive sockets close;
    // without this pause the POST could go out on a socket the old server just closed.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pool.isConnected('remote')).toBe(true); // nothing told the pool yet
    expect(Number(await text(pool, 'remote', 'count_calls'))).toBe(before + 1);
    expect(server.sessions()).toBe(1);
    expect(warnings.join('\n')).toMatch(/Lost the connection to MCP server 'remote' .*HTTP 404/);
  });

  it('fails a call whose server dropped mid-call, then reconnects', async () => {
    const server = await startServer();
    const pool = createPool([{ name: 'remote', url: server.url }]);
    expect(await text(pool, 'remote', 'add', { a: 1, b: 2 })).toBe('3');

    const error = await rejection(pool.callTool('remote', 'crash_server', {}, { timeoutMs: 10_000 }));
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toContain("disconnected while tool 'crash_server' was running");
    expect(await text(pool, 'remote', 'add', { a: 3, b: 4 })).toBe('7');
  });

  it('fails an in-flight call at once when the server dies, without waiting for the timeout', async () => {
    let server = await startServer();
    const pool = createPool([{ name: 'remote', url: server.url }]);
    await pool.listTools('remote');

    const started = Date.now();
    const call = rejection(pool.callTool('remote', 'slow_tool', { ms: 20_000 }, { timeoutMs: 30_000 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.crash();
    const error = await call;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ToolExecutionError.isInstance(error)).toBe(true);
    expect(error.message).toContain("disconnected while tool 'slow_tool' was running");
    expect(pool.isConnected('remote')).toBe(false);

    server = await restartServer(server);
    expect(await text(pool, 'remote', 'add', { a: 5, b: 5 })).toBe('10');
  });

  it('reports an unreachable server after bounded attempts', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    openServers.splice(openServers.indexOf(server), 1);
    const pool = createPool([{ name: 'down', url }], { maxConnectAttempts: 2 });
    const error = await rejection(pool.listTools('down'));
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain("Could not connect to MCP server 'down'");
    expect(error.message).toContain('after 2 attempts');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('close() ends the HTTP session', async () => {
    const server = await startServer();
    const pool = new McpConnectionPool();
    pool.register([{ name: 'remote', url: server.url }]);
    await pool.listTools('remote');
    expect(server.sessions()).toBe(1);
    await pool.close();
    expect(server.sessions()).toBe(0);
  });
});

describe('McpConnectionPool.connectAll', () => {
  it('connects every server in parallel and returns their tools', async () => {
    const server = await startServer();
    const pool = createPool([stdioServerConfig('local'), { name: 'remote', url: server.url }]);
    const toolsByServer = await pool.connectAll();
    expect([...toolsByServer.keys()].sort()).toEqual(['local', 'remote']);
    expect(toolsByServer.get('local')?.length).toBeGreaterThan(0);
    expect(pool.isConnected('local')).toBe(true);
    expect(pool.isConnected('remote')).toBe(true);
  });

  it('lists every server that failed', async () => {
    const pool = createPool([
      stdioServerConfig('local'),
      { name: 'ghost_a', command: 'zap-no-such-binary-a' },
      { name: 'ghost_b', command: 'zap-no-such-binary-b' },
    ]);
    const error = await rejection(pool.connectAll());
    expect(ZapConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('2 MCP servers could not be connected');
    expect(error.message).toContain('zap-no-such-binary-a');
    expect(error.message).toContain('zap-no-such-binary-b');
  });
});
