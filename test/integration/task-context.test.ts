import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { TaskNotFoundError, ZapAgent, ZapValidationError, tool } from '../../src';
import { MAX_TASK_CONTEXT_BYTES } from '../../src/client/task-request';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForCompletion, type Harness } from '../support/harness';

/**
 * The task's context is stored once, in the workflow input, and reaches every tool that needs it
 * (read by the worker once per task), instead of being copied into each tool call's input and so
 * into history once per call.
 */
describe('task context', () => {
  let harness: Harness;
  const seen: unknown[] = [];

  const whoAmI = tool({
    name: 'who_am_i',
    description: 'The customer the task is for',
    parameters: z.object({ n: z.number() }),
    idempotent: true,
    execute: (_args, { context }) => {
      seen.push(context);
      return (context as { customer: string }).customer;
    },
  });

  beforeAll(async () => {
    harness = await startHarness({
      agents: [new ZapAgent({ name: 'Contextual', prompt: 'Use tools.', model: 'scripted-model', tools: [whoAmI] })],
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('three tool calls read the context, and history holds it once', async () => {
    const marker = `ctx-marker-${Date.now()}`;
    const context = { customer: 'c-77', notes: `${marker} ${'n'.repeat(8000)}` };
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_1', name: 'who_am_i', arguments: { n: 1 } },
        { id: 'call_2', name: 'who_am_i', arguments: { n: 2 } },
      ]),
      scripted.toolCalls([{ id: 'call_3', name: 'who_am_i', arguments: { n: 3 } }]),
      scripted.text('You are c-77.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Contextual', task: 'Who am I?', context });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.getToolCalls().map((call) => call.result)).toEqual(['c-77', 'c-77', 'c-77']);
    expect(seen).toEqual([context, context, context]);

    const history = await harness.zap.client.workflow.getHandle(started.id).fetchHistory();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
    expect(bytes.split(marker).length - 1).toBe(1);
    const toolInputs = (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes?.activityType?.name === 'callTool')
      .map((attributes) => JSON.parse(Buffer.from(attributes?.input?.payloads?.[0]?.data ?? []).toString()));
    expect(toolInputs).toHaveLength(3);
    for (const input of toolInputs) {
      expect(input).toMatchObject({ hasContext: true });
      expect(input).not.toHaveProperty('context');
    }
  });

  test('a context over the bound is refused at executeTask, and nothing starts', async () => {
    const taskId = `too-large-context-${Date.now()}`;
    const error = await harness.zap
      .executeTask({ agentName: 'Contextual', task: 'hi', taskId, context: { blob: 'x'.repeat(MAX_TASK_CONTEXT_BYTES) } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ZapValidationError);
    expect((error as Error).message).toMatch(/at most 262144 are accepted/);
    await expect(harness.zap.getTask(taskId)).rejects.toBeInstanceOf(TaskNotFoundError);
  });
});
