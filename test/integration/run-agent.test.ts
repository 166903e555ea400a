/**
 * Agents inside the user's own workflows, against the real dev server with the scripted model
 * over HTTP: a user-defined order workflow (test/fixtures/order-workflow, whose module re-exports
 * zap's workflows) calls `runAgent`, on ONE worker of the user's own built with `zap.workerPlugin()`
 * (no `zap.createWorker`). The agent task is an ordinary zap task: typed output, approvals decided
 * by id, streaming, cancellation passed on, typed failures the workflow catches.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { z } from 'zod';
import { ApprovalRules, TaskStatus, ZapAgent, tool, type ApprovalLogEntry, type Task } from '../../src';
import type { TaskEvent } from '../../src/core/events';
import type { ZapWorkerPlugin } from '../../src/worker/zap-worker-plugin';
import { scripted } from '../../src/testing/scripted-llm-server';
import { createOrderActivities, UNIT_PRICE_CENTS, type CustomerReply, type OrderLedger } from '../fixtures/order-workflow/activities';
import type { agentProbeWorkflow, OrderInput, orderWorkflow, twoAgentStepsWorkflow } from '../fixtures/order-workflow/workflows';
import { AgentRouter } from '../support/agent-router';
import { stdioServerConfig } from '../fixtures/mcp/stdio-server-command';
import { startHarness, temporalAddress, testWorkerOptions, waitForTask, type Harness } from '../support/harness';

jest.setTimeout(120_000);

const SUPPORT_PROMPT = 'You draft replies to customers';
const LOOPER_PROMPT = 'You loop';
const Reply = z.object({ subject: z.string(), body: z.string() });

const refunds: string[] = [];
const discounts: string[] = [];

const support = new ZapAgent<{ orderId?: string } | undefined>({
  name: 'Support',
  prompt: (context) => `${SUPPORT_PROMPT} about order ${context?.orderId ?? 'unknown'}.`,
  output: Reply,
  tools: [
    tool({
      name: 'refund_order',
      description: 'Refunds an order',
      parameters: z.object({ orderId: z.string() }),
      execute: ({ orderId }) => {
        refunds.push(orderId);
        return `Order ${orderId} refunded`;
      },
    }),
    tool({
      name: 'offer_discount',
      description: 'Offers the customer a discount on the next order',
      parameters: z.object({ orderId: z.string(), percent: z.number() }),
      execute: ({ orderId, percent }) => {
        discounts.push(orderId);
        return `${percent}% discount code sent for ${orderId}`;
      },
    }),
  ],
  // The agent's own rule: refunds always need a human.
  approvalRules: new ApprovalRules({ patterns: ['refund_*'] }),
});

const looper = new ZapAgent({
  name: 'Looper',
  prompt: `${LOOPER_PROMPT}.`,
  maxIterations: 1,
  tools: [tool({ name: 'noop', description: 'Does nothing', parameters: z.object({}), execute: () => 'nothing' })],
});

/**
 * The user's bundle preloads zap's workflow modules, as the README suggests for a bundle of one's
 * own: every order workflow on a worker thread shares them, and each still numbers its `runAgent`
 * calls from 1 (`<workflowId>.agent.1`), which the tests below check run after run.
 */
const USER_BUNDLER_OPTIONS = { preloadModules: [require.resolve('../../src/workflows/index')] };

/** The approvals of a task that wait for a decision. */
function pendingApprovals(task: Task): ApprovalLogEntry[] {
  return task.approvals.filter((approval) => approval.decision === undefined);
}

describe('runAgent in a workflow of the user', () => {
  const router = new AgentRouter();
  const ledger: OrderLedger = { entries: [] };
  let harness: Harness;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let plugin: ZapWorkerPlugin;
  /** Workflows whose closed histories the last test replays. */
  const closedWorkflows: string[] = [];

  beforeAll(async () => {
    harness = await startHarness({ agents: [support, looper], worker: false, llm: { handler: router.handler } });
    connection = await NativeConnection.connect({ address: temporalAddress() });
    // The user's own worker: their workflows module, their activities, and zap's through the plugin.
    worker = await Worker.create({
      connection,
      taskQueue: harness.taskQueue,
      workflowsPath: require.resolve('../fixtures/order-workflow/workflows'),
      bundlerOptions: USER_BUNDLER_OPTIONS,
      activities: createOrderActivities(ledger),
      plugins: [(plugin = await harness.zap.workerPlugin())],
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await harness?.stop();
    await connection?.close();
  });

  beforeEach(() => router.reset());

  function newOrder(overrides: Partial<OrderInput> = {}): OrderInput {
    return { orderId: `order-${randomBytes(4).toString('hex')}`, sku: 'mug', quantity: 2, customerEmail: 'ada@example.com', ...overrides };
  }

  function startOrder(input: OrderInput) {
    return harness.zap.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: `workflow-${input.orderId}`,
      args: [input],
    });
  }

  function probe(agentName: string, task: string) {
    return harness.zap.client.workflow.execute<typeof agentProbeWorkflow>('agentProbeWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: `probe-${randomBytes(4).toString('hex')}`,
      args: [agentName, task],
    });
  }

  function entriesOf(orderId: string): string[] {
    return ledger.entries.filter((entry) => entry.orderId === orderId).map((entry) => entry.kind);
  }

  test('the order workflow gets the typed output of its agent step and continues with it', async () => {
    const reply: CustomerReply = { subject: 'Your order is confirmed', body: 'Two mugs are on their way.' };
    router.enqueue(SUPPORT_PROMPT, scripted.json(reply));
    const order = newOrder();
    const handle = await startOrder(order);
    const result = await handle.result();

    const replyTaskId = `${handle.workflowId}.agent.1`;
    expect(result).toEqual({
      orderId: order.orderId,
      chargedCents: 2 * UNIT_PRICE_CENTS,
      replyTaskId,
      reply,
      replyIterations: 1,
      emailId: `email-${order.orderId}`,
    });
    // The workflow went on with the agent's output: its own activity emailed exactly that reply.
    expect(entriesOf(order.orderId)).toEqual(['reserved', 'charged', 'emailed']);
    expect(ledger.entries.find((entry) => entry.kind === 'emailed' && entry.orderId === order.orderId)).toMatchObject({ reply });

    // The agent step is an ordinary zap task: read by id, its context reached the prompt function.
    const task = await harness.zap.getTask(replyTaskId, { outputSchema: Reply });
    expect(task).toMatchObject({ status: TaskStatus.Completed, agentName: 'Support', output: reply, parentTaskId: handle.workflowId });
    expect(task.history[0]).toEqual({ role: 'system', content: `${SUPPORT_PROMPT} about order ${order.orderId}.` });
    expect(task.history[1]).toMatchObject({ role: 'user', content: expect.stringContaining(order.orderId) });
    closedWorkflows.push(handle.workflowId, replyTaskId);
  });

  test('an approval on the agent task is decided by id through zap.approve while the order workflow waits', async () => {
    const reply: CustomerReply = { subject: 'Sorry for the wait', body: 'Here is 10% off your next order.' };
    const order = newOrder({ approvalPatterns: ['offer_*'] });
    router.enqueue(
      SUPPORT_PROMPT,
      scripted.toolCalls([{ name: 'offer_discount', arguments: { orderId: order.orderId, percent: 10 } }]),
      scripted.json(reply),
    );
    const handle = await startOrder(order);
    const replyTaskId = `${handle.workflowId}.agent.1`;

    // The rule came from runAgent's approvalRules (the agent's own gate only refunds).
    const pending = await waitForTask(harness.zap, replyTaskId, (task) => pendingApprovals(task).length === 1);
    const approval = pendingApprovals(pending)[0]!;
    expect(approval.toolName).toBe('offer_discount');
    expect(pending.status).toBe(TaskStatus.AwaitingApproval);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(discounts).not.toContain(order.orderId);
    expect(entriesOf(order.orderId)).toEqual(['reserved', 'charged']);

    await harness.zap.approve(replyTaskId, approval.id, { approvedBy: 'ana' });
    const result = await handle.result();
    expect(result.reply).toEqual(reply);
    expect(result.replyIterations).toBe(2);
    expect(discounts).toContain(order.orderId);
    expect(entriesOf(order.orderId)).toEqual(['reserved', 'charged', 'emailed']);

    // Streaming works on the agent task by id, from its first event.
    const events: TaskEvent[] = [];
    for await (const event of harness.zap.streamTask({ taskId: replyTaskId, since: 0, includeTokens: false })) events.push(event);
    const types = events.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['approval_requested', 'approval_resolved', 'completed']));
    expect(events.find((event) => event.type === 'approval_resolved')).toMatchObject({ approvalId: approval.id, decision: 'approved', decidedBy: 'ana' });
    closedWorkflows.push(handle.workflowId, replyTaskId);
  });

  test('cancelling the order workflow mid-agent cancels the agent task, and the workflow reports the cancellation', async () => {
    const order = newOrder();
    // The agent asks for a refund, which its own rules gate: the task waits for a human.
    router.enqueue(SUPPORT_PROMPT, scripted.toolCalls([{ name: 'refund_order', arguments: { orderId: order.orderId } }]));
    const handle = await startOrder(order);
    const replyTaskId = `${handle.workflowId}.agent.1`;
    await waitForTask(harness.zap, replyTaskId, (task) => pendingApprovals(task).some((request) => request.toolName === 'refund_order'));

    await handle.cancel();
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    const task = await waitForTask(harness.zap, replyTaskId, (current) => current.status === TaskStatus.Cancelled);
    expect(task.cancelReason).toBe(`The workflow that started it (${handle.workflowId}) was cancelled`);
    expect((await harness.zap.client.workflow.getHandle(replyTaskId).describe()).status.name).toBe('CANCELLED');
    // The gated refund never ran; the workflow's own compensation did.
    expect(refunds).not.toContain(order.orderId);
    expect(entriesOf(order.orderId)).toEqual(['reserved', 'charged', 'released']);
    closedWorkflows.push(handle.workflowId, replyTaskId);
  });

  test('failures reach the workflow typed: an unknown agent, a failed agent task, bad options', async () => {
    const unknown = await probe('Nobody', 'Hello');
    expect(unknown).toMatchObject({ outcome: 'failed', failureType: 'AGENT_NOT_FOUND', nonRetryable: true });
    expect(unknown.outcome === 'failed' && unknown.message).toContain("Agent 'Nobody' is not registered on this worker");

    router.enqueue(LOOPER_PROMPT, scripted.toolCalls([{ name: 'noop', arguments: {} }]));
    const failed = await probe('Looper', 'Loop once more');
    expect(failed).toMatchObject({ outcome: 'child-failed', failureType: 'MAX_ITERATIONS_EXCEEDED' });
    if (failed.outcome !== 'child-failed') throw new Error('expected a child failure');
    expect((await harness.zap.getTask(failed.taskId)).status).toBe(TaskStatus.Failed);

    const invalid = await probe('Support', '   ');
    expect(invalid).toMatchObject({ outcome: 'failed', failureType: 'ZAP_VALIDATION', nonRetryable: true, message: 'runAgent: `task` is empty.' });
  });

  test('the unknown agent starts no task', async () => {
    const workflowId = `probe-${randomBytes(4).toString('hex')}`;
    await harness.zap.client.workflow.execute<typeof agentProbeWorkflow>('agentProbeWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId,
      args: ['Nobody', 'Hello'],
    });
    await expect(harness.zap.client.workflow.getHandle(`${workflowId}.agent.1`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  test('runAgent numbers its calls per run, with two runs interleaved on one worker thread', async () => {
    for (const index of [1, 2, 3, 4]) router.enqueue(SUPPORT_PROMPT, scripted.json({ subject: 'Hi', body: `Reply ${index}` }));
    const workflowIds = ['a', 'b'].map((name) => `steps-${name}-${randomBytes(4).toString('hex')}`);
    // Both runs share the worker's one workflow thread, and with it zap's preloaded modules.
    const taskIds = await Promise.all(
      workflowIds.map((workflowId) =>
        harness.zap.client.workflow.execute<typeof twoAgentStepsWorkflow>('twoAgentStepsWorkflow', {
          taskQueue: harness.taskQueue,
          workflowId,
          args: ['Support', 'Draft a short reply.'],
        }),
      ),
    );
    expect(taskIds).toEqual(workflowIds.map((workflowId) => [`${workflowId}.agent.1`, `${workflowId}.agent.2`]));
  });

  test('the one worker built with the plugin runs the user\'s workflows and zap\'s own', async () => {
    // zap's agent workflow, started by the Zap's client, served by the user's worker.
    router.enqueue(SUPPORT_PROMPT, scripted.json({ subject: 'Hi', body: 'Direct task' }));
    const direct = await harness.zap.executeTask({ agentName: 'Support', task: 'Say hi', context: { orderId: 'direct' } });
    const done = await waitForTask(harness.zap, direct.id, (task) => task.status === TaskStatus.Completed);
    expect(done.output).toEqual({ subject: 'Hi', body: 'Direct task' });

    // The plugin published the agents' tools to the worker's task queue.
    expect(await harness.zap.getAgentTools('Support')).toEqual(expect.arrayContaining(['refund_order', 'offer_discount']));

    // The user's workflow and its agent task ran on the same task queue, polled only by this worker.
    router.enqueue(SUPPORT_PROMPT, scripted.json({ subject: 'Confirmed', body: 'On its way.' }));
    const handle = await startOrder(newOrder());
    const result = await handle.result();
    const child = await harness.zap.client.workflow.getHandle(result.replyTaskId).describe();
    expect(child.taskQueue).toBe(harness.taskQueue);
    expect(child.type).toBe('agentWorkflow');

    // Listed under the order workflow (visibility is eventually consistent).
    const deadline = Date.now() + 20_000;
    let listed: string[] = [];
    while (Date.now() < deadline) {
      listed = (await harness.zap.listTasks({ parentTaskId: handle.workflowId })).tasks.map((task) => task.taskId);
      if (listed.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed).toEqual([result.replyTaskId]);
  });

  test('the order workflows and their agent tasks replay from their histories without nondeterminism', async () => {
    expect(closedWorkflows).toHaveLength(6);
    const histories = await Promise.all(
      closedWorkflows.map(async (workflowId) => ({ workflowId, history: await harness.zap.client.workflow.getHandle(workflowId).fetchHistory() })),
    );
    // A replay worker of the same workflows module, built with the same plugin.
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: require.resolve('../fixtures/order-workflow/workflows'), bundlerOptions: USER_BUNDLER_OPTIONS, plugins: [plugin] },
      histories,
    )) {
      results.push({ workflowId: result.workflowId, error: result.error?.message });
    }
    expect(results).toEqual(closedWorkflows.map((workflowId) => ({ workflowId, error: undefined })));
  });
});

describe('zap.workerPlugin', () => {
  function isProcessAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  test('the MCP servers the plugin connected stop when its worker stops', async () => {
    const harness = await startHarness({
      agents: [new ZapAgent({ name: 'Tools', prompt: 'Use tools.', mcpClients: [stdioServerConfig('tools')] })],
      worker: false,
    });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    try {
      // No workflows of the user here: the plugin gives the worker zap's workflow code (the prebuilt bundle in tests).
      const worker = await Worker.create({
        connection,
        taskQueue: harness.taskQueue,
        ...testWorkerOptions().worker,
        plugins: [await harness.zap.workerPlugin()],
      });
      const running = worker.run();
      harness.llm.enqueue(scripted.toolCalls([{ name: 'get_pid', arguments: {} }]), scripted.text('done'));
      const started = await harness.zap.executeTask({ agentName: 'Tools', task: 'Which process serves your tools?' });
      const task = await waitForTask(harness.zap, started.id, (current) => current.status === TaskStatus.Completed);
      const pid = Number(task.getToolCalls()[0]?.result);
      expect(pid).toBeGreaterThan(0);
      expect(isProcessAlive(pid)).toBe(true);

      worker.shutdown();
      await running;
      const deadline = Date.now() + 10_000;
      while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(isProcessAlive(pid)).toBe(false);
    } finally {
      await harness.stop();
      await connection.close();
    }
  });
});
