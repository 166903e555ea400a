import { z } from 'zod';
import type { Worker } from '@temporalio/worker';
import { ZapAgent, tool } from '../../../src';
import { scripted, type ScriptedRequest } from '../../../src/testing/scripted-llm-server';
import { lastMessage } from '../../support/agent-router';
import { startHarness, testWorkerOptions, waitForTask, type Harness } from '../../support/harness';

let runs = 0;
let started: (() => void) | undefined;

/** A payment that stops when its activity is cancelled: it may or may not have gone through. */
const pay = tool({
  name: 'pay',
  description: 'Sends a payment (not idempotent)',
  parameters: z.object({ amount: z.number() }),
  execute: async (_args, { signal }) => {
    runs += 1;
    started?.();
    await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted mid-payment'))));
    return 'paid';
  },
});
const cashier = new ZapAgent({ name: 'Cashier', prompt: 'You pay.', model: 'scripted-model', tools: [pay], timeouts: { heartbeat: '2 seconds' } });

describe('worker shutdown during a tool call', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [cashier], worker: false });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('a non-idempotent local tool interrupted by a worker shutdown is never re-run; the model is told its outcome is unknown', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ name: 'pay', arguments: { amount: 10 } }]), scripted.text('noted'));
    const first: Worker = await harness.zap.createWorker({ worker: { ...testWorkerOptions().worker, shutdownGraceTime: '500 ms' } });
    const firstRun = first.run();
    const toolStarted = new Promise<void>((resolve) => (started = resolve));
    const task = await harness.zap.executeTask({ agentName: 'Cashier', task: 'Pay 10' });
    await toolStarted;
    first.shutdown();
    await firstRun;

    const second = await harness.zap.createWorker(testWorkerOptions());
    const secondRun = second.run();
    try {
      const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed' || t.status === 'failed', 45_000);
      expect(done.result).toBe('noted');
      const told = lastMessage(harness.llm.requests[1] as ScriptedRequest).content;
      expect(told).toMatch(/^\[Tool call outcome unknown: .*interrupted before it finished/);
      expect(runs).toBe(1);
    } finally {
      second.shutdown();
      await secondRun;
    }
  }, 60_000);
});
