import { resolve } from 'node:path';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import { createRemoteZap } from '../fixtures/worker-zap';
import { temporalAddress, uniqueTaskQueue, waitForCompletion } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

describe('a worker in a separate process', () => {
  let llm: ScriptedLlmServer;
  let worker: WorkerProcess | undefined;
  const taskQueue = uniqueTaskQueue('remote');
  const client = createRemoteZap(taskQueue, temporalAddress());

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start();
    await client.start();
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await client.stop();
    await llm.close();
  });

  test('runs tasks started by a client process, and drains on SIGTERM', async () => {
    worker = await spawnWorker(resolve(__dirname, '../fixtures/worker-zap.ts'), {
      ZAP_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporalAddress(),
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'worker-side-key',
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
    });
    llm.enqueue(scripted.toolCalls([{ id: 'call_pid', name: 'whoami', arguments: {} }]), scripted.text('Done remotely'));

    const started = await client.executeTask({ agentName: 'Remote', task: 'Where do you run?' });
    const task = await waitForCompletion(client, started.id);

    expect(task.result).toBe('Done remotely');
    const toolResult = task.getToolCalls()[0]?.result;
    expect(toolResult).toBe(`pid ${worker.child.pid}`);
    expect(toolResult).not.toBe(`pid ${process.pid}`);
    // The worker's own key was used; the client never had one.
    expect(llm.requests[0]?.headers.authorization).toBe('Bearer worker-side-key');

    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.output()).toContain('[zap-worker] stopped');
  });
});
