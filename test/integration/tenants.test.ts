import { z } from 'zod';
import { ApprovalRules, TaskNotFoundError, ZapAgent, ZapValidationError, tool, type Task } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Tenants and users: a task started with `tenantId`/`userId` belongs to them; a call scoped to
 * another tenant or user meets it exactly as an unknown id (`TaskNotFoundError`, the same
 * message), an unscoped call (the operator's view) reaches it, and its sub-tasks inherit it.
 */

const router = new AgentRouter();
const executed: string[] = [];
const transfer = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number() }),
  execute: ({ amount }) => {
    executed.push(`transfer ${amount}`);
    return `moved ${amount}`;
  },
});
const finance = new ZapAgent({ name: 'Finance', prompt: 'Finance.', model: 'scripted-model', tools: [transfer] });
const boss = new ZapAgent({ name: 'Boss', prompt: 'Boss.', model: 'scripted-model', subAgents: ['Helper'] });
const helper = new ZapAgent({ name: 'Helper', prompt: 'Helper.', discoveryPrompt: 'Helps', model: 'scripted-model' });
const approvals = new ApprovalRules({ patterns: ['transfer_*'] });

/** What a call rejects with (or undefined when it resolves). */
async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** The message of `error` with `taskId` replaced by a placeholder, to compare message shapes. */
function shapeOf(error: unknown, taskId: string): string {
  return (error as Error).message.replaceAll(taskId, '<id>');
}

describe('tenants', () => {
  let harness: Harness;
  let taskA: Task;
  let approvalId: string;
  let unknownShape: string;

  beforeAll(async () => {
    harness = await startHarness({ agents: [finance, boss, helper], llm: { handler: router.handler } });
    const unknown = await failureOf(() => harness.zap.getTask('no-such-task', { tenantId: 'tenant-b' }));
    expect(TaskNotFoundError.isInstance(unknown)).toBe(true);
    unknownShape = shapeOf(unknown, 'no-such-task');

    // Tenant A's task waits for an approval.
    router.enqueue('Finance.', scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 10 } }]));
    taskA = await harness.zap.executeTask({ agentName: 'Finance', task: 'Pay 10', tenantId: 'tenant-a', userId: 'alice', approvalRules: approvals });
    const waiting = await waitForTask(harness.zap, taskA.id, (task) => task.status === 'awaiting_approval');
    approvalId = waiting.approvals[0]?.id ?? '';
    expect(approvalId).not.toBe('');
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    executed.length = 0;
  });

  test('tenant B meets tenant A\'s task exactly as an unknown id, whatever it calls', async () => {
    const { zap } = harness;
    const asB = { tenantId: 'tenant-b' };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['getTask', () => zap.getTask(taskA.id, asB)],
      ['getPendingApprovals', () => zap.getPendingApprovals(taskA.id, asB)],
      ['approve', () => zap.approve(taskA.id, approvalId, { approvedBy: 'mallory', ...asB })],
      ['reject', () => zap.reject(taskA.id, approvalId, 'no', { rejectedBy: 'mallory', ...asB })],
      ['cancelTask', () => zap.cancelTask(taskA.id, 'by B', asB)],
      ['retryTask', () => zap.retryTask(taskA.id, asB)],
      ['sendEvent', () => zap.sendEvent(taskA.id, 'anything', {}, asB)],
      ['follow-up', () => zap.executeTask({ followUpOnTask: taskA.id, task: 'Pay me instead', ...asB })],
      ['streamTask by id', async () => {
        for await (const _event of zap.streamTask({ taskId: taskA.id, ...asB })) break;
      }],
      ['streamTask follow-up', async () => {
        for await (const _event of zap.streamTask({ followUpOnTask: taskA.id, task: 'Stream me', ...asB })) break;
      }],
      // The right tenant with another user is outside the scope too.
      ['getTask as another user', () => zap.getTask(taskA.id, { tenantId: 'tenant-a', userId: 'bob' })],
    ];
    for (const [name, call] of calls) {
      const failure = await failureOf(call);
      expect({ name, notFound: TaskNotFoundError.isInstance(failure) }).toEqual({ name, notFound: true });
      expect({ name, shape: shapeOf(failure, taskA.id) }).toEqual({ name, shape: unknownShape });
    }

    // None of it reached the task: still waiting on the same approval, nothing ran, no follow-up.
    const after = await zap.getTask(taskA.id);
    expect(after.status).toBe('awaiting_approval');
    expect(after.approvals.map((approval) => approval.decision)).toEqual([undefined]);
    expect(after.history.filter((message) => message.role === 'user')).toHaveLength(1);
    expect(executed).toEqual([]);
  });

  test('its own tenant and user reach it, and so does an unscoped call', async () => {
    const { zap } = harness;
    const own = await zap.getTask(taskA.id, { tenantId: 'tenant-a' });
    expect(own).toMatchObject({ id: taskA.id, tenantId: 'tenant-a', userId: 'alice' });
    expect(await zap.getPendingApprovals(taskA.id, { tenantId: 'tenant-a', userId: 'alice' })).toHaveLength(1);
    expect((await zap.getTask(taskA.id)).tenantId).toBe('tenant-a');

    router.enqueue('Finance.', scripted.text('Paid.'));
    await zap.approve(taskA.id, approvalId, { approvedBy: 'alice', tenantId: 'tenant-a', userId: 'alice' });
    const done = await waitForCompletion(zap, taskA.id);
    expect(done.result).toBe('Paid.');
    expect(executed).toEqual(['transfer 10']);

    router.enqueue('Finance.', scripted.text('And again.'));
    await zap.executeTask({ followUpOnTask: taskA.id, task: 'Thanks', tenantId: 'tenant-a' });
    await waitForTask(zap, taskA.id, (task) => task.result === 'And again.');
  });

  test('a sub-task inherits its parent\'s tenant and user', async () => {
    const { zap } = harness;
    router.enqueue('Boss.', scripted.toolCalls([{ id: 'call_m', name: 'message_agent', arguments: { agent_name: 'Helper', message: 'Help' } }]));
    router.enqueue('Helper.', scripted.text('Helped.'));
    router.enqueue('Boss.', scripted.text('Done.'));
    const parent = await zap.executeTask({ agentName: 'Boss', task: 'Delegate', tenantId: 'tenant-c', userId: 'carol' });
    const done = await waitForCompletion(zap, parent.id);
    const childId = done.subTasks[0] as string;
    const child = await zap.getTask(childId, { tenantId: 'tenant-c', userId: 'carol' });
    expect(child).toMatchObject({ tenantId: 'tenant-c', userId: 'carol', parentTaskId: parent.id, agentName: 'Helper' });
    const outside = await failureOf(() => zap.getTask(childId, { tenantId: 'tenant-a' }));
    expect(shapeOf(outside, childId)).toBe(unknownShape);
  });

  test('a task id of another tenant cannot be claimed by starting a task with it', async () => {
    const { zap } = harness;
    const failure = await failureOf(() => zap.executeTask({ agentName: 'Finance', task: 'Mine now', taskId: taskA.id, tenantId: 'tenant-b' }));
    expect(ZapValidationError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/already taken by another task/);
    // The same owner gets the same task back (idempotent start).
    const same = await zap.executeTask({ agentName: 'Finance', task: 'Again', taskId: taskA.id, tenantId: 'tenant-a', userId: 'alice' });
    expect(same.id).toBe(taskA.id);
  });

  test('tenant and user ids are validated', async () => {
    const { zap } = harness;
    for (const tenantId of ['', 'x'.repeat(201), 'line\nbreak', 'nul\u0000', 42 as unknown as string]) {
      const failure = await failureOf(() => zap.executeTask({ agentName: 'Finance', task: 'Hi', tenantId }));
      expect(ZapValidationError.isInstance(failure)).toBe(true);
      expect((failure as Error).message).toMatch(/tenantId must be a string of 1 to 200 characters without control characters/);
    }
    const badUser = await failureOf(() => zap.getTask(taskA.id, { userId: 'tab\tbed' }));
    expect((badUser as Error).message).toMatch(/userId must be a string/);
    // 200 characters, quotes and non-Latin text are fine.
    const fine = await zap.executeTask({ agentName: 'Finance', task: 'Hi', tenantId: `${'é'.repeat(190)}"'\\ 租户` });
    expect(fine.tenantId).toBe(`${'é'.repeat(190)}"'\\ 租户`);
    await zap.client.workflow.getHandle(fine.id).terminate('test over');
  });
});
