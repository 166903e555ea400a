import { z } from 'zod';
import { ApprovalNotFoundError, ApprovalRules, ZapAgent, tool, type Task } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { OPERATOR_PRINCIPAL, ZapOperations } from '../../src/operations';
import { getEventsQuery } from '../../src/workflows/definitions';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

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
const deleteAccount = tool({
  name: 'delete_account',
  description: 'Deletes an account',
  parameters: z.object({ id: z.string() }),
  execute: ({ id }) => {
    executed.push(`delete ${id}`);
    return `deleted ${id}`;
  },
});
const getBalance = tool({
  name: 'get_balance',
  description: 'Reads the balance',
  parameters: z.object({}),
  execute: () => {
    executed.push('balance');
    return '1000 EUR';
  },
});

const router = new AgentRouter();

async function eventsOf(harness: Harness, taskId: string) {
  return (await harness.zap.client.workflow.getHandle(taskId).query(getEventsQuery, 0)).events;
}

async function waitForPendingApprovals(harness: Harness, taskId: string, count: number): Promise<Task> {
  return waitForTask(harness.zap, taskId, (task) => task.status === 'awaiting_approval' && pendingCount(task) === count);
}

function pendingCount(task: Task): number {
  return task.approvals.filter((approval) => approval.decision === undefined).length;
}

describe('human approvals', () => {
  let harness: Harness;
  const rules = new ApprovalRules({ patterns: ['transfer_*', 'delete_*'] });

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Finance',
          prompt: 'Finance agent.',
          model: 'scripted-model',
          tools: [transferFunds, deleteAccount, getBalance],
        }),
        new ZapAgent({
          name: 'Treasury',
          prompt: 'Treasury agent.',
          model: 'scripted-model',
          tools: [transferFunds, deleteAccount, getBalance],
          approvalRules: new ApprovalRules({ patterns: ['transfer_*'], timeout: '1 day' }),
        }),
      ],
      llm: { handler: router.handler },
      zap: { continueAsNewAfterEvents: 40 },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    executed.length = 0;
  });

  test('approve: the gated call runs after the decision, which is logged with the approver', async () => {
    router.enqueue(
      'Finance agent.',
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 50, to: 'ACME' } }]),
      scripted.text('Transfer done.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Pay ACME 50', approvalRules: rules });
    const waiting = await waitForPendingApprovals(harness, started.id, 1);
    expect(executed).toEqual([]);

    const [pending] = await waiting.getPendingApprovals();
    expect(pending).toMatchObject({ toolName: 'transfer_funds', toolArgs: { amount: 50, to: 'ACME' }, agentName: 'Finance', taskId: started.id });
    expect(Date.parse(pending!.timeoutAt) - Date.parse(pending!.requestedAt)).toBe(7 * 24 * 3600 * 1000);

    await waiting.approve(pending!.id, { approvedBy: 'alice' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual(['transfer 50 to ACME']);
    expect(task.getToolCalls()[0]?.result).toBe('transferred 50 to ACME');
    expect(task.approvals).toEqual([expect.objectContaining({ id: pending!.id, decision: 'approved', decidedBy: 'alice' })]);
    const events = await eventsOf(harness, started.id);
    expect(events.map((event) => event.type)).toEqual([
      'thinking',
      'tool_call',
      'approval_requested',
      'approval_resolved',
      'tool_result',
      'thinking',
      'completed',
    ]);
    expect(events.find((event) => event.type === 'approval_resolved')).toMatchObject({ decision: 'approved', decidedBy: 'alice' });
  });

  test('reject: the model is told why and the task goes on; deciding twice is harmless', async () => {
    router.enqueue(
      'Finance agent.',
      scripted.toolCalls([{ id: 'call_d', name: 'delete_account', arguments: { id: 'acct-9' } }]),
      scripted.text('I did not delete it.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Delete acct-9', approvalRules: rules });
    const waiting = await waitForPendingApprovals(harness, started.id, 1);
    const [pending] = await waiting.getPendingApprovals();
    await harness.zap.reject(started.id, pending!.id, 'too risky', { rejectedBy: 'bob' });
    const second = await harness.zap.approve(started.id, pending!.id);
    expect(second).toEqual({ approvalId: pending!.id, decision: 'rejected', alreadyDecided: true });

    const task = await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual([]);
    expect(task.getToolCalls()[0]?.result).toBe('[Tool call rejected: too risky]');
    expect(harness.llm.requests[1]?.body.messages.at(-1).content).toBe('[Tool call rejected: too risky]');
    expect(task.approvals[0]).toMatchObject({ decision: 'rejected', reason: 'too risky', decidedBy: 'bob' });
  });

  test('timeout: an undecided call is rejected after the rules timeout', async () => {
    router.enqueue(
      'Finance agent.',
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 1, to: 'X' } }]),
      scripted.text('Nobody approved.'),
    );
    const quick = new ApprovalRules({ patterns: ['transfer_*'], timeout: '2 seconds' });
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Pay X 1', approvalRules: quick });
    const task = await waitForCompletion(harness.zap, started.id, 20_000);
    expect(executed).toEqual([]);
    expect(task.getToolCalls()[0]?.result).toBe('[Tool call rejected: approval timed out (no decision within 2 seconds)]');
    expect(task.approvals[0]?.decision).toBe('timed_out');
    const events = await eventsOf(harness, started.id);
    expect(events.find((event) => event.type === 'approval_resolved')).toMatchObject({ decision: 'timed_out' });
  });

  test('two approvals pending at once while an ungated call of the same turn completes', async () => {
    router.enqueue(
      'Finance agent.',
      scripted.toolCalls([
        { id: 'call_1', name: 'transfer_funds', arguments: { amount: 10, to: 'A' } },
        { id: 'call_2', name: 'get_balance', arguments: {} },
        { id: 'call_3', name: 'delete_account', arguments: { id: 'old' } },
      ]),
      scripted.text('Handled.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Three things', approvalRules: rules });
    const waiting = await waitForPendingApprovals(harness, started.id, 2);
    await waitForTask(harness.zap, started.id, () => executed.includes('balance'));
    expect(executed).toEqual(['balance']);
    const pending = await waiting.getPendingApprovals();
    expect(pending.map((approval) => approval.toolName).sort()).toEqual(['delete_account', 'transfer_funds']);

    const transfer = pending.find((approval) => approval.toolName === 'transfer_funds')!;
    const deletion = pending.find((approval) => approval.toolName === 'delete_account')!;
    await harness.zap.approve(started.id, transfer.id);
    await harness.zap.reject(started.id, deletion.id, 'keep it');
    const task = await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual(['balance', 'transfer 10 to A']);
    expect(task.history.filter((message) => message.role === 'tool').map((message) => message.content)).toEqual([
      'transferred 10 to A',
      '1000 EUR',
      '[Tool call rejected: keep it]',
    ]);
  });

  test("an agent's own rules gate every task, however started; a caller's patterns add to them", async () => {
    router.enqueue(
      'Treasury agent.',
      scripted.toolCalls([
        { id: 'call_t', name: 'transfer_funds', arguments: { amount: 5, to: 'Bob' } },
        { id: 'call_d', name: 'delete_account', arguments: { id: 'acct-1' } },
        { id: 'call_b', name: 'get_balance', arguments: {} },
      ]),
      scripted.text('Done.'),
    );
    // Started through the operations surface (as the CLI, HTTP and MCP do), with one extra pattern.
    const operations = new ZapOperations({ zap: harness.zap });
    const started = await operations.startTask(OPERATOR_PRINCIPAL, { agent: 'Treasury', message: 'Pay Bob, close acct-1', approvalPatterns: ['delete_*'] });
    const waiting = await waitForPendingApprovals(harness, started.taskId, 2);
    expect(executed).toEqual(['balance']);
    const pending = await waiting.getPendingApprovals();
    expect(pending.map((approval) => approval.toolName).sort()).toEqual(['delete_account', 'transfer_funds']);
    // The shorter timeout of the two sets holds (the agent's day, not the default week).
    for (const approval of pending) expect(Date.parse(approval.timeoutAt) - Date.parse(approval.requestedAt)).toBe(24 * 3600 * 1000);
    for (const approval of pending) await waiting.approve(approval.id, { approvedBy: 'ops' });
    await waitForCompletion(harness.zap, started.taskId);
    expect(executed.sort()).toEqual(['balance', 'delete acct-1', 'transfer 5 to Bob']);
  });

  test('an unknown approval id gives ApprovalNotFoundError', async () => {
    router.enqueue('Finance agent.', scripted.text('Nothing to do.'));
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Nothing', approvalRules: rules });
    await waitForCompletion(harness.zap, started.id);
    await expect(harness.zap.approve(started.id, 'no-such-approval')).rejects.toBeInstanceOf(ApprovalNotFoundError);
    await expect(harness.zap.reject(started.id, 'no-such-approval')).rejects.toThrow(/no-such-approval/);
  });

  test('rules survive continue-as-new', async () => {
    router.enqueue('Finance agent.', ...Array.from({ length: 6 }, (_, index) => scripted.text(`answer ${index + 1}`)));
    const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'Chat 1', approvalRules: rules });
    for (let turn = 2; turn <= 6; turn++) {
      await waitForTask(harness.zap, started.id, (task) => task.result === `answer ${turn - 1}` && task.status === 'completed');
      await harness.zap.executeTask({ followUpOnTask: started.id, task: `Chat ${turn}` });
    }
    await waitForTask(harness.zap, started.id, (task) => task.result === 'answer 6');
    const runs = [];
    for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
    expect(runs.length).toBeGreaterThan(1);

    router.enqueue(
      'Finance agent.',
      scripted.toolCalls([{ id: 'call_after', name: 'transfer_funds', arguments: { amount: 5, to: 'Z' } }]),
      scripted.text('Paid after continue-as-new.'),
    );
    await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Now pay Z 5' });
    const waiting = await waitForPendingApprovals(harness, started.id, 1);
    expect(executed).toEqual([]);
    await waiting.approve((await waiting.getPendingApprovals())[0]!.id);
    const task = await waitForTask(harness.zap, started.id, (t) => t.result === 'Paid after continue-as-new.');
    expect(executed).toEqual(['transfer 5 to Z']);
    expect(task.history.filter((message) => message.role === 'user')).toHaveLength(7);
  });

  test('patterns that match no tool are reported when the task starts', async () => {
    const warnings: string[] = [];
    const original = harness.zap.options.logger;
    (harness.zap.options as { logger: { warn(message: string): void } }).logger = { warn: (message) => warnings.push(message) };
    try {
      router.enqueue('Finance agent.', scripted.text('ok'));
      const typo = new ApprovalRules({ patterns: ['transfer_*', 'wire_*'] });
      expect(typo.previewMatches(await harness.zap.getAgentTools('Finance'))).toEqual({
        'transfer_*': ['transfer_funds'],
        'wire_*': [],
      });
      const started = await harness.zap.executeTask({ agentName: 'Finance', task: 'hi', approvalRules: typo });
      await waitForCompletion(harness.zap, started.id);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/'wire_\*' match no tool of agent 'Finance'/);
    } finally {
      (harness.zap.options as { logger: unknown }).logger = original;
    }
  });
});
