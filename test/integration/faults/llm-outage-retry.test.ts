import { z } from 'zod';
import { ZapAgent, ZapValidationError, tool } from '../../../src';
import { scripted, type ScriptedRequest } from '../../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../../support/harness';

let providerDown = false;
const patient = new ZapAgent({
  name: 'Patient',
  prompt: 'You wait.',
  model: 'scripted-model',
  // No maximumAttempts: the default has no attempt limit.
  retry: { llm: { initialInterval: '50 ms', maximumInterval: '100 ms' } },
});
const bounded = new ZapAgent({
  name: 'Bounded',
  prompt: 'You give up.',
  model: 'scripted-model',
  retry: { llm: { initialInterval: '100 ms', maximumInterval: '200 ms' } },
  timeouts: { llmDeadline: '2 seconds' },
});
const lookup = tool({ name: 'lookup', description: 'Looks up', parameters: z.object({}), idempotent: true, execute: () => 'looked up' });
const looper = new ZapAgent({ name: 'Looper', prompt: 'You loop.', model: 'scripted-model', tools: [lookup], maxIterations: 1 });

const messagesOf = (request: ScriptedRequest) => request.body.messages as Array<{ role: string; content: unknown }>;

describe('model outages are waited out; failed tasks can be taken up again', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [patient, bounded, looper],
      llm: {
        handler: (request) => {
          const system = String(messagesOf(request)[0]?.content);
          // The script queue answers first; this is only asked when it is empty.
          if (system === 'You give up.' && providerDown) return scripted.error(503, 'provider down');
          return scripted.error(500, `unexpected request for: ${system}`);
        },
      },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    harness.llm.reset();
    providerDown = false;
  });

  test('an outage longer than ten attempts is waited out by default', async () => {
    harness.llm.enqueue(...Array.from({ length: 12 }, () => scripted.error(503, 'overloaded')), scripted.text('back online'));
    const task = await harness.zap.executeTask({ agentName: 'Patient', task: 'Wait for it' });
    const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed' || t.status === 'failed', 45_000);
    expect(done.status).toBe('completed');
    expect(done.result).toBe('back online');
    expect(harness.llm.requests).toHaveLength(13);
  }, 60_000);

  test('past timeouts.llmDeadline the task fails; retryTask takes it up with its conversation', async () => {
    providerDown = true;
    const task = await harness.zap.executeTask({ agentName: 'Bounded', task: 'Remember the number 42' });
    const failed = await waitForTask(harness.zap, task.id, (t) => t.status === 'failed' || t.status === 'completed', 30_000);
    expect(failed.status).toBe('failed');
    await expect(harness.zap.retryTask('no-such-task')).rejects.toThrow();

    providerDown = false;
    harness.llm.enqueue(scripted.text('The number was 42.'));
    const before = harness.llm.requests.length;
    await harness.zap.retryTask(task.id);
    const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed', 30_000);
    expect(done.result).toBe('The number was 42.');
    const retried = harness.llm.requests[before] as ScriptedRequest;
    expect(messagesOf(retried).map((message) => message.content)).toEqual(['You give up.', 'Remember the number 42']);
    // Retrying a task that has not failed is refused.
    await expect(harness.zap.retryTask(task.id)).rejects.toBeInstanceOf(ZapValidationError);
  }, 60_000);

  test('a follow-up to a task that failed at maxIterations continues its conversation', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ name: 'lookup', arguments: {} }]));
    const task = await harness.zap.executeTask({ agentName: 'Looper', task: 'Loop once' });
    const failed = await waitForTask(harness.zap, task.id, (t) => t.status === 'failed', 30_000);
    expect(failed.error).toMatch(/maxIterations/);

    harness.llm.enqueue(scripted.text('Answering now.'));
    await harness.zap.executeTask({ followUpOnTask: task.id, task: 'Just answer' });
    const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed', 30_000);
    expect(done.result).toBe('Answering now.');
    expect(done.history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user', 'assistant']);
    const events = [];
    for await (const event of harness.zap.streamTask({ taskId: task.id, includeTokens: false })) events.push(event.seq);
    // Event numbering went on across the retry: no seq repeats.
    expect(new Set(events).size).toBe(events.length);
  }, 60_000);
});
