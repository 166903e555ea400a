import { temporal } from '@temporalio/proto';
import { Zap, ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, temporalAddress, testWorkerOptions, waitForCompletion, type Harness } from '../support/harness';

type History = temporal.api.history.v1.IHistory;

/** What the first workflow task of a task's history says about how it started. */
async function firstWorkflowTask(zap: Zap<any>, taskId: string): Promise<{ eagerAccepted: boolean; events: string[] }> {
  const history: History = await zap.client.workflow.getHandle(taskId).fetchHistory();
  const events = history.events ?? [];
  return {
    eagerAccepted: events[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted === true,
    events: events.slice(0, 4).map((event) => temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)),
  };
}

describe('eager workflow start', () => {
  let harness: Harness;
  const agent = new ZapAgent({ name: 'Eager', prompt: 'Answer.' });

  beforeAll(async () => {
    harness = await startHarness({ agents: [agent] });
  });
  afterAll(() => harness.stop());

  test('a Zap running its own worker starts tasks eagerly, and they complete', async () => {
    harness.llm.enqueue(scripted.text('Hello eagerly'));
    const { id } = await harness.zap.executeTask({ agentName: 'Eager', task: 'Hi' });
    const task = await waitForCompletion(harness.zap, id);

    expect(task.result).toBe('Hello eagerly');
    const first = await firstWorkflowTask(harness.zap, id);
    expect(first.eagerAccepted).toBe(true);
    // The first workflow task was handed over in the start response, so it is started in history at once.
    expect(first.events).toEqual([
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
    ]);
  });

  test('the same taskId twice is still one task (USE_EXISTING with eager start)', async () => {
    harness.llm.enqueue(scripted.text('Once'));
    const requestsBefore = harness.llm.requests.length;
    const taskId = `eager-idempotent-${Date.now()}`;
    const [first, second] = await Promise.all([
      harness.zap.executeTask({ agentName: 'Eager', task: 'Hi', taskId }),
      harness.zap.executeTask({ agentName: 'Eager', task: 'Hi', taskId }),
    ]);
    expect(first.id).toBe(taskId);
    expect(second.id).toBe(taskId);
    const task = await waitForCompletion(harness.zap, taskId);
    expect(task.result).toBe('Once');
    // One workflow, so one model call.
    expect(harness.llm.requests.length - requestsBefore).toBe(1);
  });

  test('a Zap without a worker of its own, and one with eagerStart: false, start through the task queue', async () => {
    const llm = { baseURL: harness.llm.baseURL, apiKey: 'test-key' };
    const clientOnly = new Zap({ agents: [agent], taskQueue: harness.taskQueue, temporal: { address: temporalAddress() } });
    const optedOut = new Zap({ agents: [agent], taskQueue: harness.taskQueue, temporal: { address: temporalAddress() }, llm, eagerStart: false });
    await clientOnly.start();
    const optedOutWorker = await optedOut.createWorker(testWorkerOptions());
    const running = optedOutWorker.run();
    try {
      harness.llm.enqueue(scripted.text('Via the queue'), scripted.text('Via the queue'));
      const started = await Promise.all([
        clientOnly.executeTask({ agentName: 'Eager', task: 'Hi' }),
        optedOut.executeTask({ agentName: 'Eager', task: 'Hi' }),
      ]);
      for (const { id } of started) {
        // Run by one of the two workers, which polled it from the task queue.
        expect((await waitForCompletion(harness.zap, id)).result).toBe('Via the queue');
        expect((await firstWorkflowTask(harness.zap, id)).eagerAccepted).toBe(false);
      }
    } finally {
      await Promise.all([clientOnly.stop(), optedOut.stop()]);
      await running;
    }
  });
});
