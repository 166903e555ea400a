import { NoWorkerError, Zap, ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForTask } from '../support/harness';

const helper = new ZapAgent({ name: 'Helper', prompt: 'You help.', model: 'scripted-model' });

describe('no worker on the task queue', () => {
  test('getTask and streamTask fail fast with NoWorkerError naming the namespace and task queue; executeTask warns', async () => {
    const warnings: string[] = [];
    const harness = await startHarness({ agents: [helper], worker: false, zap: { logger: { warn: (message) => warnings.push(message) } } });
    try {
      const task = await harness.zap.executeTask({ agentName: 'Helper', task: 'Anyone there?' });
      expect(task.status).toBe('pending');
      expect(warnings.join('\n')).toMatch(new RegExp(`no worker polls task queue '${harness.taskQueue}'`));

      const error = await harness.zap.getTask(task.id).catch((caught: unknown) => caught);
      expect(NoWorkerError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ namespace: 'default', taskQueue: harness.taskQueue });
      // The slow path (the query's own 30-second timeout) ends in a raw ServiceError, never this.

      const streamed = (async () => {
        for await (const event of harness.zap.streamTask({ taskId: task.id, includeTokens: false })) void event;
      })();
      await expect(streamed).rejects.toBeInstanceOf(NoWorkerError);
      await harness.zap.client.workflow.getHandle(task.id).terminate('test over');
    } finally {
      await harness.stop();
    }
  }, 60_000);

  test("whenNoWorker: 'refuse' starts nothing", async () => {
    const harness = await startHarness({ agents: [helper], worker: false, zap: { whenNoWorker: 'refuse' } });
    try {
      await expect(harness.zap.executeTask({ agentName: 'Helper', task: 'Start?', taskId: 'refused-task-1' })).rejects.toBeInstanceOf(NoWorkerError);
      await expect(harness.zap.client.workflow.getHandle('refused-task-1').describe()).rejects.toThrow(/not found/i);
    } finally {
      await harness.stop();
    }
  }, 60_000);

  test('a worker on another task queue is no worker for this one', async () => {
    const taskQueue = uniqueTaskQueue('elsewhere');
    const elsewhere = new Zap({ agents: [helper], taskQueue, temporal: { address: temporalAddress() }, llm: { baseURL: 'http://127.0.0.1:9', apiKey: 'x' } });
    const worker = await elsewhere.createWorker(testWorkerOptions());
    const running = worker.run();
    const harness = await startHarness({ agents: [helper], worker: false, zap: { logger: { warn() {} } } });
    try {
      const task = await harness.zap.executeTask({ agentName: 'Helper', task: 'Wrong queue' });
      await expect(harness.zap.getTask(task.id)).rejects.toBeInstanceOf(NoWorkerError);
      await harness.zap.client.workflow.getHandle(task.id).terminate('test over');
    } finally {
      await harness.stop();
      await elsewhere.stop();
      await running;
    }
  }, 60_000);

  test('a closed task is readable with no worker, from its workflow result', async () => {
    const harness = await startHarness({ agents: [helper], zap: { idleTimeout: '1 second' } });
    harness.llm.enqueue(scripted.text('All done.', { usage: { promptTokens: 7, completionTokens: 3 } }));
    const task = await harness.zap.executeTask({ agentName: 'Helper', task: 'Finish' });
    await waitForTask(harness.zap, task.id, (t) => t.status === 'completed');
    await harness.zap.client.workflow.getHandle(task.id).result();
    harness.worker.shutdown();
    // The worker's polls linger in Temporal's task-queue description for a while; this Zap asks a
    // fresh one and must not wait on a worker that has gone.
    const reader = new Zap({
      agents: [helper],
      taskQueue: harness.taskQueue,
      temporal: { address: temporalAddress() },
      noWorkerTimeout: '1 second',
    });
    await reader.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const closed = await reader.getTask(task.id);
      expect(closed).toMatchObject({ status: 'completed', result: 'All done.', agentName: 'Helper', usage: { promptTokens: 7, completionTokens: 3 } });
    } finally {
      await reader.stop();
      await harness.stop();
    }
  }, 60_000);
});
