import { ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../support/harness';

const thinker = new ZapAgent({
  name: 'Thinker',
  prompt: 'You think slowly.',
  model: 'scripted-model',
  // Heartbeats carry the cancellation to the model call quickly.
  timeouts: { heartbeat: '2 seconds' },
});

describe('cancellation', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [thinker] });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('cancelling during a model call ends the task cancelled, with its reason, and the call is not retried', async () => {
    harness.llm.enqueue(scripted.text('too late', { delayMs: 8_000 }));
    const task = await harness.zap.executeTask({ agentName: 'Thinker', task: 'Think slowly' });
    await harness.llm.waitForRequests(1);
    await harness.zap.cancelTask(task.id, 'taking too long');

    const cancelled = await waitForTask(harness.zap, task.id, (t) => t.status === 'cancelled' || t.status === 'failed');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelReason).toBe('taking too long');
    expect(cancelled.error).toBeUndefined();
    const description = await harness.zap.client.workflow.getHandle(task.id).describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(harness.llm.requests).toHaveLength(1);
  });
});
