import { randomBytes } from 'node:crypto';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { ApprovalRules, Zap, ZapAgent, tool, type TaskSummary } from '../../src';
import type { ListTasksOptions } from '../../src/client/task-list';
import { SearchAttributesUnavailableError } from '../../src/core/errors';
import { ZAP_SEARCH_ATTRIBUTE_NAMES, ZAP_STATUS_ATTRIBUTE } from '../../src/core/search-attributes';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, temporalAddress, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * `zap.listTasks` against the real dev server (which registers the zap-agents search attributes):
 * filters, status upserts, paging through 1,000 tasks with one visibility call per page, and
 * namespaces without the attributes. Visibility is eventually consistent, so every read polls
 * until the expected result shows (bounded).
 */

const router = new AgentRouter();
const lookUp = tool({
  name: 'look_up',
  description: 'Looks something up',
  parameters: z.object({ what: z.string() }),
  execute: ({ what }) => `found ${what}`,
});
const transfer = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number() }),
  execute: ({ amount }) => `moved ${amount}`,
});
const lister = new ZapAgent({ name: 'Lister', prompt: 'Lister.', model: 'scripted-model', tools: [lookUp, transfer] });
const boss = new ZapAgent({ name: 'Boss', prompt: 'Boss.', model: 'scripted-model', subAgents: ['Helper'] });
const helper = new ZapAgent({ name: 'Helper', prompt: 'Helper.', discoveryPrompt: 'Helps', model: 'scripted-model' });

const QUIET_LOGGER = { warn() {} };

/** Polls `read` until `done` holds for its result; fails with the last result after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`Not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every task of a listing, through all its pages. */
async function listAll(zap: Zap<any>, options: ListTasksOptions = {}): Promise<TaskSummary[]> {
  const tasks: TaskSummary[] = [];
  let nextPageToken: string | undefined;
  do {
    const page = await zap.listTasks({ ...options, nextPageToken });
    tasks.push(...page.tasks);
    nextPageToken = page.nextPageToken;
  } while (nextPageToken);
  return tasks;
}

const idsOf = (tasks: TaskSummary[]): string[] => tasks.map((task) => task.taskId).sort();

/** The `ZapStatus` values a task's (latest run's) history upserted, with the workflow task each belongs to. */
async function statusUpserts(zap: Zap<any>, taskId: string): Promise<Array<{ workflowTask: number; status: string }>> {
  const history = await zap.client.workflow.getHandle(taskId).fetchHistory();
  const upserts: Array<{ workflowTask: number; status: string }> = [];
  let workflowTask = 0;
  for (const event of history.events ?? []) {
    if (event.workflowTaskCompletedEventAttributes) workflowTask += 1;
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    const payload = fields?.[ZAP_STATUS_ATTRIBUTE.name];
    if (payload?.data) upserts.push({ workflowTask, status: JSON.parse(Buffer.from(payload.data).toString('utf8')) });
  }
  return upserts;
}

describe('listing tasks', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [lister, boss, helper], llm: { handler: router.handler } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => router.reset());

  test('by agent, status, tenant, user, parent and creation time, from visibility alone', async () => {
    const { zap } = harness;
    const before = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    router.enqueue('Lister.', scripted.text('Done for acme.'), scripted.text('Done for globex.'));
    const acme = await zap.executeTask({ agentName: 'Lister', task: 'For acme', tenantId: 'acme', userId: 'ann' });
    await waitForCompletion(zap, acme.id);
    const globex = await zap.executeTask({ agentName: 'Lister', task: 'For globex', tenantId: 'globex' });
    await waitForCompletion(zap, globex.id);
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // A tenant with a quote in its id, and a sub-task that inherits it.
    const quoted = "o'reilly";
    router.enqueue('Boss.', scripted.toolCalls([{ id: 'call_1', name: 'message_agent', arguments: { agent_name: 'Helper', message: 'Help' } }]));
    router.enqueue('Helper.', scripted.text('Helped.'));
    router.enqueue('Boss.', scripted.text('Boss done.'));
    const parent = await zap.executeTask({ agentName: 'Boss', task: 'Delegate', tenantId: quoted, userId: 'bob' });
    const parentDone = await waitForCompletion(zap, parent.id);
    const [childId] = parentDone.subTasks;
    expect(childId).toBeDefined();

    // One waiting for an approval, one cancelled.
    router.enqueue('Lister.', scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 5 } }]));
    const waiting = await zap.executeTask({
      agentName: 'Lister',
      task: 'Transfer',
      tenantId: 'acme',
      userId: 'carl',
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
    });
    await waitForTask(zap, waiting.id, (task) => task.status === 'awaiting_approval');
    router.enqueue('Lister.', scripted.hang());
    const doomed = await zap.executeTask({ agentName: 'Lister', task: 'Never answered', tenantId: 'globex' });
    await waitForTask(zap, doomed.id, (task) => task.status === 'thinking');
    await zap.cancelTask(doomed.id, 'not needed');

    const all = await eventually(() => listAll(zap), (tasks) => tasks.length === 6 && tasks.every((task) => task.status !== 'thinking'));
    expect(idsOf(all)).toEqual([acme.id, globex.id, parent.id, childId, waiting.id, doomed.id].sort());

    const acmeTasks = await eventually(() => listAll(zap, { tenantId: 'acme', status: 'completed' }), (tasks) => tasks.length === 1);
    expect(acmeTasks[0]).toMatchObject({ taskId: acme.id, agentName: 'Lister', status: 'completed', tenantId: 'acme', userId: 'ann' });
    expect(acmeTasks[0]?.createdAt.getTime()).toBeGreaterThan(before.getTime());
    expect(acmeTasks[0]?.createdAt.getTime()).toBeLessThan(middle.getTime());

    expect(idsOf(await listAll(zap, { tenantId: quoted }))).toEqual([parent.id, childId].sort());
    expect(idsOf(await listAll(zap, { tenantId: quoted, userId: 'bob', agentName: 'Helper' }))).toEqual([childId]);
    const children = await listAll(zap, { parentTaskId: parent.id });
    expect(children).toEqual([expect.objectContaining({ taskId: childId, agentName: 'Helper', parentTaskId: parent.id, tenantId: quoted, userId: 'bob' })]);
    expect(idsOf(await listAll(zap, { userId: 'ann' }))).toEqual([acme.id]);

    expect(idsOf(await listAll(zap, { status: 'awaiting_approval' }))).toEqual([waiting.id]);
    const cancelled = await listAll(zap, { status: 'cancelled' });
    expect(cancelled).toEqual([expect.objectContaining({ taskId: doomed.id, status: 'cancelled', closedAt: expect.any(Date) })]);
    expect(idsOf(await listAll(zap, { status: ['cancelled', 'awaiting_approval'] }))).toEqual([waiting.id, doomed.id].sort());
    expect(idsOf(await listAll(zap, { status: 'completed' }))).toEqual([acme.id, globex.id, parent.id, childId].sort());
    expect(await listAll(zap, { status: 'failed' })).toEqual([]);

    expect(idsOf(await listAll(zap, { createdAfter: middle }))).toEqual([parent.id, childId, waiting.id, doomed.id].sort());
    expect(idsOf(await listAll(zap, { createdBefore: middle }))).toEqual([acme.id, globex.id].sort());
    expect(idsOf(await listAll(zap, { createdAfter: before, createdBefore: middle, agentName: 'Lister' }))).toEqual([acme.id, globex.id].sort());
    expect(await listAll(zap, { createdBefore: before })).toEqual([]);
    expect(await listAll(zap, { agentName: 'Nobody' })).toEqual([]);

    // Small pages: the same tasks, each once.
    const paged: TaskSummary[] = [];
    let page = await zap.listTasks({ pageSize: 4 });
    paged.push(...page.tasks);
    expect(page.tasks).toHaveLength(4);
    while (page.nextPageToken) {
      page = await zap.listTasks({ pageSize: 4, nextPageToken: page.nextPageToken });
      paged.push(...page.tasks);
    }
    expect(idsOf(paged)).toEqual(idsOf(all));

    // The cancelled task published its final status before its workflow closed.
    const description = await zap.client.workflow.getHandle(doomed.id).describe();
    expect(description.typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE)).toBe('cancelled');

    await zap.cancelTask(waiting.id, 'test over');
  }, 120_000);

  test('the workflow upserts ZapStatus as the task runs, at most once per workflow task', async () => {
    const { zap } = harness;
    router.enqueue(
      'Lister.',
      scripted.toolCalls([
        { id: 'call_a', name: 'look_up', arguments: { what: 'a' } },
        { id: 'call_b', name: 'look_up', arguments: { what: 'b' } },
      ]),
      scripted.text('Both found.'),
    );
    const task = await zap.executeTask({ agentName: 'Lister', task: 'Look up a and b', tenantId: 'upserts' });
    await waitForCompletion(zap, task.id);
    const listed = await eventually(() => listAll(zap, { tenantId: 'upserts', status: 'completed' }), (tasks) => tasks.length === 1);
    expect(listed[0]?.taskId).toBe(task.id);

    const upserts = await statusUpserts(zap, task.id);
    // The thinking ⇄ awaiting_tool flips in between wait for an interval (coarse-status-attribute.test.ts).
    expect(upserts[0]?.status).toBe('thinking');
    expect(upserts.at(-1)?.status).toBe('completed');
    const perWorkflowTask = new Map<number, number>();
    for (const { workflowTask } of upserts) perWorkflowTask.set(workflowTask, (perWorkflowTask.get(workflowTask) ?? 0) + 1);
    expect([...perWorkflowTask.values()].every((count) => count === 1)).toBe(true);

    // A follow-up moves it back to thinking, then completed again.
    router.enqueue('Lister.', scripted.text('Again.'));
    await zap.executeTask({ followUpOnTask: task.id, task: 'Once more' });
    await waitForTask(zap, task.id, (current) => current.result === 'Again.');
    await eventually(() => statusUpserts(zap, task.id), (values) => values.length === upserts.length + 2);
    expect((await statusUpserts(zap, task.id)).map(({ status }) => status).slice(-2)).toEqual(['thinking', 'completed']);
  }, 60_000);

  test('a failed task is listed as failed, and its retry once, with its owner', async () => {
    const { zap } = harness;
    router.enqueue('Lister.', scripted.error(400, 'bad request'));
    const task = await zap.executeTask({ agentName: 'Lister', task: 'Fails', tenantId: 'retry-co', userId: 'rita' });
    await waitForTask(zap, task.id, (current) => current.status === 'failed');
    const failed = await eventually(() => listAll(zap, { tenantId: 'retry-co', status: 'failed' }), (tasks) => tasks.length === 1);
    expect(failed[0]).toMatchObject({ taskId: task.id, status: 'failed', userId: 'rita' });

    router.enqueue('Lister.', scripted.text('Works now.'));
    await zap.retryTask(task.id);
    await waitForCompletion(zap, task.id);
    const completed = await eventually(() => listAll(zap, { tenantId: 'retry-co', status: 'completed' }), (tasks) => tasks.length === 1);
    expect(completed[0]).toMatchObject({ taskId: task.id, agentName: 'Lister', userId: 'rita' });
    expect(completed[0]?.createdAt.getTime()).toBe(task.createdAt.getTime());
    // One entry per task, though its failed run is still in visibility.
    expect(idsOf(await listAll(zap, { tenantId: 'retry-co' }))).toEqual([task.id]);
  }, 60_000);

  test('rejects bad options with a typed error', async () => {
    const { zap } = harness;
    await expect(zap.listTasks({ pageSize: 0 })).rejects.toThrow(/pageSize must be an integer from 1 to 1000/);
    await expect(zap.listTasks({ pageSize: 1001 })).rejects.toThrow(/pageSize/);
    await expect(zap.listTasks({ status: 'sleeping' as never })).rejects.toThrow(/Unknown task status "sleeping"/);
    await expect(zap.listTasks({ tenantId: '' })).rejects.toThrow(/tenantId must be a string of 1 to 200/);
    await expect(zap.listTasks({ createdAfter: new Date('nope') })).rejects.toThrow(/createdAfter must be a valid Date/);
    await expect(zap.listTasks({ nextPageToken: 'not a token!' })).rejects.toThrow(/nextPageToken/);
  });
});

describe('listing a task that continued as new', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [lister], llm: { handler: router.handler }, zap: { continueAsNewAfterEvents: 20 } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('is listed once, with the owner, agent and creation time of its first run', async () => {
    const { zap } = harness;
    router.reset();
    for (let index = 0; index < 6; index += 1) {
      router.enqueue('Lister.', scripted.toolCalls([{ id: `call_${index}`, name: 'look_up', arguments: { what: String(index) } }]));
    }
    router.enqueue('Lister.', scripted.text('All found.'));
    const task = await zap.executeTask({ agentName: 'Lister', task: 'Look up six things', tenantId: 'long-co', userId: 'lena' });
    await waitForCompletion(zap, task.id, 60_000);
    const runs = await zap.client.workflow.count(`WorkflowId = '${task.id}'`);
    expect(runs.count).toBeGreaterThan(1);

    const listed = await eventually(() => listAll(zap, { tenantId: 'long-co', status: 'completed' }), (tasks) => tasks.length === 1);
    expect(listed[0]).toMatchObject({ taskId: task.id, agentName: 'Lister', userId: 'lena', status: 'completed' });
    expect(listed[0]?.createdAt.getTime()).toBe(task.createdAt.getTime());
    expect(idsOf(await listAll(zap))).toEqual([task.id]);
  }, 90_000);
});

describe('1,000 pending tasks', () => {
  const COUNT = 1000;
  let harness: Harness;
  const started: string[] = [];

  beforeAll(async () => {
    // No worker: every task stays pending.
    harness = await startHarness({ agents: [lister], worker: false, zap: { logger: QUIET_LOGGER } });
    const ids = Array.from({ length: COUNT }, (_, index) => `pending-${index}-${randomBytes(3).toString('hex')}`);
    for (let offset = 0; offset < ids.length; offset += 25) {
      await Promise.all(
        ids.slice(offset, offset + 25).map(async (taskId) => {
          await harness.zap.executeTask({ agentName: 'Lister', task: 'Wait', taskId, tenantId: 'bulk' });
          started.push(taskId);
        }),
      );
    }
  }, 300_000);

  afterAll(async () => {
    const client = harness?.zap.client;
    for (let offset = 0; client && offset < started.length; offset += 25) {
      await Promise.all(
        started.slice(offset, offset + 25).map((taskId) => client.workflow.getHandle(taskId).terminate('test over').catch(() => undefined)),
      );
    }
    await harness?.stop();
  }, 300_000);

  test('are all listed by status, page by page, with one visibility call per page and no per-task call', async () => {
    const query = `TaskQueue = '${harness.taskQueue}' AND ZapStatus = 'pending'`;
    await eventually(() => harness.zap.client.workflow.count(query), ({ count }) => count === COUNT, 60_000);

    // A Zap whose every RPC is counted.
    const calls = new Map<string, number>();
    const counting: Interceptor = (options, nextCall) => {
      const method = options.method_definition.path.split('/').pop() ?? '';
      calls.set(method, (calls.get(method) ?? 0) + 1);
      return new InterceptingCall(nextCall(options));
    };
    const connection = await Connection.connect({
      address: temporalAddress(),
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), counting],
    });
    const reader = new Zap({ agents: [lister], taskQueue: harness.taskQueue, temporalClient: new Client({ connection }) });
    try {
      await reader.start();
      calls.clear();
      const tasks: TaskSummary[] = [];
      let pages = 0;
      let nextPageToken: string | undefined;
      do {
        const page = await reader.listTasks({ status: 'pending', tenantId: 'bulk', pageSize: 100, nextPageToken });
        expect(page.tasks.length).toBeLessThanOrEqual(100);
        tasks.push(...page.tasks);
        nextPageToken = page.nextPageToken;
        pages += 1;
      } while (nextPageToken);
      expect(new Set(tasks.map((task) => task.taskId))).toEqual(new Set(started));
      expect(tasks.every((task) => task.status === 'pending' && task.agentName === 'Lister' && task.tenantId === 'bulk')).toBe(true);
      // 10 full pages, and at most one more to learn there is nothing after the last.
      expect(pages).toBeGreaterThanOrEqual(10);
      expect(pages).toBeLessThanOrEqual(11);
      expect(Object.fromEntries(calls)).toEqual({ ListWorkflowExecutions: pages });

      const oneCall = await reader.listTasks({ status: 'pending', pageSize: 1000 });
      expect(oneCall.tasks).toHaveLength(COUNT);
    } finally {
      await reader.stop();
      await connection.close();
    }
  }, 120_000);
});

describe('without the search attributes', () => {
  const namespace = `zap-bare-${randomBytes(4).toString('hex')}`;
  let admin: Connection;

  beforeAll(async () => {
    admin = await Connection.connect({ address: temporalAddress() });
    // A namespace registered after the server started has none of the zap-agents attributes.
    await admin.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await eventually(
      () => admin.workflowService.describeNamespace({ namespace }).then(() => true, () => false),
      (ready) => ready,
    );
  });

  afterAll(async () => {
    await admin?.close();
  });

  test("'require' refuses to start, naming the missing attributes", async () => {
    const zap = new Zap({ agents: [lister], temporal: { address: temporalAddress(), namespace }, searchAttributes: 'require' });
    const failure = await zap.start().then(() => undefined, (error: unknown) => error);
    expect(SearchAttributesUnavailableError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ namespace, missing: ZAP_SEARCH_ATTRIBUTE_NAMES });
    expect((failure as Error).message).toContain(`temporal operator search-attribute create --namespace ${namespace} --name ZapAgent`);
    expect(() => zap.client).toThrow(/zap.start\(\)/);
    await zap.stop();
  });

  test("'auto' warns once and runs tasks without them; listing works by agent and refuses status and tenant", async () => {
    const warnings: string[] = [];
    router.reset();
    const harness = await startHarness({
      agents: [lister],
      llm: { handler: router.handler },
      zap: { temporal: { address: temporalAddress(), namespace }, logger: { warn: (message: string) => warnings.push(message) } },
    });
    try {
      const { zap } = harness;
      // The harness started the Zap, then its worker (which starts it again: a no-op).
      expect(warnings.filter((message) => message.includes('lacks the zap-agents search attributes'))).toHaveLength(1);
      expect(warnings[0]).toContain('temporal operator search-attribute create');

      router.enqueue('Lister.', scripted.text('Done without attributes.'));
      const task = await zap.executeTask({ agentName: 'Lister', task: 'Plain', tenantId: 'acme' });
      const done = await waitForCompletion(zap, task.id);
      expect(done.tenantId).toBe('acme');
      const description = await zap.client.workflow.getHandle(task.id).describe();
      expect(description.typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE)).toBeUndefined();
      expect(description.memo).toMatchObject({ agentName: 'Lister', tenantId: 'acme' });

      // Answered and open for follow-ups: visibility knows only that its workflow runs.
      const listed = await eventually(() => listAll(zap, { agentName: 'Lister' }), (tasks) => tasks.length === 1);
      expect(listed[0]).toMatchObject({ taskId: task.id, agentName: 'Lister', tenantId: 'acme', status: 'pending' });
      await zap.client.workflow.getHandle(task.id).terminate('closes it');
      const closed = await eventually(() => listAll(zap, { agentName: 'Lister' }), (tasks) => tasks[0]?.status === 'failed');
      expect(closed[0]).toMatchObject({ taskId: task.id, status: 'failed', closedAt: expect.any(Date) });
      expect(await listAll(zap, { agentName: 'Other' })).toEqual([]);

      for (const options of [{ status: 'completed' as const }, { tenantId: 'acme' }, { userId: 'ann' }]) {
        const failure = await zap.listTasks(options).then(() => undefined, (error: unknown) => error);
        expect(SearchAttributesUnavailableError.isInstance(failure)).toBe(true);
        expect((failure as Error).message).toMatch(/listing tasks by (status|tenant|user) needs them/);
      }
    } finally {
      await harness.stop();
    }
  }, 60_000);

  test("'off' starts tasks without them even where they are registered", async () => {
    const harness = await startHarness({ agents: [lister], worker: false, zap: { searchAttributes: 'off', logger: QUIET_LOGGER } });
    try {
      const task = await harness.zap.executeTask({ agentName: 'Lister', task: 'No attributes' });
      const description = await harness.zap.client.workflow.getHandle(task.id).describe();
      expect(description.typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE)).toBeUndefined();
      const failure = await harness.zap.listTasks({ status: 'pending' }).then(() => undefined, (error: unknown) => error);
      expect(SearchAttributesUnavailableError.isInstance(failure)).toBe(true);
      expect((failure as Error).message).toContain("searchAttributes is 'off'");
      await harness.zap.client.workflow.getHandle(task.id).terminate('test over');
    } finally {
      await harness.stop();
    }
  });
});
