import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Zap } from '../../src';
import {
  approvalDecisionResultSchema,
  deliverEventResultSchema,
  historyPageSchema,
  taskEventSchema,
  taskListPageSchema,
  taskStatusViewSchema,
  taskUsageSchema,
  waitForTaskResultSchema,
} from '../../src/operations/operation-schemas';
import { OPERATION_CATALOG } from '../../src/operations/operation-catalog';
import { scripted, ScriptedLlmServer, type ScriptedRequest, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { createCliZap } from '../fixtures/cli-zap';
import { temporalAddress, uniqueTaskQueue, waitForTask } from '../support/harness';

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const CLI_ENTRY = resolve(REPOSITORY_ROOT, 'workers/zap-cli.ts');
const FIXTURE_MODULE = resolve(__dirname, '../fixtures/cli-zap.ts');

/** What one `zap` run printed and how it exited. */
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `workers/zap-cli.ts` through tsx, as the `zap` bin runs from dist/. */
function spawnCli(args: string[], environment: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The model of every task here, chosen by the latest user message: "hello …" answers, "transfer"
 * calls the gated tool, "wait for payment" waits for a named event, "fail" gets a 400, "slow"
 * gets no answer.
 */
function answer(request: ScriptedRequest): ScriptedResponse {
  const messages = request.body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const text = typeof lastUser?.content === 'string' ? lastUser.content : '';
  const afterTool = last?.role === 'tool';
  switch (text) {
    case 'slow':
      return scripted.hang();
    case 'fail':
      return scripted.error(400, 'The CLI test model refuses this request');
    case 'transfer':
      return afterTool ? scripted.text(`Transfer done: ${String(last?.content)}`) : scripted.toolCalls([{ name: 'transfer', arguments: { amount: 5 } }]);
    case 'wait for payment':
      return afterTool
        ? scripted.text(`Payment confirmed: ${String(last?.content)}`)
        : scripted.toolCalls([{ name: 'wait_for_event', arguments: { event: 'payment-confirmed', timeoutSeconds: 600 } }]);
    default:
      return scripted.text(`Hello: ${text}`);
  }
}

describe('the zap CLI', () => {
  const taskQueue = uniqueTaskQueue('cli');
  let llm: ScriptedLlmServer;
  let worker: ChildProcess | undefined;
  let workerOutput = '';
  let client: Zap;
  let cliEnvironment: Record<string, string | undefined>;

  /** Runs `zap <args>` to its end. */
  function zapCli(args: string[], environment: Record<string, string | undefined> = {}): Promise<CliRun> {
    const child = spawnCli(args, { ...cliEnvironment, ...environment });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolveRun) => child.once('close', (code) => resolveRun({ code, stdout, stderr })));
  }

  /** Runs `zap <args> --json`, expects `expectedCode` and returns stdout parsed as one JSON document. */
  async function zapJson(args: string[], expectedCode = 0, environment: Record<string, string | undefined> = {}): Promise<any> {
    const run = await zapCli([...args, '--json'], environment);
    if (run.code !== expectedCode) {
      throw new Error(`zap ${args.join(' ')} exited ${run.code}, not ${expectedCode}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
    }
    return JSON.parse(run.stdout);
  }

  /** Runs `zap <args> --json` that must fail: its exit code and the JSON error on stderr. */
  async function zapError(args: string[], environment: Record<string, string | undefined> = {}): Promise<{ code: number | null; error: { code: string; message: string } }> {
    const run = await zapCli([...args, '--json'], environment);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    return { code: run.code, error: JSON.parse(lines[lines.length - 1] as string).error };
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ handler: answer });
    cliEnvironment = {
      ZAP_MODULE: FIXTURE_MODULE,
      ZAP_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporalAddress(),
    };
    // One worker for the whole file, run by `zap worker` itself.
    worker = spawnCli(['worker', FIXTURE_MODULE], {
      ...cliEnvironment,
      ZAP_MODULE: undefined,
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'cli-test-key',
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
    });
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    client = createCliZap(taskQueue, temporalAddress());
    await client.start();
    const deadline = Date.now() + 30_000;
    while (!workerOutput.includes('[zap-worker] running')) {
      if (worker.exitCode !== null) throw new Error(`zap worker exited early:\n${workerOutput}`);
      if (Date.now() > deadline) throw new Error(`zap worker did not start:\n${workerOutput}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolveExit) => worker?.once('exit', resolveExit));
      worker.kill('SIGTERM');
      await exited;
    }
    await client?.stop();
    await llm?.close();
  });

  test('tools --format prints every operation as OpenAI, Anthropic and MCP tools, with no module or server', async () => {
    const names = OPERATION_CATALOG.map((operation) => operation.name);
    const noModule = { ZAP_MODULE: undefined, TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const [openai, anthropic, mcp] = await Promise.all([
      zapJson(['tools', '--format', 'openai'], 0, noModule),
      zapJson(['tools', '--format', 'anthropic'], 0, noModule),
      zapJson(['tools', '--format', 'mcp'], 0, noModule),
    ]);
    expect(openai.map((entry: any) => entry.type)).toEqual(names.map(() => 'function'));
    expect(openai.map((entry: any) => entry.function.name)).toEqual(names);
    expect(openai[0].function.parameters).toMatchObject({ type: 'object', required: expect.arrayContaining(['agent', 'message']) });
    expect(anthropic.map((entry: any) => entry.name)).toEqual(names);
    expect(anthropic[0].input_schema).toMatchObject({ type: 'object' });
    expect(mcp.map((entry: any) => entry.name)).toEqual(names);
    expect(mcp[0]).toMatchObject({ inputSchema: { type: 'object' }, outputSchema: { type: 'object' }, annotations: { readOnlyHint: false } });

    const badFormat = await zapError(['tools', '--format', 'gemini'], noModule);
    expect(badFormat).toEqual({ code: 2, error: { code: 'USAGE', message: expect.stringContaining('openai, anthropic, mcp') } });

    // `zap dev` is zap-dev: here it finds the test run's server on its port.
    const devStatus = await zapCli(['dev', 'status'], { ...noModule, TEMPORAL_PORT: temporalAddress().split(':').pop() });
    expect(devStatus.code).toBe(0);
    expect(devStatus.stdout).toContain('Temporal dev server running.');
  });

  test('start --wait runs a task to completion (exit 0); status, history, usage and events read it', async () => {
    const done = waitForTaskResultSchema.parse(await zapJson(['start', 'Assistant', 'hello there', '--id', `cli-hello-${taskQueue}`, '--wait', '--timeout', '30']));
    expect(done.outcome).toBe('completed');
    expect(done.task).toMatchObject({ taskId: `cli-hello-${taskQueue}`, agent: 'Assistant', status: 'completed', result: 'Hello: hello there' });
    const taskId = done.task.taskId;

    const [status, history, usage, events, human] = await Promise.all([
      zapJson(['status', taskId]),
      zapJson(['history', taskId, '--offset', '1', '--limit', '1']),
      zapJson(['usage', taskId]),
      zapCli(['events', taskId, '--json']),
      zapCli(['status', taskId]),
    ]);
    expect(taskStatusViewSchema.parse(status)).toMatchObject({ taskId, status: 'completed', result: 'Hello: hello there' });
    expect(historyPageSchema.parse(history)).toEqual({
      taskId,
      offset: 1,
      total: 3,
      messages: [{ role: 'user', content: 'hello there' }],
      nextOffset: 2,
    });
    expect(taskUsageSchema.parse(usage).usage.totalTokens).toBeGreaterThan(0);
    expect(events.code).toBe(0);
    const lines = events.stdout.trim().split('\n').map((line) => taskEventSchema.parse(JSON.parse(line)));
    expect(lines.map((event) => event.type)).toEqual(['thinking', 'completed']);
    // The human summary: aligned label/value rows.
    expect(human.code).toBe(0);
    const rows = human.stdout.trim().split('\n');
    expect(rows).toEqual(expect.arrayContaining([expect.stringMatching(/^Status +completed$/), expect.stringMatching(/^Result +Hello: hello there$/)]));
    expect(new Set(rows.map((row) => row.search(/(?<= {2})\S/))).size).toBe(1);

    // The same id again is the same task (idempotent start).
    const again = taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'hello there', '--id', taskId]));
    expect(again).toMatchObject({ taskId, status: 'completed' });
  });

  test('send continues a task, and events --since resumes after the last event seen', async () => {
    const started = taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'hello']));
    const first = waitForTaskResultSchema.parse(await zapJson(['wait', started.taskId]));
    expect(first).toMatchObject({ outcome: 'completed', task: { result: 'Hello: hello' } });
    const seenUpTo = first.task.lastEventSeq;

    const sent = taskStatusViewSchema.parse(await zapJson(['send', started.taskId, 'hello again']));
    expect(sent.taskId).toBe(started.taskId);
    // From the last seq seen: exactly the follow-up's events, ending with its answer.
    const resumed = await zapCli(['events', started.taskId, '--since', String(seenUpTo), '--json']);
    expect(resumed.code).toBe(0);
    const events = resumed.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(['thinking', 'completed']);
    expect(events.every((event) => event.seq > seenUpTo)).toBe(true);
    expect(events[1]).toMatchObject({ type: 'completed', result: 'Hello: hello again' });

    // The whole log from the start holds both requests; --since skips what was seen.
    const all = (await zapCli(['events', started.taskId, '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(all.map((event) => event.seq)).toEqual([...new Set(all.map((event) => event.seq))]);
    expect(all[all.length - 1]).toMatchObject({ type: 'completed', result: 'Hello: hello' });
  });

  test('a task that fails: start --wait exits 1 with the error', async () => {
    const run = await zapCli(['start', 'Assistant', 'fail', '--wait', '--json']);
    expect(run.code).toBe(1);
    const result = waitForTaskResultSchema.parse(JSON.parse(run.stdout));
    expect(result.outcome).toBe('failed');
    expect(result.task.error).toContain('The CLI test model refuses this request');
  });

  test('wait times out (exit 3), cancel, then wait exits 4 and events --follow ends at the cancellation', async () => {
    const started = taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'slow']));
    const timedOut = waitForTaskResultSchema.parse(await zapJson(['wait', started.taskId, '--timeout', '1'], 3));
    expect(timedOut.outcome).toBe('timed_out');
    expect(timedOut.task.status).toBe('thinking');

    const cancelled = taskStatusViewSchema.parse(await zapJson(['cancel', started.taskId, '--reason', 'no longer needed']));
    expect(cancelled.taskId).toBe(started.taskId);
    const outcome = waitForTaskResultSchema.parse(await zapJson(['wait', started.taskId, '--timeout', '30'], 4));
    expect(outcome).toMatchObject({ outcome: 'cancelled', task: { status: 'cancelled', cancelReason: 'no longer needed' } });

    const followed = await zapCli(['events', started.taskId, '--follow']);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^#\d+ thinking +Thinking/m);
    expect(followed.stdout).toMatch(/^#\d+ cancelled +Cancelled: no longer needed$/m);
  });

  test('an approval is decided from the CLI, recorded with --by, and the task completes', async () => {
    const task = { id: taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'transfer'])).taskId };
    await waitForTask(client, task.id, (current) => current.status === 'awaiting_approval');
    const waiting = taskStatusViewSchema.parse(await zapJson(['status', task.id]));
    expect(waiting.status).toBe('awaiting_approval');
    const [pending] = waiting.waitingFor.approvals;
    expect(pending).toMatchObject({ toolName: 'transfer', arguments: { amount: 5 } });

    const unknown = await zapError(['approve', task.id, 'no-such-approval']);
    expect(unknown).toMatchObject({ code: 5, error: { code: 'APPROVAL_NOT_FOUND' } });

    const decided = approvalDecisionResultSchema.parse(await zapJson(['approve', task.id, pending!.approvalId, '--by', 'ana', '--reason', 'expected']));
    expect(decided).toEqual({ taskId: task.id, approvalId: pending!.approvalId, decision: 'approved', alreadyDecided: false, decidedBy: 'ana' });

    const run = await zapCli(['wait', task.id, '--timeout', '30']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Transfer done: sent 5');
    const resolved = (await zapCli(['events', task.id, '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((event) => event.type === 'approval_resolved');
    expect(resolved).toMatchObject({ decision: 'approved', decidedBy: 'ana' });

    const twice = approvalDecisionResultSchema.parse(await zapJson(['reject', task.id, pending!.approvalId]));
    expect(twice).toMatchObject({ decision: 'approved', alreadyDecided: true });
  });

  test('event delivers a named event; data failing its schema exits 2, an unknown name 5', async () => {
    const started = taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'wait for payment']));
    const invalid = await zapError(['event', started.taskId, 'payment-confirmed', '--data', '{"amount":"five"}']);
    expect(invalid).toMatchObject({ code: 2, error: { code: 'EVENT_VALIDATION' } });
    const unknown = await zapError(['event', started.taskId, 'parcel-lost', '--data', '{}']);
    expect(unknown).toMatchObject({ code: 5, error: { code: 'UNKNOWN_EVENT' } });
    const notJson = await zapError(['event', started.taskId, 'payment-confirmed', '--data', '{amount']);
    expect(notJson).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION', message: expect.stringContaining('--data must be JSON') } });

    const delivered = deliverEventResultSchema.parse(await zapJson(['event', started.taskId, 'payment-confirmed', '--data', '{"amount":5}']));
    expect(delivered).toMatchObject({ taskId: started.taskId, name: 'payment-confirmed', accepted: true });
    const done = waitForTaskResultSchema.parse(await zapJson(['wait', started.taskId, '--timeout', '30']));
    expect(done.outcome).toBe('completed');
    expect(done.task.result).toContain('"amount":5');
  });

  test('list shows the tasks of the task queue', async () => {
    const started = taskStatusViewSchema.parse(await zapJson(['start', 'Assistant', 'hello list']));
    await zapJson(['wait', started.taskId]);
    // Visibility is eventually consistent: a few tries.
    let page = taskListPageSchema.parse(await zapJson(['list', '--agent', 'Assistant', '--page-size', '50']));
    for (let attempt = 0; attempt < 20 && !page.tasks.some((task) => task.taskId === started.taskId); attempt += 1) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      page = taskListPageSchema.parse(await zapJson(['list', '--agent', 'Assistant', '--page-size', '50']));
    }
    expect(page.tasks.find((task) => task.taskId === started.taskId)).toMatchObject({ agent: 'Assistant' });
    const badStatus = await zapError(['list', '--status', 'completed,sleeping']);
    expect(badStatus).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION' } });
  });

  test('bad usage exits 2, unknown tasks and agents 5, errors as one JSON object on stderr', async () => {
    const [missingArgument, unknownCommand, badLimit, badContext, unknownTask, unknownAgent, otherTenant, humanError] = await Promise.all([
      zapError(['start', 'Assistant']),
      zapError(['frobnicate']),
      zapError(['history', 'any-task', '--limit', '0']),
      zapError(['start', 'Assistant', 'hello', '--context', '{not json']),
      zapError(['status', `cli-missing-${taskQueue}`]),
      zapError(['start', 'Nobody', 'hello']),
      zapError(['--tenant', 'acme', 'status', `cli-hello-${taskQueue}`]),
      zapCli(['wait', `cli-missing-${taskQueue}`]),
    ]);
    expect(missingArgument).toEqual({ code: 2, error: { code: 'USAGE', message: "missing required argument 'text'" } });
    expect(unknownCommand).toMatchObject({ code: 2, error: { code: 'USAGE' } });
    expect(badLimit).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION' } });
    expect(badContext).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION', message: expect.stringContaining('--context must be JSON') } });
    expect(unknownTask).toMatchObject({ code: 5, error: { code: 'TASK_NOT_FOUND' } });
    expect(unknownAgent).toMatchObject({ code: 5, error: { code: 'AGENT_NOT_FOUND' } });
    // Another tenant's view does not show the operator's task.
    expect(otherTenant).toMatchObject({ code: 5, error: { code: 'TASK_NOT_FOUND' } });
    // …nor lets it wait on, message, approve or cancel that task.
    const hello = `cli-hello-${taskQueue}`;
    const otherTenantActions = await Promise.all([
      zapError(['--tenant', 'acme', 'wait', hello, '--timeout', '1']),
      zapError(['--tenant', 'acme', 'send', hello, 'hi from acme']),
      zapError(['--tenant', 'acme', 'approve', hello, 'any-approval']),
      zapError(['--tenant', 'acme', 'cancel', hello]),
    ]);
    for (const refused of otherTenantActions) expect(refused).toMatchObject({ code: 5, error: { code: 'TASK_NOT_FOUND' } });
    expect(humanError.code).toBe(5);
    expect(humanError.stderr).toMatch(/^zap: Task 'cli-missing-.+' was not found\. \[TASK_NOT_FOUND\]$/m);
  });

  test('Temporal unreachable exits 7', async () => {
    const unreachable = await zapError(['status', 'any-task'], { TEMPORAL_ADDRESS: '127.0.0.1:1', ZAP_CONNECT_TIMEOUT: '1 second' });
    expect(unreachable).toMatchObject({ code: 7, error: { code: 'ZAP_CONNECTION', message: expect.stringContaining('127.0.0.1:1') } });
  });

  test('serve: the HTTP API behind ZAP_HTTP_TOKEN, until SIGTERM; no token beyond loopback is refused', async () => {
    const refused = await zapError(['serve', '--host', '0.0.0.0', '--port', '0'], { ZAP_HTTP_TOKEN: '' });
    expect(refused).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION', message: expect.stringContaining('ZAP_HTTP_TOKEN') } });

    const server = spawnCli(['serve', '--port', '0', '--json'], { ...cliEnvironment, ZAP_HTTP_TOKEN: 'cli-test-token' });
    let stdout = '';
    let stderr = '';
    server.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => server.once('exit', (code) => resolveExit(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('\n')) {
        if (server.exitCode !== null || Date.now() > deadline) throw new Error(`zap serve did not start:\n${stdout}\n${stderr}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
      const { url, authentication } = JSON.parse(stdout.split('\n')[0] as string);
      expect(authentication).toBe('bearer');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const taskUrl = `${url}/v1/tasks/cli-hello-${taskQueue}`;
      expect((await fetch(taskUrl)).status).toBe(401);
      const response = await fetch(taskUrl, { headers: { authorization: 'Bearer cli-test-token' } });
      expect(response.status).toBe(200);
      expect(taskStatusViewSchema.parse(await response.json())).toMatchObject({ taskId: `cli-hello-${taskQueue}`, status: 'completed' });
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  test('mcp: the operations as MCP tools over stdio', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', CLI_ENTRY, 'mcp'],
      cwd: REPOSITORY_ROOT,
      env: { ...getDefaultEnvironment(), ...(cliEnvironment as Record<string, string>) },
      stderr: 'pipe',
    });
    const mcpClient = new Client({ name: 'zap-cli-test', version: '1.0.0' });
    await mcpClient.connect(transport);
    try {
      const { tools } = await mcpClient.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(OPERATION_CATALOG.map((operation) => operation.name));
      const result = await mcpClient.callTool({ name: 'get_task_status', arguments: { taskId: `cli-hello-${taskQueue}` } });
      expect(result.isError).toBeFalsy();
      expect(taskStatusViewSchema.parse(result.structuredContent)).toMatchObject({ status: 'completed', result: 'Hello: hello there' });
    } finally {
      await mcpClient.close();
    }
  });

  test('zap worker drains and exits 0 on SIGTERM', async () => {
    const running = worker as ChildProcess;
    const exited = new Promise<number | null>((resolveExit) => running.once('exit', (code) => resolveExit(code)));
    running.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(workerOutput).toContain('[zap-worker] stopped');
  });
});
