import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * Cancellation right at a continue-as-new boundary: tasks that call a tool forever continue as
 * new every 20 history events, and each is cancelled at a different point around its first
 * boundary (a few events before it, at it, just after the new run started). Every one ends
 * `cancelled` with its reason, in its latest run, and so no run is left running.
 */
describe('cancellation at a continue-as-new boundary', () => {
  let harness: Harness;

  const ping = tool({
    name: 'ping',
    description: 'Answers pong',
    parameters: z.object({}),
    idempotent: true,
    execute: () => 'pong',
  });

  beforeAll(async () => {
    harness = await startHarness({
      // It repeats one call on purpose: no stuck detection.
      agents: [new ZapAgent({ name: 'Looper', prompt: 'Loop.', model: 'scripted-model', tools: [ping], maxIterations: 500, stuck: false })],
      zap: { continueAsNewAfterEvents: 20 },
    });
    // Every model call asks for one more ping: the tasks never finish on their own.
    harness.llm.setHandler(() => scripted.toolCalls([{ name: 'ping', arguments: {} }]));
  });

  afterAll(async () => {
    await harness?.stop();
  });

  /** Polls the task's latest run until `ready` says it is time to cancel. */
  async function waitForPoint(taskId: string, ready: (state: { historyLength: number; runs: number }) => boolean): Promise<void> {
    const handle = harness.zap.client.workflow.getHandle(taskId);
    const firstRunId = (await handle.describe()).runId;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const description = await handle.describe();
      const state = { historyLength: description.historyLength, runs: description.runId === firstRunId ? 1 : 2 };
      if (ready(state)) return;
      if (Date.now() > deadline) throw new Error(`Task ${taskId} never reached the cancel point (${JSON.stringify(state)}).`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const points: Array<[string, (state: { historyLength: number; runs: number }) => boolean]> = [
    ['a few events before the boundary', (state) => state.runs > 1 || state.historyLength >= 14],
    ['just before the boundary', (state) => state.runs > 1 || state.historyLength >= 18],
    ['at the boundary', (state) => state.runs > 1 || state.historyLength >= 20],
    ['just after the new run started', (state) => state.runs > 1],
  ];

  test.each(points)('cancelled %s, the task ends cancelled in its latest run', async (label, ready) => {
    const started = await harness.zap.executeTask({ agentName: 'Looper', task: `Ping forever (${label}).` });
    await waitForPoint(started.id, ready);
    await harness.zap.cancelTask(started.id, `stop: ${label}`);

    const cancelled = await waitForTask(harness.zap, started.id, (task) => task.status === 'cancelled' || task.status === 'failed', 60_000);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelReason).toBe(`stop: ${label}`);
    expect(cancelled.error).toBeUndefined();

    // Only the latest run of a workflow id can be running: it is the one cancelled.
    const latest = await harness.zap.client.workflow.getHandle(started.id).describe();
    expect(latest.status.name).toBe('CANCELLED');
  });
});
