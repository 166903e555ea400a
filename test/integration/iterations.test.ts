import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../support/harness';

const lookup = tool({
  name: 'lookup',
  description: 'Looks up a key',
  parameters: z.object({ key: z.string() }),
  idempotent: true,
  execute: ({ key }) => `value-of-${key}`,
});
const counter = new ZapAgent({ name: 'Counter', prompt: 'You count.', model: 'scripted-model', tools: [lookup], maxIterations: 2 });

describe('iterations per request', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [counter] });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('a follow-up that arrives during the answering model call gets the full maxIterations', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ name: 'lookup', arguments: { key: 'a' } }]),
      scripted.text('first answer', { delayMs: 1_500 }),
      scripted.toolCalls([{ name: 'lookup', arguments: { key: 'b' } }]),
      scripted.text('second answer'),
    );
    const task = await harness.zap.executeTask({ agentName: 'Counter', task: 'Look up a' });
    await harness.llm.waitForRequests(2);
    // The second model call (iteration 2 of 2) is answering: the follow-up arrives now.
    await harness.zap.executeTask({ followUpOnTask: task.id, task: 'Now look up b' });
    const done = await waitForTask(harness.zap, task.id, (t) => t.result === 'second answer' || t.status === 'failed');
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    expect(harness.llm.requests).toHaveLength(4);
  });
});
