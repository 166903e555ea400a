/**
 * zap's heartbeat throttling on real workers: `zap.createWorker()` and `zap.workerPlugin()` send
 * heartbeats at least every half of the agents' shortest heartbeat timeout (at most 2 s) unless the
 * worker options set `maxHeartbeatThrottleInterval`; the user's value wins.
 */
import type { Worker } from '@temporalio/worker';
import { ZapAgent } from '../../src';
import { startHarness, testWorkerOptions, type Harness } from '../support/harness';

jest.setTimeout(60_000);

const assistant = new ZapAgent({ name: 'Assistant', prompt: 'You are a test assistant.' });
const quickTools = new ZapAgent({ name: 'QuickTools', prompt: 'You are a test assistant.', timeouts: { toolHeartbeat: '1 second' } });

/** Runs the worker and stops it again (a worker that never ran keeps its connection referenced). */
async function runAndStop(worker: Worker): Promise<void> {
  const running = worker.run();
  worker.shutdown();
  await running;
}

describe('heartbeat throttling of zap workers', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [assistant, quickTools], worker: false });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test("zap.createWorker() throttles to half the shortest heartbeat timeout; the user's value wins", async () => {
    const { workflowBundle } = testWorkerOptions().worker;
    const defaulted = await harness.zap.createWorker({ worker: { workflowBundle } });
    await runAndStop(defaulted);
    // QuickTools' local tools heartbeat within 1 s: the worker sends a heartbeat at least every 500 ms.
    expect(defaulted.options.maxHeartbeatThrottleIntervalMs).toBe(500);

    const explicit = await harness.zap.createWorker({ worker: { workflowBundle, maxHeartbeatThrottleInterval: '45 seconds' } });
    await runAndStop(explicit);
    expect(explicit.options.maxHeartbeatThrottleIntervalMs).toBe(45_000);
  });

  test("zap.workerPlugin() gives a worker of yours the same default, and your value wins there", async () => {
    const plugin = await harness.zap.workerPlugin();
    try {
      const { workflowBundle } = testWorkerOptions().worker;
      expect(plugin.configureWorker({ taskQueue: harness.taskQueue, workflowBundle }).maxHeartbeatThrottleInterval).toBe(500);
      expect(plugin.configureWorker({ taskQueue: harness.taskQueue, workflowBundle, maxHeartbeatThrottleInterval: 9_000 }).maxHeartbeatThrottleInterval).toBe(9_000);
    } finally {
      await plugin.close();
    }
  });
});
