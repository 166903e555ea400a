/**
 * The worker's sticky cache: zap's default `maxCachedWorkflows` (for `zap.createWorker()` and
 * `zap.workerPlugin()`), the user's value winning, and an idle task evicted from a small cache
 * answering a follow-up with its whole conversation (its run is replayed from history), against
 * the real dev server.
 */
import type { Worker } from '@temporalio/worker';
import { ZapAgent } from '../../src';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../src/core/defaults';
import { scripted } from '../../src/testing/scripted-llm-server';
import { defaultMaxCachedWorkflows } from '../../src/worker/sticky-cache';
import { startHarness, testWorkerOptions, waitForCompletion, waitForTask, type Harness } from '../support/harness';

jest.setTimeout(60_000);

const assistant = new ZapAgent({ name: 'Assistant', prompt: 'You are a test assistant.' });

/** Runs the worker and stops it again (a worker that never ran keeps its connection referenced). */
async function runAndStop(worker: Worker): Promise<void> {
  const running = worker.run();
  worker.shutdown();
  await running;
}

describe('sticky cache size', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [assistant], worker: false });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('zap.createWorker() caches DEFAULT_MAX_CACHED_WORKFLOWS runs unless the heap is too small for them', async () => {
    const worker = await harness.zap.createWorker(testWorkerOptions());
    await runAndStop(worker);
    expect(worker.options.maxCachedWorkflows).toBe(defaultMaxCachedWorkflows({}));
    // Jest's heap (4 GB here) has room for the whole default; a heap of under ~1.9 GB would not.
    expect(defaultMaxCachedWorkflows({})).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
  });

  test("the user's maxCachedWorkflows wins, and a larger workflow-task concurrency raises the default", async () => {
    const { workflowBundle } = testWorkerOptions().worker;
    const explicit = await harness.zap.createWorker({ worker: { workflowBundle, maxCachedWorkflows: 7 } });
    await runAndStop(explicit);
    expect(explicit.options.maxCachedWorkflows).toBe(7);

    const concurrent = await harness.zap.createWorker({ worker: { workflowBundle, maxConcurrentWorkflowTaskExecutions: DEFAULT_MAX_CACHED_WORKFLOWS + 5 } });
    await runAndStop(concurrent);
    expect(concurrent.options.maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS + 5);
  });

  test("zap.workerPlugin() gives a worker of yours the default too, and your value wins there", async () => {
    const plugin = await harness.zap.workerPlugin();
    try {
      const { workflowBundle } = testWorkerOptions().worker;
      expect(plugin.configureWorker({ taskQueue: harness.taskQueue, workflowBundle }).maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
      expect(plugin.configureWorker({ taskQueue: harness.taskQueue, workflowBundle, maxCachedWorkflows: 12 }).maxCachedWorkflows).toBe(12);
    } finally {
      await plugin.close();
    }
  });
});

describe('an idle task evicted from the sticky cache', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    harness = await startHarness({ agents: [assistant], worker: false });
    const { workflowBundle } = testWorkerOptions().worker;
    worker = await harness.zap.createWorker({ worker: { workflowBundle, maxCachedWorkflows: 2, maxConcurrentWorkflowTaskExecutions: 2 } });
    running = worker.run();
  });

  afterAll(async () => {
    await harness?.stop();
    await running;
  });

  test('answers a follow-up with its whole conversation', async () => {
    harness.llm.enqueue(scripted.text('First answer'));
    const first = await harness.zap.executeTask({ agentName: 'Assistant', task: 'First question' });
    await waitForCompletion(harness.zap, first.id);
    // Two more idle tasks fill the cache of two runs; the first task's run is the oldest.
    for (const name of ['second', 'third']) {
      harness.llm.enqueue(scripted.text(`Answer to ${name}`));
      const other = await harness.zap.executeTask({ agentName: 'Assistant', task: `The ${name} task` });
      await waitForCompletion(harness.zap, other.id);
    }
    expect(worker.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);

    harness.llm.enqueue(scripted.text('Second answer'));
    await harness.zap.executeTask({ followUpOnTask: first.id, task: 'Second question' });
    const task = await waitForTask(harness.zap, first.id, (current) => current.result === 'Second answer');
    expect(task.status).toBe('completed');
    expect(task.history.map((message) => [message.role, message.content])).toEqual([
      ['system', 'You are a test assistant.'],
      ['user', 'First question'],
      ['assistant', 'First answer'],
      ['user', 'Second question'],
      ['assistant', 'Second answer'],
    ]);
    // The model saw the conversation the replayed run rebuilt.
    const lastRequest = harness.llm.requests.at(-1)?.body.messages.map((message: { role: string; content: unknown }) => [message.role, message.content]);
    expect(lastRequest).toEqual([
      ['system', 'You are a test assistant.'],
      ['user', 'First question'],
      ['assistant', 'First answer'],
      ['user', 'Second question'],
    ]);
  });
});
