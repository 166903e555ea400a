import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Zap, ZapAgent, ZapValidationError } from '../../src';
import { decideApproval } from '../../src/client/task-approvals';
import type { TaskEvent } from '../../src/core/events';
import { AGENT_WORKFLOW_TYPE } from '../../src/workflows/definitions';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForTask, type Harness } from '../support/harness';

/**
 * The smaller failure-semantics defects: a Temporal failure other than cancellation (here a
 * sub-task id that is already taken) fails the task explicitly; a configuration error raised in
 * an activity (the worker does not know the task's agent) is not retried; a malformed approval
 * decision is a typed error.
 */
describe('failure semantics', () => {
  let harness: Harness;
  const router = new AgentRouter();

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Lead', prompt: 'Lead.', model: 'scripted-model', subAgents: ['Helper'] }),
        new ZapAgent({ name: 'Helper', prompt: 'Helper.', model: 'scripted-model' }),
      ],
    });
    harness.llm.setHandler(router.handler);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  async function eventsOf(taskId: string): Promise<TaskEvent[]> {
    const events: TaskEvent[] = [];
    for await (const event of harness.zap.streamTask({ taskId, since: 0, untilClosed: true, includeTokens: false })) events.push(event);
    return events;
  }

  test('a sub-task id already taken fails the task explicitly: failed, an error event, a Temporal failure', async () => {
    const taskId = `collision-${Date.now()}`;
    // Someone else holds the id the first sub-task would get (on a queue no worker polls, so it stays running).
    const squatter = await harness.zap.client.workflow.start(AGENT_WORKFLOW_TYPE, {
      taskQueue: uniqueTaskQueue(),
      workflowId: `${taskId}.Helper.1`,
      args: [{}],
    });
    try {
      router.enqueue('Lead.', scripted.toolCalls([{ id: 'call_ask', name: 'message_agent', arguments: { agent_name: 'Helper', message: 'help' } }]));
      await harness.zap.executeTask({ agentName: 'Lead', task: 'Delegate', taskId });
      const failed = await waitForTask(harness.zap, taskId, (task) => task.status === 'failed' || task.status === 'completed', 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/already (started|exists|running)/i);

      const failure = await harness.zap.client.workflow.getHandle(taskId).result().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((await eventsOf(taskId)).at(-1)).toMatchObject({ type: 'error' });
    } finally {
      await squatter.terminate('test over');
    }
  });

  test('a configuration error in an activity is not retried: a worker without the agent fails the task at once', async () => {
    const taskQueue = uniqueTaskQueue();
    // The client knows agent 'Ghost'; the worker of this queue does not.
    const client = new Zap({ agents: [new ZapAgent({ name: 'Ghost', prompt: 'Ghost.', model: 'scripted-model' })], taskQueue, temporal: { address: temporalAddress() } });
    const workerZap = new Zap({
      agents: [new ZapAgent({ name: 'Other', prompt: 'Other.', model: 'scripted-model' })],
      taskQueue,
      temporal: { address: temporalAddress() },
      llm: { baseURL: harness.llm.baseURL, apiKey: 'test-key' },
    });
    await client.start();
    const worker = await workerZap.createWorker(testWorkerOptions());
    const running = worker.run();
    try {
      const before = harness.llm.requestCount();
      const started = await client.executeTask({ agentName: 'Ghost', task: 'Boo' });
      const failed = await waitForTask(client, started.id, (task) => task.status === 'failed', 30_000);
      expect(failed.error).toMatch(/Agent 'Ghost' is not registered on this worker/);
      expect(harness.llm.requestCount()).toBe(before);

      const history = await client.client.workflow.getHandle(started.id).fetchHistory();
      const attempts = (history.events ?? []).flatMap((event) => (event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt] : []));
      expect(attempts).toEqual([1]);
      const cause = ((await client.client.workflow.getHandle(started.id).result().catch((error: unknown) => error)) as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
    } finally {
      worker.shutdown();
      await running;
      await workerZap.stop();
      await client.stop();
    }
  });

  test('a malformed approval decision is a typed validation error, and nothing is recorded', async () => {
    router.enqueue('Helper.', scripted.text('Ready.'));
    const started = await harness.zap.executeTask({ agentName: 'Helper', task: 'Stand by' });
    await waitForTask(harness.zap, started.id, (task) => task.status === 'completed');
    const error = await decideApproval(harness.zap.client, started.id, { approvalId: 'a-1', approved: 'yes' as unknown as boolean }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ZapValidationError);
    expect((error as Error).message).toBe(`Invalid decision for approval 'a-1' of task '${started.id}': A decision needs approvalId and approved.`);
    const history = await harness.zap.client.workflow.getHandle(started.id).fetchHistory();
    expect((history.events ?? []).some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  });
});
