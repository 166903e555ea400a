/**
 * Schedules on the operations surface, against the real dev server: the HTTP API served on
 * 127.0.0.1 (`/v1/schedules`), the `zap schedule …` CLI in a subprocess and the MCP server through
 * the SDK's own client (at the API's `/mcp`), all over one `ZapOperations`, with an in-process
 * worker and the scripted model over HTTP. Schedules here are yearly (or hourly and paused), so
 * runs start only when a test triggers them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { bearerTokenAuthenticator } from '../../src/http/bearer-token-authenticator';
import { serveHttpApi, type HttpApiServer } from '../../src/http/serve-http-api';
import { MCP_ERROR_META_KEY } from '../../src/mcp-server';
import { scheduleListSchema, scheduleViewSchema, type ScheduleList, type ScheduleView } from '../../src/operations/operation-schemas';
import { scripted, type ScriptedRequest, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { schedulesOpsAgents } from '../fixtures/schedules-ops-zap';
import { startHarness, temporalAddress, type Harness } from '../support/harness';

jest.setTimeout(180_000);

const REPOSITORY_ROOT = resolve(__dirname, '../..');
const CLI_ENTRY = resolve(REPOSITORY_ROOT, 'workers/zap-cli.ts');
const FIXTURE_MODULE = resolve(__dirname, '../fixtures/schedules-ops-zap.ts');
const RUN_ID = /^[A-Za-z0-9._-]+-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const TOKENS = {
  ana: 'token-ana-acme',
  rita: 'token-rita-acme-reader',
  bob: 'token-bob-globex',
  olga: 'token-olga-operator',
} as const;

/** The model: `done: <the latest user message>`. */
function answer(request: ScriptedRequest): ScriptedResponse {
  const messages = request.body.messages as Array<{ role: string; content: unknown }>;
  return scripted.text(`done: ${String(messages[messages.length - 1]?.content)}`);
}

function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const sleep = (milliseconds: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, milliseconds));

/** Polls `probe` until it returns a value; fails naming `what` after 30 s. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** What one `zap` run printed and how it exited. */
interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('schedules on the operations surface (HTTP, CLI, MCP)', () => {
  let harness: Harness;
  let server: HttpApiServer;
  const created = new Set<string>();

  beforeAll(async () => {
    harness = await startHarness({ agents: schedulesOpsAgents(), llm: { handler: answer }, zap: { logger: { warn: () => undefined } } });
    server = await serveHttpApi({
      zap: harness.zap,
      port: 0,
      authenticate: bearerTokenAuthenticator({
        tokens: {
          [TOKENS.ana]: { tenantId: 'acme', userId: 'ana', roles: ['read', 'start', 'approve'] },
          [TOKENS.rita]: { tenantId: 'acme', userId: 'rita', roles: ['read'] },
          [TOKENS.bob]: { tenantId: 'globex', userId: 'bob', roles: ['read', 'start', 'approve'] },
          [TOKENS.olga]: { userId: 'olga', roles: ['read', 'start', 'approve'] },
        },
      }),
    });
  });

  afterAll(async () => {
    for (const id of created) await harness?.zap.schedules.delete(id).catch(() => undefined);
    await server?.close();
    await harness?.stop();
  });

  // ------------------------------------------------------------------ helpers

  function call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${server.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  }

  async function json(method: string, path: string, options: { token?: string; body?: unknown; expect?: number } = {}): Promise<{ response: Response; body: any }> {
    const response = await call(method, path, options);
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: options.expect ?? 200, text: expect.any(String) });
    return { response, body: JSON.parse(text) };
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, contentType: response.headers.get('content-type') }).toEqual({ status, contentType: 'application/problem+json' });
    expect(JSON.parse(text)).toMatchObject({ status, code, type: `https://zap-agents.dev/problems/${code.toLowerCase().replace(/_/g, '-')}` });
  }

  /** Runs `zap <args>` against the harness's task queue, to its end. */
  function zapCli(args: string[]): Promise<CliRun> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ZAP_MODULE: FIXTURE_MODULE, ZAP_TASK_QUEUE: harness.taskQueue, TEMPORAL_ADDRESS: temporalAddress() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolveRun) => child.once('close', (code) => resolveRun({ code, stdout, stderr })));
  }

  /** `zap <args> --json` that must exit with `expectedCode`: stdout as one JSON document. */
  async function zapJson(args: string[], expectedCode = 0): Promise<any> {
    const run = await zapCli([...args, '--json']);
    if (run.code !== expectedCode) {
      throw new Error(`zap ${args.join(' ')} exited ${run.code}, not ${expectedCode}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`);
    }
    return JSON.parse(run.stdout);
  }

  /** `zap <args> --json` that must fail: its exit code and the JSON error on stderr. */
  async function zapError(args: string[]): Promise<{ code: number | null; error: { code: string; message: string } }> {
    const run = await zapCli([...args, '--json']);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    return { code: run.code, error: JSON.parse(lines[lines.length - 1]!).error };
  }

  // ------------------------------------------------------------------ tests

  test('HTTP: create (seen by `zap schedule list`), describe, pause, unpause, update, trigger a run that completes, delete', async () => {
    const id = uniqueId('ops');
    created.add(id);
    const body = { scheduleId: id, agent: 'Reporter', message: 'Summarise the orders', cron: '0 0 1 1 *', timezone: 'Europe/Paris', budget: { maxModelCalls: 3 } };
    const { response, body: schedule } = await json('POST', '/v1/schedules', { token: TOKENS.ana, body, expect: 201 });
    expect(response.headers.get('location')).toBe(`/v1/schedules/${id}`);
    expect(scheduleViewSchema.parse(schedule)).toMatchObject({
      scheduleId: id,
      agent: 'Reporter',
      tenantId: 'acme',
      userId: 'ana',
      paused: false,
      message: 'Summarise the orders',
      cron: '0 0 1 1 *',
      timezone: 'Europe/Paris',
      overlap: 'skip',
      idleTimeoutMs: 0,
      budget: { maxModelCalls: 3, onExceeded: 'fail', askTimeoutMs: 7 * 24 * 3_600_000 },
      recentRuns: [],
      runCount: 0,
    });
    expect(schedule.nextRunTimes.length).toBeGreaterThan(0);

    // A taken id is 409; a reader cannot create; another tenant does not see it; a bad body is 400.
    await expectProblem(await call('POST', '/v1/schedules', { token: TOKENS.ana, body }), 409, 'SCHEDULE_ALREADY_EXISTS');
    await expectProblem(await call('POST', '/v1/schedules', { token: TOKENS.rita, body: { ...body, scheduleId: uniqueId('reader') } }), 403, 'PERMISSION_DENIED');
    await expectProblem(await call('GET', `/v1/schedules/${id}`, { token: TOKENS.bob }), 404, 'SCHEDULE_NOT_FOUND');
    await expectProblem(await call('POST', `/v1/schedules/${id}/pause`, { token: TOKENS.bob }), 404, 'SCHEDULE_NOT_FOUND');
    await expectProblem(await call('POST', '/v1/schedules', { token: TOKENS.ana, body: { ...body, scheduleId: 'has spaces' } }), 400, 'ZAP_VALIDATION');
    await expectProblem(await call('POST', '/v1/schedules', { token: TOKENS.ana, body: { ...body, scheduleId: uniqueId('nobody'), agent: 'Nobody' } }), 422, 'AGENT_NOT_FOUND');
    await expectProblem(await call('GET', '/v1/schedules?agnet=Reporter', { token: TOKENS.ana }), 400, 'ZAP_VALIDATION');

    // Listed from visibility (eventually consistent): by the CLI as the operator, and by tenant over HTTP.
    const cliListed = await eventually('the schedule in `zap schedule list`', async () => {
      const list = scheduleListSchema.parse(await zapJson(['schedule', 'list']));
      return list.schedules.find((entry) => entry.scheduleId === id);
    });
    expect(cliListed).toMatchObject({ scheduleId: id, agent: 'Reporter', tenantId: 'acme', userId: 'ana', paused: false });
    const human = await zapCli(['schedule', 'list', '--agent', 'Reporter']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${id}\\s+Reporter\\s+active`, 'm'));
    expect((await zapJson(['schedule', 'list', '--tenant', 'globex'])).schedules).toEqual([]);
    const acmeList = (await json('GET', '/v1/schedules?agent=Reporter', { token: TOKENS.ana })).body as ScheduleList;
    expect(acmeList.schedules.map((entry) => entry.scheduleId)).toContain(id);
    expect(((await json('GET', '/v1/schedules', { token: TOKENS.bob })).body as ScheduleList).schedules.map((entry) => entry.scheduleId)).not.toContain(id);

    expect((await json('GET', `/v1/schedules/${id}`, { token: TOKENS.rita })).body).toMatchObject({ scheduleId: id, budget: { maxModelCalls: 3 } });
    const paused = (await json('POST', `/v1/schedules/${id}/pause`, { token: TOKENS.ana, body: { note: 'Audit week' } })).body as ScheduleView;
    expect(paused).toMatchObject({ paused: true, note: 'Audit week' });
    const unpaused = (await json('POST', `/v1/schedules/${id}/unpause`, { token: TOKENS.ana })).body as ScheduleView;
    expect(unpaused.paused).toBe(false);
    const updated = (await json('PATCH', `/v1/schedules/${id}`, { token: TOKENS.ana, body: { message: 'Summarise the refunds', note: 'reworded' } })).body as ScheduleView;
    expect(updated).toMatchObject({ message: 'Summarise the refunds', note: 'reworded', cron: '0 0 1 1 *', budget: { maxModelCalls: 3 } });
    await expectProblem(await call('PATCH', `/v1/schedules/${id}`, { token: TOKENS.ana, body: { agent: 'Other' } }), 400, 'ZAP_VALIDATION');

    // A trigger starts a run now: an ordinary task of the schedule's tenant, read and waited for as a task.
    await json('POST', `/v1/schedules/${id}/trigger`, { token: TOKENS.ana });
    const withRun = await eventually('the triggered run', async () => {
      const view = (await json('GET', `/v1/schedules/${id}`, { token: TOKENS.ana })).body as ScheduleView;
      return view.recentRuns.length === 1 ? view : undefined;
    });
    const [run] = withRun.recentRuns;
    expect(run!.taskId).toMatch(RUN_ID);
    expect(run!.taskId.startsWith(`${id}-`)).toBe(true);
    const waited = (await json('POST', `/v1/tasks/${encodeURIComponent(run!.taskId)}/wait?timeout=60`, { token: TOKENS.ana })).body;
    expect(waited).toMatchObject({
      outcome: 'completed',
      task: { taskId: run!.taskId, agent: 'Reporter', tenantId: 'acme', userId: 'ana', result: 'done: Summarise the refunds', budget: { limits: { maxModelCalls: 3 } } },
    });
    const described = (await json('GET', `/v1/schedules/${id}`, { token: TOKENS.ana })).body as ScheduleView;
    expect(described.recentRuns).toEqual([{ ...run, status: 'completed' }]);
    expect(described.runCount).toBe(1);

    // Human output of `zap schedule describe` names the run and its status.
    const describedByCli = await zapCli(['schedule', 'describe', id]);
    expect(describedByCli.code).toBe(0);
    expect(describedByCli.stdout).toMatch(/^Schedule\s+/m);
    expect(describedByCli.stdout).toContain(`${run!.taskId}  completed`);
    expect(describedByCli.stdout).toContain('maxModelCalls 3');

    expect((await json('DELETE', `/v1/schedules/${id}`, { token: TOKENS.ana })).body).toEqual({ scheduleId: id, deleted: true });
    created.delete(id);
    await expectProblem(await call('GET', `/v1/schedules/${id}`, { token: TOKENS.ana }), 404, 'SCHEDULE_NOT_FOUND');
    await expectProblem(await call('DELETE', `/v1/schedules/${id}`, { token: TOKENS.ana }), 404, 'SCHEDULE_NOT_FOUND');
  });

  test('CLI: zap schedule create, pause, unpause, trigger and delete, with the documented exit codes', async () => {
    const id = uniqueId('cli');
    created.add(id);
    const schedule = scheduleViewSchema.parse(
      await zapJson([
        'schedule', 'create', id, 'Reporter', 'Count the tickets',
        '--every', '1 hour', '--overlap', 'bufferOne', '--budget', '{"maxModelCalls":2}', '--context', '{"team":"support"}', '--paused', '--note', 'from the CLI',
        '--tenant', 'acme', '--user', 'ana',
      ]),
    );
    expect(schedule).toMatchObject({
      scheduleId: id,
      tenantId: 'acme',
      userId: 'ana',
      paused: true,
      note: 'from the CLI',
      everyMs: 3_600_000,
      overlap: 'bufferOne',
      context: { team: 'support' },
      budget: { maxModelCalls: 2 },
    });
    // The same id again: refused input (exit 2); without a timetable: refused input; unknown agent: not found.
    expect(await zapError(['schedule', 'create', id, 'Reporter', 'again', '--every', '1 hour'])).toEqual({ code: 2, error: { code: 'SCHEDULE_ALREADY_EXISTS', message: expect.stringContaining(id) } });
    expect(await zapError(['schedule', 'create', uniqueId('none'), 'Reporter', 'x'])).toMatchObject({ code: 2, error: { code: 'ZAP_VALIDATION' } });
    expect(await zapError(['schedule', 'create', uniqueId('none'), 'Nobody', 'x', '--cron', '0 9 * * *'])).toMatchObject({ code: 5, error: { code: 'AGENT_NOT_FOUND' } });
    expect(await zapError(['schedule', 'create', uniqueId('none'), 'Reporter', 'x', '--every', '1 hour', '--budget', '{maxUsd'])).toMatchObject({ code: 2 });
    // Another tenant's schedule is not found (exit 5).
    expect(await zapError(['schedule', 'describe', id, '--tenant', 'globex'])).toMatchObject({ code: 5, error: { code: 'SCHEDULE_NOT_FOUND' } });

    expect(await zapJson(['schedule', 'unpause', id, '--note', 'go'])).toMatchObject({ scheduleId: id, paused: false, note: 'go' });
    expect(await zapJson(['schedule', 'pause', id, '--note', 'hold'])).toMatchObject({ scheduleId: id, paused: true, note: 'hold' });
    const triggered = await zapCli(['schedule', 'trigger', id]);
    expect(triggered).toMatchObject({ code: 0, stdout: expect.stringContaining(`Triggered schedule ${id}`) });
    const [run] = (
      await eventually('the run of the CLI trigger', async () => {
        const view = await harness.zap.schedules.describe(id);
        return view.recentRuns.length === 1 && view.recentRuns[0]!.status === 'completed' ? view : undefined;
      })
    ).recentRuns;
    const task = await harness.zap.getTask(run!.taskId);
    expect(task).toMatchObject({ status: 'completed', result: 'done: Count the tickets', scheduleId: id, tenantId: 'acme' });

    const deleted = await zapCli(['schedule', 'delete', id]);
    expect(deleted).toMatchObject({ code: 0, stdout: expect.stringContaining(`Deleted schedule ${id}`) });
    created.delete(id);
    expect(await zapError(['schedule', 'describe', id])).toMatchObject({ code: 5, error: { code: 'SCHEDULE_NOT_FOUND' } });
  });

  test('MCP: the schedule operations are tools; list_schedules through a real MCP client sees the tenant\'s schedules', async () => {
    const connect = async (token: string) => {
      const client = new Client({ name: 'schedules-ops-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return client;
    };
    const [ana, bob] = await Promise.all([connect(TOKENS.ana), connect(TOKENS.bob)]);
    try {
      const { tools } = await ana.listTools();
      const names = tools.map((tool) => tool.name);
      for (const name of ['create_schedule', 'list_schedules', 'describe_schedule', 'pause_schedule', 'unpause_schedule', 'trigger_schedule', 'update_schedule', 'delete_schedule']) {
        expect(names).toContain(name);
      }
      expect(tools.find((tool) => tool.name === 'list_schedules')?.annotations).toEqual({ readOnlyHint: true, idempotentHint: true });

      const id = uniqueId('mcp');
      created.add(id);
      const createdResult = (await ana.callTool({
        name: 'create_schedule',
        arguments: { scheduleId: id, agent: 'Reporter', message: 'Check the backlog', every: '1 hour', paused: true },
      })) as CallToolResult;
      expect(createdResult.isError).toBeFalsy();
      expect(createdResult.structuredContent).toMatchObject({ scheduleId: id, tenantId: 'acme', paused: true, everyMs: 3_600_000 });

      const listed = await eventually('the schedule in list_schedules', async () => {
        const result = (await ana.callTool({ name: 'list_schedules', arguments: {} })) as CallToolResult;
        expect(result.isError).toBeFalsy();
        const list = scheduleListSchema.parse(result.structuredContent);
        const text = result.content.find((part) => part.type === 'text');
        expect(JSON.parse(text?.type === 'text' ? text.text : 'null')).toEqual(result.structuredContent);
        return list.schedules.find((entry) => entry.scheduleId === id);
      });
      expect(listed).toMatchObject({ scheduleId: id, agent: 'Reporter', tenantId: 'acme', paused: true });

      // Another tenant lists without it and cannot describe it.
      const bobList = scheduleListSchema.parse(((await bob.callTool({ name: 'list_schedules', arguments: {} })) as CallToolResult).structuredContent);
      expect(bobList.schedules.map((entry) => entry.scheduleId)).not.toContain(id);
      const refused = (await bob.callTool({ name: 'describe_schedule', arguments: { scheduleId: id } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect((refused._meta?.[MCP_ERROR_META_KEY] as { code?: string } | undefined)?.code).toBe('SCHEDULE_NOT_FOUND');

      const deleted = (await ana.callTool({ name: 'delete_schedule', arguments: { scheduleId: id } })) as CallToolResult;
      expect(deleted.structuredContent).toEqual({ scheduleId: id, deleted: true });
      created.delete(id);
    } finally {
      await Promise.allSettled([ana.close(), bob.close()]);
    }
  });
});
