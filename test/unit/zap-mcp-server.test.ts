import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Zap, ZapAgent } from '../../src';
import type { TaskEvent } from '../../src/core/events';
import { principalForCall } from '../../src/mcp-server/acting-principal';
import { hostRefusal, normalizeAllowedHosts } from '../../src/mcp-server/allowed-hosts';
import { createMcpHttpHandler, createZapMcpServer, describeTaskEvent, LOCALHOST_NAMES, MCP_ERROR_META_KEY } from '../../src/mcp-server';
import { mcpOutputSchema } from '../../src/mcp-server/operation-tool-result';
import { McpHttpSessions, type McpHttpSession } from '../../src/mcp-server/mcp-http-sessions';
import { OPERATION_CATALOG, OPERATOR_PRINCIPAL, ZapOperations, findOperation } from '../../src/operations';

/** A Zap that is never started: enough to list tools and to see a ZapError become a tool error. */
function unstartedOperations(): ZapOperations {
  return new ZapOperations({ zap: new Zap({ agents: [new ZapAgent({ name: 'Assistant', prompt: 'You help.' })] }) });
}

describe('the MCP server, in memory', () => {
  let client: Client;

  beforeAll(async () => {
    const server = createZapMcpServer({ operations: unstartedOperations(), principal: OPERATOR_PRINCIPAL });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: 'unit', version: '1.0.0' });
    await client.connect(clientSide);
  });

  afterAll(async () => {
    await client.close();
  });

  test('announces itself and lists every operation with an object output schema', async () => {
    expect(client.getServerVersion()?.name).toBe('zap-agents');
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(OPERATION_CATALOG.length);
    for (const tool of tools) expect(tool.outputSchema?.type).toBe('object');
  });

  test('a ZapError is a tool error with its code, not a protocol error', async () => {
    const result = (await client.callTool({ name: 'get_task_status', arguments: { taskId: 't-1' } })) as CallToolResult;
    expect(result).toMatchObject({ isError: true, _meta: { [MCP_ERROR_META_KEY]: { code: 'ZAP_NOT_STARTED' } } });
    expect(result.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^ZAP_NOT_STARTED: /) });
  });

  test('arguments that fail the input schema are reported by the SDK as a tool error', async () => {
    const result = (await client.callTool({ name: 'decide_approval', arguments: { taskId: 't-1', decision: 'maybe' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('Input validation error');
  });
});

describe('principalForCall', () => {
  const principal = { tenantId: 'acme', roles: ['read', 'approve'] as const };

  test("takes the calling task from _meta['zap-agents/call'] as the acting task", () => {
    expect(principalForCall(principal, { 'zap-agents/call': { taskId: 'task-7', toolCallId: 'c1' } })).toEqual({ ...principal, actingTaskId: 'task-7' });
  });

  test('leaves the principal alone without a well-formed task id, and never replaces an authenticated one', () => {
    expect(principalForCall(principal, undefined)).toBe(principal);
    expect(principalForCall(principal, { 'zap-agents/call': { taskId: 42 } })).toBe(principal);
    expect(principalForCall(principal, { 'zap-agents/call': 'task-7' })).toBe(principal);
    const acting = { ...principal, actingTaskId: 'task-1' };
    expect(principalForCall(acting, { 'zap-agents/call': { taskId: 'task-7' } })).toBe(acting);
  });
});

describe('hostRefusal (DNS-rebinding protection)', () => {
  const allowed = normalizeAllowedHosts(LOCALHOST_NAMES);
  const request = (headers: Record<string, string>) => new Request('http://127.0.0.1:3000/mcp', { method: 'POST', headers });

  test('accepts this machine by any name and port', () => {
    expect(hostRefusal(request({ host: '127.0.0.1:3000' }), allowed)).toBeUndefined();
    expect(hostRefusal(request({ host: 'LOCALHOST:8080', origin: 'http://localhost:5173' }), allowed)).toBeUndefined();
    expect(hostRefusal(request({ host: '[::1]:3000' }), allowed)).toBeUndefined();
  });

  test('refuses another name in Host or Origin', () => {
    expect(hostRefusal(request({ host: 'evil.example.com' }), allowed)).toBe('Invalid Host header: evil.example.com');
    expect(hostRefusal(request({ host: 'localhost:3000', origin: 'http://evil.example.com' }), allowed)).toBe(
      'Invalid Origin header: http://evil.example.com',
    );
    expect(hostRefusal(request({ host: 'localhost', origin: 'null' }), allowed)).toBe('Invalid Origin header: null');
  });
});

describe('createMcpHttpHandler', () => {
  test('refuses bad limits with a configuration error', () => {
    expect(() => createMcpHttpHandler({ operations: unstartedOperations(), maxSessions: 0 })).toThrow(/'maxSessions' must be a positive integer/);
    expect(() => createMcpHttpHandler({ operations: unstartedOperations(), sessionIdleTimeoutMs: 1.5 })).toThrow(
      /'sessionIdleTimeoutMs' must be a positive integer/,
    );
  });

  test('answers a request with a foreign Host 403 when allowedHosts is set, and one without a session 400', async () => {
    const handler = createMcpHttpHandler({ operations: unstartedOperations(), allowedHosts: LOCALHOST_NAMES });
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const foreign = await handler(new Request('http://evil.example.com/mcp', { method: 'POST', headers: { ...headers, host: 'evil.example.com' }, body: ping }), OPERATOR_PRINCIPAL);
    expect(foreign.status).toBe(403);
    const sessionless = await handler(new Request('http://127.0.0.1/mcp', { method: 'POST', headers, body: ping }), OPERATOR_PRINCIPAL);
    expect(sessionless.status).toBe(400);
    await handler.close();
  });
});

test('every operation returns an object, as MCP structured content must be', () => {
  for (const operation of OPERATION_CATALOG) expect(mcpOutputSchema(operation)).toBe(operation.output);
  expect(Object.keys(mcpOutputSchema(findOperation('list_pending_approvals')!).shape)).toEqual(['taskId', 'approvals']);
});

test('describeTaskEvent gives each event a line, the tool call its own phrase', () => {
  const base = { seq: 1, timestamp: '2026-01-01T00:00:00.000Z', taskId: 't' };
  const lines = (
    [
      { ...base, type: 'thinking', iteration: 2, callIndex: 3 },
      { ...base, type: 'tool_call', name: 'get_weather', arguments: {}, phrase: 'Getting weather for Paris...', toolCallId: 'c' },
      { ...base, type: 'approval_resolved', approvalId: 'a1', decision: 'timed_out' },
      { ...base, type: 'cancelled', reason: 'stop' },
    ] as TaskEvent[]
  ).map(describeTaskEvent);
  expect(lines).toEqual(['Thinking (model call 2)', 'Getting weather for Paris...', 'Approval a1 timed out', 'Cancelled: stop']);
});

describe('McpHttpSessions', () => {
  const alice = { userId: 'alice', roles: ['read'] as const };
  function fakeSession(id: string): McpHttpSession & { closed: boolean } {
    const session = {
      id,
      principal: alice,
      openResponses: 0,
      lastActiveAt: Date.now(),
      closed: false,
      transport: {} as McpHttpSession['transport'],
      server: { close: async () => void (session.closed = true) } as unknown as McpHttpSession['server'],
    };
    return session;
  }

  test('a session is found only by its own principal', () => {
    const sessions = new McpHttpSessions({ idleTimeoutMs: 60_000, maxSessions: 10 });
    sessions.add(fakeSession('s1'));
    expect(sessions.find('s1', { userId: 'alice', roles: ['read'] })?.id).toBe('s1');
    expect(sessions.find('s1', { userId: 'alice', roles: ['read', 'approve'] })).toBeUndefined();
    expect(sessions.find('s1', { userId: 'mallory', roles: ['read'] })).toBeUndefined();
  });

  test('at capacity the least recently used idle session makes room; busy sessions never do', () => {
    const sessions = new McpHttpSessions({ idleTimeoutMs: 60_000, maxSessions: 2 });
    const [first, second] = [fakeSession('s1'), fakeSession('s2')];
    sessions.add(first);
    sessions.add(second);
    sessions.find('s1', alice); // s2 is now the least recently used
    expect(sessions.makeRoom()).toBe(true);
    expect([first.closed, second.closed]).toEqual([false, true]);
    sessions.add(fakeSession('s3'));
    first.openResponses = 1;
    sessions.find('s3', alice)!.openResponses = 1;
    expect(sessions.makeRoom()).toBe(false);
  });

  test('an idle session expires after the idle timeout; one with an open stream does not', () => {
    const sessions = new McpHttpSessions({ idleTimeoutMs: 1000, maxSessions: 10 });
    const [idle, streaming] = [fakeSession('idle'), fakeSession('streaming')];
    streaming.openResponses = 1;
    sessions.add(idle);
    sessions.add(streaming);
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 5000);
    try {
      expect(sessions.find('idle', alice)).toBeUndefined();
      expect(idle.closed).toBe(true);
      expect(sessions.find('streaming', alice)?.id).toBe('streaming');
    } finally {
      now.mockRestore();
    }
  });
});
