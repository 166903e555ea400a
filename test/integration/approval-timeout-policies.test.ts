import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { ApprovalRules, type Zap, ZapAgent, tool, type Task } from '../../src';
import { type ScriptedLlmServer, scripted } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { waitForCompletion, waitForTask } from '../support/harness';
import { startTimeSkippingZap, TIME_SKIPPING_SETUP_TIMEOUT_MS, type TimeSkippingZap } from '../support/time-skipping';

/**
 * What an approval does at its timeout (`onTimeout`), on Temporal's time-skipping test server:
 * `approve` runs the call and tells the model no human decided, `fail` fails the task with
 * APPROVAL_TIMED_OUT, `escalate` runs the agent's `onApprovalEscalated` hook and waits again
 * (a decision during the second wait counts; none applies `escalation.then`). `reject`, the
 * default, is covered in time-skipping.test.ts. Each test lets its task close before the next.
 */

const HOUR_MS = 3_600_000;

const executed: string[] = [];
const escalations: Array<{ approvalId: string; escalatedAt: string | undefined; timeoutAt: string }> = [];

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
  hooks: {
    onApprovalEscalated: ({ approval }) => {
      if (approval) escalations.push({ approvalId: approval.id, escalatedAt: approval.escalatedAt, timeoutAt: approval.timeoutAt });
    },
  },
});

describe('approval timeout policies on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let llm: ScriptedLlmServer;
  let zap: Zap;
  let stack: TimeSkippingZap;

  beforeAll(async () => {
    stack = await startTimeSkippingZap({ agents: [finance], taskQueuePrefix: 'approval-timeouts' });
    ({ env, llm, zap } = stack);
  }, TIME_SKIPPING_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  beforeEach(() => {
    llm.reset();
    executed.length = 0;
    escalations.length = 0;
  });

  function startTransfer(rules: ApprovalRules, amount: number): Promise<Task> {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount, to: 'ACME' } }]),
      scripted.text('Handled.'),
    );
    return zap.executeTask({ agentName: 'Finance', task: `Pay ACME ${amount}`, approvalRules: rules });
  }

  async function pendingApproval(taskId: string) {
    const task = await waitForTask(zap, taskId, (current) => current.status === 'awaiting_approval');
    const [request] = await task.getPendingApprovals();
    if (!request) throw new Error('expected a pending approval');
    return request;
  }

  /** Skips time until the task's workflow closes (the idle timeout after its answer). */
  async function letItClose(taskId: string): Promise<void> {
    await env.client.workflow.getHandle(taskId).result().catch(() => undefined);
  }

  test("onTimeout 'approve': the call runs after the timeout and the model is told no human decided", async () => {
    const started = await startTransfer(new ApprovalRules({ patterns: ['transfer_*'], timeout: '2 hours', onTimeout: 'approve' }), 10);
    const request = await pendingApproval(started.id);
    expect(request.onTimeout).toBe('approve');
    await env.sleep(2 * HOUR_MS);
    const task = await waitForCompletion(zap, started.id);
    expect(executed).toEqual(['transfer 10 to ACME']);
    const told = task.getToolCalls()[0]?.result ?? '';
    expect(told).toBe('[Approved without a human decision: no decision within 2 hours; approved by the timeout policy]\ntransferred 10 to ACME');
    expect(llm.requests[1]?.body.messages.at(-1).content).toBe(told);
    expect(task.approvals[0]).toMatchObject({ id: request.id, decision: 'approved', decidedBy: 'zap:timeout-policy' });
    await letItClose(started.id);
  });

  test("onTimeout 'fail': the task fails with APPROVAL_TIMED_OUT and the call never runs", async () => {
    const started = await startTransfer(new ApprovalRules({ patterns: ['transfer_*'], timeout: '3 hours', onTimeout: 'fail' }), 20);
    const request = await pendingApproval(started.id);
    const failure = await env.client.workflow.getHandle(started.id).result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('APPROVAL_TIMED_OUT');
    expect((cause as ApplicationFailure).details?.[0]).toMatchObject({ approvalId: request.id, toolName: 'transfer_funds', waitedMs: 3 * HOUR_MS, escalated: false });
    const task = await zap.getTask(started.id);
    expect(task.status).toBe('failed');
    expect(task.errorCode).toBe('APPROVAL_TIMED_OUT');
    expect(task.error).toMatch(/no decision within 3 hours/);
    expect(task.approvals[0]).toMatchObject({ id: request.id, decision: 'timed_out' });
    expect(executed).toEqual([]);
    expect(llm.requestCount()).toBe(1);
  });

  test("onTimeout 'escalate': the hook runs, the same approval waits again, and a decision then still counts", async () => {
    const rules = new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 hour', onTimeout: 'escalate', escalation: { timeout: '4 hours' } });
    const started = await startTransfer(rules, 30);
    const request = await pendingApproval(started.id);
    await env.sleep(HOUR_MS + 60_000);
    const escalated = await waitForTask(zap, started.id, (task) => task.approvals[0]?.escalatedAt !== undefined);
    const [still] = await escalated.getPendingApprovals();
    expect(still?.id).toBe(request.id);
    expect(Date.parse(still!.timeoutAt) - Date.parse(still!.escalatedAt!)).toBe(4 * HOUR_MS);
    await waitForTask(zap, started.id, () => escalations.length === 1);
    expect(escalations).toEqual([{ approvalId: request.id, escalatedAt: still!.escalatedAt, timeoutAt: still!.timeoutAt }]);
    const { events } = await zap.client.workflow.getHandle(started.id).query(getEventsQuery, 0);
    expect(events.filter((event) => event.type === 'approval_escalated')).toHaveLength(1);
    expect(executed).toEqual([]);

    await zap.approve(started.id, request.id, { approvedBy: 'cfo' });
    const task = await waitForCompletion(zap, started.id);
    expect(executed).toEqual(['transfer 30 to ACME']);
    expect(task.approvals[0]).toMatchObject({ decision: 'approved', decidedBy: 'cfo' });
    await letItClose(started.id);
  });

  test("onTimeout 'escalate' with no decision at all: after the second wait, escalation.then applies (reject)", async () => {
    const rules = new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 hour', onTimeout: 'escalate', escalation: { timeout: '2 hours', then: 'reject' } });
    const started = await startTransfer(rules, 40);
    await pendingApproval(started.id);
    await env.sleep(3 * HOUR_MS + 60_000);
    const task = await waitForCompletion(zap, started.id);
    expect(executed).toEqual([]);
    expect(task.getToolCalls()[0]?.result).toBe('[Tool call rejected: approval timed out (no decision within 3 hours (escalated once))]');
    expect(task.approvals[0]).toMatchObject({ decision: 'timed_out' });
    expect(escalations).toHaveLength(1);
    await letItClose(started.id);
  });
});
