import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { ApprovalRules, TaskClosedError, ZapAgent, tool, type ApprovalLogEntry, type Task, type Zap } from '../../src';
import { type ScriptedLlmServer, scripted } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { waitForCompletion, waitForTask } from '../support/harness';
import { startTimeSkippingZap, TIME_SKIPPING_SETUP_TIMEOUT_MS, type TimeSkippingZap } from '../support/time-skipping';

/**
 * The real long waits of a task — the default 24-hour idle timeout and a multi-day approval
 * timeout — on Temporal's time-skipping test server, in seconds of wall time. Time is global to
 * the server: jest runs this file's tests one after another, and each test ends by letting its
 * task close (`result()` skips to its idle timeout) so no timer of one test fires in the next.
 *
 * Two ways to move time: `env.client.workflow.result()` skips while it waits for a workflow to
 * close; `env.sleep()` skips a given amount. The Zap has its own client to the same server, on
 * which time never skips, so the waits for an answer below (`waitForCompletion`) run in real time.
 * Wall time is bounded only by jest's test timeout (machines are shared): each test takes well
 * under a second here.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const executed: string[] = [];
const transferFunds = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => {
    executed.push(`transfer ${amount} to ${to}`);
    return `transferred ${amount} to ${to}`;
  },
});

const finance = new ZapAgent({
  name: 'Finance',
  prompt: 'Finance agent.',
  model: 'scripted-model',
  tools: [transferFunds],
});

const threeDayApprovals = new ApprovalRules({ patterns: ['transfer_*'], timeout: '3 days' });

/** A time the workflow recorded (server time, skipped ahead), as epoch milliseconds. */
function workflowTime(time: Date | string | undefined): number {
  if (time === undefined) throw new Error('expected a workflow timestamp');
  return typeof time === 'string' ? Date.parse(time) : time.getTime();
}

function pendingApprovalsOf(task: Task): ApprovalLogEntry[] {
  return task.approvals.filter((approval) => approval.decision === undefined);
}

describe('long waits on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let llm: ScriptedLlmServer;
  let zap: Zap;
  let stack: TimeSkippingZap;

  beforeAll(async () => {
    stack = await startTimeSkippingZap({ agents: [finance], taskQueuePrefix: 'time-skipping' });
    ({ env, llm, zap } = stack);
  }, TIME_SKIPPING_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  beforeEach(() => {
    llm.reset();
    executed.length = 0;
  });

  /** Waits (skipping time) until the task's workflow closes; returns its close time and status. */
  async function closeOf(taskId: string): Promise<{ closedAt: number; status: string }> {
    const handle = env.client.workflow.getHandle(taskId);
    await handle.result();
    const description = await handle.describe();
    if (!description.closeTime) throw new Error(`workflow ${taskId} has no close time`);
    return { closedAt: description.closeTime.getTime(), status: description.status.name };
  }

  async function workflowStatus(taskId: string): Promise<string> {
    return (await env.client.workflow.getHandle(taskId).describe()).status.name;
  }

  async function pendingApproval(taskId: string): Promise<Task> {
    return waitForTask(zap, taskId, (task) => task.status === 'awaiting_approval' && pendingApprovalsOf(task).length === 1);
  }

  test('an answered task with no follow-up ends after the default 24-hour idle timeout', async () => {
    llm.enqueue(scripted.text('Order 123 ships today.'));
    const started = await zap.executeTask({ agentName: 'Finance', task: 'Where is order 123?' });
    const answered = await waitForCompletion(zap, started.id);
    const answeredAt = workflowTime(answered.updatedAt);
    expect(await workflowStatus(started.id)).toBe('RUNNING');

    const { closedAt, status } = await closeOf(started.id);
    expect(status).toBe('COMPLETED');
    // Closed by the idle timer: no sooner than 24 hours after the answer, and not much later.
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(DAY_MS);
    expect(closedAt - answeredAt).toBeLessThan(DAY_MS + HOUR_MS);
    expect(await env.client.workflow.getHandle(started.id).result()).toMatchObject({
      taskId: started.id,
      status: 'completed',
      result: 'Order 123 ships today.',
    });

    const closed = await zap.getTask(started.id);
    expect(closed.status).toBe('completed');
    expect(closed.result).toBe('Order 123 ships today.');
    await expect(zap.executeTask({ followUpOnTask: started.id, task: 'And order 124?' })).rejects.toThrow(TaskClosedError);
    await expect(zap.executeTask({ followUpOnTask: started.id, task: 'And order 124?' })).rejects.toThrow(/idle timeout/);
    expect(llm.requestCount()).toBe(1);
  });

  test('a follow-up sent 23 hours after the answer is answered and restarts the idle timeout', async () => {
    llm.enqueue(scripted.text('Order 123 ships today.'), scripted.text('Order 124 shipped yesterday.'));
    const started = await zap.executeTask({ agentName: 'Finance', task: 'Where is order 123?' });
    const firstAnswer = await waitForCompletion(zap, started.id);
    const firstAnsweredAt = workflowTime(firstAnswer.updatedAt);

    await env.sleep(23 * HOUR_MS);
    expect((await env.currentTimeMs()) - firstAnsweredAt).toBeGreaterThanOrEqual(23 * HOUR_MS);
    expect(await workflowStatus(started.id)).toBe('RUNNING');

    await zap.executeTask({ followUpOnTask: started.id, task: 'And order 124?' });
    const secondAnswer = await waitForTask(
      zap,
      started.id,
      (task) => task.status === 'completed' && task.result === 'Order 124 shipped yesterday.',
    );
    const secondAnsweredAt = workflowTime(secondAnswer.updatedAt);
    expect(secondAnsweredAt - firstAnsweredAt).toBeGreaterThanOrEqual(23 * HOUR_MS);
    expect(secondAnswer.history.filter((message) => message.role === 'user').map((message) => message.content)).toEqual([
      'Where is order 123?',
      'And order 124?',
    ]);
    expect(llm.requestCount()).toBe(2);

    // The first answer's deadline (one hour later) no longer applies: the task closes 24 hours
    // after the second answer.
    const { closedAt, status } = await closeOf(started.id);
    expect(status).toBe('COMPLETED');
    expect(closedAt - secondAnsweredAt).toBeGreaterThanOrEqual(DAY_MS);
    expect(closedAt - secondAnsweredAt).toBeLessThan(DAY_MS + HOUR_MS);
    expect(closedAt - firstAnsweredAt).toBeGreaterThanOrEqual(47 * HOUR_MS);
    expect(llm.requestCount()).toBe(2);
  });

  test('an undecided approval times out after 3 days; the model is told and the task answers', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 50, to: 'ACME' } }]),
      scripted.text('Nobody approved the transfer.'),
    );
    const started = await zap.executeTask({ agentName: 'Finance', task: 'Pay ACME 50', approvalRules: threeDayApprovals });
    const waiting = await pendingApproval(started.id);
    const [request] = await waiting.getPendingApprovals();
    expect(workflowTime(request?.timeoutAt) - workflowTime(request?.requestedAt)).toBe(3 * DAY_MS);

    // An hour before the deadline the call still waits.
    await env.sleep(3 * DAY_MS - HOUR_MS);
    const almost = await zap.getTask(started.id);
    expect(almost.status).toBe('awaiting_approval');
    expect(pendingApprovalsOf(almost)).toHaveLength(1);
    expect(llm.requestCount()).toBe(1);

    await env.sleep(HOUR_MS);
    const task = await waitForCompletion(zap, started.id);
    const rejection = '[Tool call rejected: approval timed out (no decision within 3 days)]';
    expect(task.result).toBe('Nobody approved the transfer.');
    expect(task.getToolCalls()[0]?.result).toBe(rejection);
    expect(llm.requests[1]?.body.messages.at(-1).content).toBe(rejection);
    expect(executed).toEqual([]);
    const [entry] = task.approvals;
    expect(entry).toMatchObject({ id: request?.id, decision: 'timed_out', reason: 'no decision within 3 days' });
    expect(workflowTime(entry?.decidedAt) - workflowTime(entry?.requestedAt)).toBeGreaterThanOrEqual(3 * DAY_MS);
    const { events } = await zap.client.workflow.getHandle(started.id).query(getEventsQuery, 0);
    expect(events.find((event) => event.type === 'approval_resolved')).toMatchObject({ decision: 'timed_out' });

    // Answered, the task waits for follow-ups as usual and ends after its idle timeout.
    const { status } = await closeOf(started.id);
    expect(status).toBe('COMPLETED');
    expect(llm.requestCount()).toBe(2);
  });

  test('a decision on day 2 of a 3-day approval still runs the call, and the timeout never fires', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 75, to: 'Globex' } }]),
      scripted.text('Transfer done.'),
    );
    const started = await zap.executeTask({ agentName: 'Finance', task: 'Pay Globex 75', approvalRules: threeDayApprovals });
    const waiting = await pendingApproval(started.id);
    const [request] = await waiting.getPendingApprovals();

    await env.sleep(2 * DAY_MS);
    expect((await zap.getTask(started.id)).status).toBe('awaiting_approval');
    expect(executed).toEqual([]);

    const decision = await zap.approve(started.id, request!.id, { approvedBy: 'alice' });
    expect(decision).toEqual({ approvalId: request!.id, decision: 'approved', alreadyDecided: false });
    const task = await waitForCompletion(zap, started.id);
    expect(task.result).toBe('Transfer done.');
    expect(executed).toEqual(['transfer 75 to Globex']);
    expect(task.getToolCalls()[0]?.result).toBe('transferred 75 to Globex');
    const [entry] = task.approvals;
    expect(entry).toMatchObject({ id: request?.id, decision: 'approved', decidedBy: 'alice' });
    const decidedAfter = workflowTime(entry?.decidedAt) - workflowTime(entry?.requestedAt);
    expect(decidedAfter).toBeGreaterThanOrEqual(2 * DAY_MS);
    expect(decidedAfter).toBeLessThan(3 * DAY_MS);

    // Past the approval's deadline (day 3) and on to the idle timeout: the decision stands.
    const { closedAt, status } = await closeOf(started.id);
    expect(status).toBe('COMPLETED');
    expect(closedAt - workflowTime(entry?.requestedAt)).toBeGreaterThan(3 * DAY_MS);
    const closed = await zap.getTask(started.id);
    expect(closed.approvals).toEqual([expect.objectContaining({ id: request?.id, decision: 'approved', decidedBy: 'alice' })]);
    expect(closed.result).toBe('Transfer done.');
    expect(executed).toEqual(['transfer 75 to Globex']);
    expect(llm.requestCount()).toBe(2);
  });
  test('awaiting the result alone skips through the approval timeout and the idle timeout, but not a model call', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 5, to: 'Initech' } }]),
      // Real time passes while the model answers: the server must not skip past the call's
      // 2-minute timeout (and retry it) meanwhile.
      scripted.text('Nobody approved the transfer.', { delayMs: 500 }),
    );
    const started = await zap.executeTask({ agentName: 'Finance', task: 'Pay Initech 5', approvalRules: threeDayApprovals });
    const { closedAt, status } = await closeOf(started.id);
    expect(status).toBe('COMPLETED');

    const task = await zap.getTask(started.id);
    expect(task.result).toBe('Nobody approved the transfer.');
    expect(task.getToolCalls()[0]?.result).toBe('[Tool call rejected: approval timed out (no decision within 3 days)]');
    expect(executed).toEqual([]);
    const [entry] = task.approvals;
    expect(entry?.decision).toBe('timed_out');
    const answeredAt = workflowTime(task.updatedAt);
    expect(answeredAt - workflowTime(entry?.decidedAt)).toBeLessThan(HOUR_MS);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(DAY_MS);
    expect(closedAt - workflowTime(entry?.requestedAt)).toBeGreaterThanOrEqual(4 * DAY_MS);
    expect(llm.requestCount()).toBe(2);
  });
});
