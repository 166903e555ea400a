/**
 * The MCP server (`zap-agents/mcp-server`) driven by the SDK's own `Client`, over stdio (the
 * server in a subprocess, as `zap mcp` runs it) and over Streamable HTTP (the handler served on
 * 127.0.0.1), against the real dev server, a real worker and the scripted model over HTTP.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { ApprovalRules } from '../../src';
import { createMcpHttpHandler, MCP_ERROR_META_KEY } from '../../src/mcp-server';
import {
  ALL_ROLES,
  OPERATION_CATALOG,
  OPERATOR_PRINCIPAL,
  operationInputJsonSchema,
  ZapOperations,
  type Principal,
  type TaskListPage,
  type TaskStatusView,
  type WaitForTaskResult,
} from '../../src/operations';
import { answerMcpTestRequest, FINAL_EMAIL, mcpTestAgents, transfers } from '../fixtures/mcp-server/mcp-zap';
import { serveMcpHandler, type ServedMcpHandler } from '../fixtures/mcp-server/serve-mcp-handler';
import { startHarness, temporalAddress, waitForTask, type Harness } from '../support/harness';

jest.setTimeout(120_000);

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const STDIO_ENTRY = resolve(__dirname, '../fixtures/mcp-server/stdio-server.ts');
const ZAP_MODULE = resolve(__dirname, '../fixtures/mcp-server/mcp-zap.ts');

/** Bearer tokens of the HTTP test server and the principals they authenticate. */
const PRINCIPALS: Record<string, Principal> = {
  operator: OPERATOR_PRINCIPAL,
  'acme-ana': { tenantId: 'acme', userId: 'ana', roles: ALL_ROLES },
  'globex-bob': { tenantId: 'globex', userId: 'bob', roles: ALL_ROLES },
  'acme-reader': { tenantId: 'acme', userId: 'rita', roles: ['read'] },
};

/** The service layer, recording when `wait_for_task` calls start and how they end. */
class RecordingOperations extends ZapOperations {
  readonly startedWaits: string[] = [];
  readonly finishedWaits: WaitForTaskResult['outcome'][] = [];

  override async waitForTask(...args: Parameters<ZapOperations['waitForTask']>): Promise<WaitForTaskResult> {
    this.startedWaits.push(String(args[1].taskId));
    const result = await super.waitForTask(...args);
    this.finishedWaits.push(result.outcome);
    return result;
  }
}

const sleep = (milliseconds: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, milliseconds));

/** Polls `probe` until it returns a value; fails naming `what` after 30 s. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function call(client: Client, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) })) as CallToolResult;
}

/** The structured result of a successful call (whose text is the same JSON). */
function structured<T>(result: CallToolResult): T {
  if (result.isError) throw new Error(`expected a result, got the error ${JSON.stringify(result.content)}`);
  const text = result.content.find((part) => part.type === 'text');
  expect(JSON.parse(text?.type === 'text' ? text.text : 'null')).toEqual(result.structuredContent);
  return result.structuredContent as T;
}

/** The code of a tool error, checked against its text (`CODE: message`). */
function errorCode(result: CallToolResult): string {
  expect(result.isError).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  const code = (result._meta?.[MCP_ERROR_META_KEY] as { code?: string } | undefined)?.code ?? 'none';
  const text = result.content[0];
  expect(text?.type === 'text' ? text.text : '').toMatch(new RegExp(`^${code}: `));
  return code;
}

describe('the MCP server', () => {
  let harness: Harness;
  let operations: RecordingOperations;
  let served: ServedMcpHandler;
  let stdioClient: Client;
  let stdioStderr = '';
  const httpClients: Client[] = [];

  async function httpClient(token: string): Promise<Client> {
    const client = new Client({ name: 'mcp-server-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(served.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    httpClients.push(client);
    return client;
  }

  /** The operator's client of each transport. */
  const clients: Record<'stdio' | 'http', () => Promise<Client>> = {
    stdio: async () => stdioClient,
    http: () => httpClient('operator'),
  };

  beforeAll(async () => {
    harness = await startHarness({ agents: mcpTestAgents(), llm: { handler: answerMcpTestRequest } });
    operations = new RecordingOperations({ zap: harness.zap });
    served = await serveMcpHandler(createMcpHttpHandler({ operations }), (request) => {
      const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      return token === undefined ? undefined : PRINCIPALS[token];
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', STDIO_ENTRY, ZAP_MODULE],
      cwd: REPOSITORY_ROOT,
      env: { ...getDefaultEnvironment(), ZAP_TASK_QUEUE: harness.taskQueue, TEMPORAL_ADDRESS: temporalAddress() },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => (stdioStderr += chunk.toString()));
    stdioClient = new Client({ name: 'mcp-server-test', version: '1.0.0' });
    await stdioClient.connect(transport);
  });

  afterAll(async () => {
    await Promise.allSettled([stdioClient?.close(), ...httpClients.map((client) => client.close())]);
    await served?.close();
    await harness?.stop();
  });

  afterEach(() => {
    // Shows why the stdio server misbehaved, if it did.
    if (stdioStderr.includes('failed')) console.error(stdioStderr);
  });

  test.each(['stdio', 'http'] as const)('%s: every operation is a tool, with the catalog schemas and hints', async (transport) => {
    const client = await clients[transport]();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(OPERATION_CATALOG.map((operation) => operation.name));
    for (const operation of OPERATION_CATALOG) {
      const listed = tools.find((tool) => tool.name === operation.name);
      const { $schema: _ignored, ...inputSchema } = listed?.inputSchema as Record<string, unknown>;
      expect(inputSchema).toEqual(operationInputJsonSchema(operation));
      expect(listed?.description).toBe(operation.description);
      expect(listed?.outputSchema?.type).toBe('object');
      expect(listed?.annotations).toEqual({ readOnlyHint: operation.readOnly, idempotentHint: operation.readOnly });
    }
    expect(client.getInstructions()).toContain('wait_for_task');
  });

  test.each(['stdio', 'http'] as const)('%s: start, wait, status, follow-up, history, usage, list and cancel', async (transport) => {
    const client = await clients[transport]();
    const started = structured<TaskStatusView>(await call(client, 'start_task', { agent: 'Assistant', message: 'hello one' }));
    expect(started).toMatchObject({ agent: 'Assistant' });
    const { taskId } = started;

    const first = structured<WaitForTaskResult>(await call(client, 'wait_for_task', { taskId, timeoutSeconds: 60 }));
    expect(first).toMatchObject({ outcome: 'completed', task: { taskId, status: 'completed', result: 'Hello: hello one' } });
    expect(structured<TaskStatusView>(await call(client, 'get_task_status', { taskId }))).toMatchObject({ status: 'completed', result: 'Hello: hello one' });

    structured<TaskStatusView>(await call(client, 'send_message', { taskId, message: 'hello two' }));
    const second = await eventually('the follow-up answer', async () => {
      const waited = structured<WaitForTaskResult>(await call(client, 'wait_for_task', { taskId, timeoutSeconds: 60 }));
      return waited.task.result === 'Hello: hello two' ? waited : undefined;
    });
    expect(second.outcome).toBe('completed');

    const history = structured<{ messages: Array<{ role: string; content: unknown }>; total: number }>(
      await call(client, 'get_task_history', { taskId }),
    );
    expect(history.messages.map((message) => message.content)).toEqual([
      'You are the MCP test assistant.',
      'hello one',
      'Hello: hello one',
      'hello two',
      'Hello: hello two',
    ]);
    const usage = structured<{ taskId: string; usage: { totalTokens: number } }>(await call(client, 'get_task_usage', { taskId }));
    expect(usage.taskId).toBe(taskId);
    expect(usage.usage.totalTokens).toBeGreaterThan(0);

    // Visibility is eventually consistent: the new task shows up in a moment.
    const listed = await eventually('the task in list_tasks', async () => {
      const page = structured<TaskListPage>(await call(client, 'list_tasks', { agent: 'Assistant', pageSize: 100 }));
      return page.tasks.find((task) => task.taskId === taskId);
    });
    expect(listed).toMatchObject({ agent: 'Assistant' });

    const cancelled = structured<TaskStatusView>(await call(client, 'cancel_task', { taskId, reason: 'done testing' }));
    expect(cancelled.taskId).toBe(taskId);
    const closed = structured<WaitForTaskResult>(await call(client, 'wait_for_task', { taskId, timeoutSeconds: 60 }));
    expect(closed).toMatchObject({ outcome: 'cancelled', task: { status: 'cancelled', cancelReason: 'done testing' } });
  });

  test.each(['stdio', 'http'] as const)('%s: wait_for_task reports each task event as progress; deliver_event reaches the waiting task', async (transport) => {
    const client = await clients[transport]();
    const { taskId } = structured<TaskStatusView>(await call(client, 'start_task', { agent: 'Assistant', message: 'verify email' }));
    await eventually('the task to wait for its event', async () => {
      const status = structured<TaskStatusView>(await call(client, 'get_task_status', { taskId }));
      return status.waitingFor.events.includes('email-verified') ? status : undefined;
    });

    const progress: Progress[] = [];
    const waiting = client.callTool({ name: 'wait_for_task', arguments: { taskId, timeoutSeconds: 120 } }, undefined, {
      onprogress: (notification) => progress.push(notification),
      timeout: 130_000,
    });
    // Each delivered event is a task event; once the wait follows the task, it reports one.
    for (let ping = 0; progress.length === 0; ping += 1) {
      const delivered = structured<{ accepted: boolean }>(
        await call(client, 'deliver_event', { taskId, name: 'email-verified', data: { email: `ping-${ping}@example.com` } }),
      );
      expect(delivered.accepted).toBe(true);
      await sleep(200);
    }
    structured(await call(client, 'deliver_event', { taskId, name: 'email-verified', data: { email: FINAL_EMAIL } }));
    const result = structured<WaitForTaskResult>((await waiting) as CallToolResult);

    expect(result).toMatchObject({ outcome: 'completed', task: { result: `Verified ${FINAL_EMAIL}` } });
    expect(progress.map((notification) => notification.progress)).toEqual(progress.map((_, index) => index + 1));
    const messages = progress.map((notification) => notification.message);
    expect(messages).toContain('Received event email-verified');
    expect(messages).toContain('Waiting for event email-verified');
    expect(messages.at(-1)).toBe('Completed');

    expect(errorCode(await call(client, 'deliver_event', { taskId, name: 'phone-verified', data: {} }))).toBe('UNKNOWN_EVENT');
    expect(errorCode(await call(client, 'deliver_event', { taskId, name: 'email-verified', data: { email: 42 } }))).toBe(
      'EVENT_VALIDATION',
    );
  });

  test('http: cancelling a wait_for_task request ends the wait on the server', async () => {
    const client = await httpClient('operator');
    const { taskId } = structured<TaskStatusView>(await call(client, 'start_task', { agent: 'Assistant', message: 'verify email' }));
    const waitsBefore = operations.startedWaits.length;
    const finishedBefore = operations.finishedWaits.length;
    const abort = new AbortController();
    const waiting = client.callTool({ name: 'wait_for_task', arguments: { taskId, timeoutSeconds: 3600 } }, undefined, {
      signal: abort.signal,
      timeout: 3_700_000,
    });
    await eventually('the wait to start', async () => (operations.startedWaits.length > waitsBefore ? true : undefined));
    abort.abort('the user stopped waiting');

    await expect(waiting).rejects.toThrow();
    // Sent as notifications/cancelled on its own POST, it reached the session running the call.
    expect(await eventually('the wait to end', async () => operations.finishedWaits[finishedBefore])).toBe('timed_out');
    await call(client, 'cancel_task', { taskId });
  });

  test.each([
    ['stdio', 'operator'],
    ['http', 'acme-ana'],
  ] as const)('%s: approvals are listed, approved and rejected, never by the task itself', async (transport, token) => {
    const client = transport === 'stdio' ? stdioClient : await httpClient(token);
    const transfersBefore = transfers.length;
    const started = await harness.zap.executeTask({
      agentName: 'Assistant',
      task: 'transfer twice',
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
      tenantId: 'acme',
    });
    const taskId = started.id;
    await waitForTask(harness.zap, taskId, (task) => task.approvals.filter((approval) => approval.decision === undefined).length === 2);

    const { approvals: pending } = structured<{ approvals: Array<{ approvalId: string; toolName: string; arguments: { to: string } }> }>(
      await call(client, 'list_pending_approvals', { taskId }),
    );
    expect(pending.map((approval) => [approval.toolName, approval.arguments.to]).sort()).toEqual([
      ['transfer_funds', 'A'],
      ['transfer_funds', 'B'],
    ]);
    const toA = pending.find((approval) => approval.arguments.to === 'A')!;
    const toB = pending.find((approval) => approval.arguments.to === 'B')!;

    // One of our own agents calling with this task's id in `_meta`: a model never approves its own calls.
    const own = await call(client, 'decide_approval', { taskId, approvalId: toA.approvalId, decision: 'approve' }, {
      'zap-agents/call': { taskId, agentName: 'Assistant', toolCallId: 'call_x', idempotencyKey: `${taskId}/call_x` },
    });
    expect(errorCode(own)).toBe('PERMISSION_DENIED');
    expect(transfers.length).toBe(transfersBefore);

    const approved = structured<{ decision: string; alreadyDecided: boolean; decidedBy?: string }>(
      await call(client, 'decide_approval', { taskId, approvalId: toA.approvalId, decision: 'approve' }),
    );
    expect(approved).toMatchObject({ decision: 'approved', alreadyDecided: false });
    if (token === 'acme-ana') expect(approved.decidedBy).toBe('ana');
    const rejected = structured<{ decision: string }>(
      await call(client, 'decide_approval', { taskId, approvalId: toB.approvalId, decision: 'reject', reason: 'not this one' }),
    );
    expect(rejected.decision).toBe('rejected');

    const done = structured<WaitForTaskResult>(await call(client, 'wait_for_task', { taskId, timeoutSeconds: 60 }));
    expect(done).toMatchObject({ outcome: 'completed', task: { result: 'Transfers: sent 5 to A | [Tool call rejected: not this one]' } });
    expect(transfers.slice(transfersBefore)).toEqual(['5 to A']);
    expect(structured<{ approvals: unknown[] }>(await call(client, 'list_pending_approvals', { taskId })).approvals).toEqual([]);
  });

  test("http: a tenant never sees another tenant's task; a reader cannot decide", async () => {
    const ana = await httpClient('acme-ana');
    const bob = await httpClient('globex-bob');
    const rita = await httpClient('acme-reader');
    const { taskId, tenantId, userId } = structured<TaskStatusView>(await call(ana, 'start_task', { agent: 'Assistant', message: 'hello acme' }));
    expect({ tenantId, userId }).toEqual({ tenantId: 'acme', userId: 'ana' });

    expect(errorCode(await call(bob, 'get_task_status', { taskId }))).toBe('TASK_NOT_FOUND');
    expect(errorCode(await call(bob, 'wait_for_task', { taskId, timeoutSeconds: 1 }))).toBe('TASK_NOT_FOUND');
    expect(errorCode(await call(bob, 'cancel_task', { taskId }))).toBe('TASK_NOT_FOUND');
    expect(errorCode(await call(bob, 'get_task_status', { taskId: 'no-such-task' }))).toBe('TASK_NOT_FOUND');
    expect(structured<TaskListPage>(await call(bob, 'list_tasks', { tenantId: 'acme' })).tasks).toEqual([]);

    expect(structured<TaskStatusView>(await call(rita, 'get_task_status', { taskId })).taskId).toBe(taskId);
    expect(errorCode(await call(rita, 'decide_approval', { taskId, approvalId: 'x', decision: 'approve' }))).toBe('PERMISSION_DENIED');
    expect(errorCode(await call(rita, 'start_task', { agent: 'Assistant', message: 'hello' }))).toBe('PERMISSION_DENIED');

    expect(structured<WaitForTaskResult>(await call(ana, 'wait_for_task', { taskId, timeoutSeconds: 60 })).task.result).toBe('Hello: hello acme');
  });

  test.each(['stdio', 'http'] as const)('%s: malformed arguments are reported by the SDK; an unknown agent is AGENT_NOT_FOUND', async (transport) => {
    const client = await clients[transport]();
    const malformed = await call(client, 'start_task', { agent: 'Assistant' });
    expect(malformed.isError).toBe(true);
    expect(JSON.stringify(malformed.content)).toContain('Input validation error');
    expect(errorCode(await call(client, 'start_task', { agent: 'Nobody', message: 'hi' }))).toBe('AGENT_NOT_FOUND');
  });

  test('stdio: stdout carries only protocol messages, and the server exits when the client closes stdin', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', STDIO_ENTRY, ZAP_MODULE], {
      cwd: REPOSITORY_ROOT,
      env: { ...getDefaultEnvironment(), ZAP_TASK_QUEUE: harness.taskQueue, TEMPORAL_ADDRESS: temporalAddress() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_task_status', arguments: { taskId: 'no-such-task' } } });
    await eventually('both answers', async () => (stdout.split('\n').filter(Boolean).length >= 2 ? true : undefined));
    child.stdin.end();

    expect(await exited).toBe(0);
    const messages = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id?: number; result?: CallToolResult });
    expect(messages.map((message) => message.id)).toEqual([1, 2]);
    expect(errorCode(messages[1]!.result!)).toBe('TASK_NOT_FOUND');
  });

  test('http: a session belongs to the principal that opened it and ends on DELETE', async () => {
    const initialize = (token: string, sessionId?: string, body?: unknown) =>
      fetch(served.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
          ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
        },
        body: JSON.stringify(
          body ?? {
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
          },
        ),
      });
    const opened = await initialize('acme-ana');
    expect(opened.status).toBe(200);
    await opened.text();
    const sessionId = opened.headers.get('mcp-session-id')!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };

    const stolen = await initialize('globex-bob', sessionId, ping);
    expect(stolen.status).toBe(404);
    const own = await initialize('acme-ana', sessionId, ping);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('"result":{}');

    const ended = await fetch(served.url, {
      method: 'DELETE',
      headers: { authorization: 'Bearer acme-ana', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(ended.status).toBe(200);
    expect((await initialize('acme-ana', sessionId, ping)).status).toBe(404);
  });
});
