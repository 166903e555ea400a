import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import type { TaskEvent } from '../../src/core/events';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForTask, type Harness } from '../support/harness';

/**
 * A task whose state is too large to carry to a new run (here: two tool results of about 950 KB,
 * over the 1.8 MB a run's input may hold) keeps its run, and once that run's history reaches the
 * hard stop it fails explicitly: `failed` with the reason, an `error` event, and a Temporal
 * failure of type TASK_STATE_TOO_LARGE, instead of growing until the server terminates it.
 * The hard stop is 40,000 events (or 40 MB) in production; `historyHardStopEvents` brings it
 * within a test's reach.
 */
describe('history hard stop', () => {
  let harness: Harness;

  const bigDocument = tool({
    name: 'big_document',
    description: 'Returns a large document',
    parameters: z.object({ part: z.number() }),
    idempotent: true,
    maxResultBytes: 1024 * 1024,
    execute: ({ part }) => `${part}:${'x'.repeat(950 * 1024)}`,
  });
  const ping = tool({
    name: 'ping',
    description: 'Answers pong',
    parameters: z.object({ n: z.number() }),
    idempotent: true,
    execute: ({ n }) => `pong ${n}`,
  });

  beforeAll(async () => {
    harness = await startHarness({
      agents: [new ZapAgent({ name: 'Hoarder', prompt: 'Collect.', model: 'scripted-model', tools: [bigDocument, ping] })],
      zap: { continueAsNewAfterEvents: 20, historyHardStopEvents: 60 },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('a task that can neither continue as new nor grow fails explicitly, with an error event', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'doc_1', name: 'big_document', arguments: { part: 1 } }]),
      scripted.toolCalls([{ id: 'doc_2', name: 'big_document', arguments: { part: 2 } }]),
      ...Array.from({ length: 30 }, (_, index) => scripted.toolCalls([{ id: `ping_${index}`, name: 'ping', arguments: { n: index } }])),
      scripted.text('Done collecting.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Hoarder', task: 'Collect everything.' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.status === 'failed', 120_000);
    expect(task.error).toMatch(/cannot continue: its state \([\d.]+ MB\) is over the 1\.7 MB a new run can carry/);

    const handle = harness.zap.client.workflow.getHandle(started.id);
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('TASK_STATE_TOO_LARGE');
    // It stopped at the hard stop, well before Temporal's own limits, and never continued as new.
    const description = await handle.describe();
    expect(description.historyLength).toBeGreaterThanOrEqual(60);
    expect(description.historyLength).toBeLessThan(200);
    const history = await handle.fetchHistory();
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeFalsy();

    const events: TaskEvent[] = [];
    for await (const event of harness.zap.streamTask({ taskId: started.id, since: 0, untilClosed: true })) events.push(event);
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'error' });
    expect(JSON.stringify(last)).toMatch(/cannot continue/);
    // Fewer model calls than scripted: the task stopped, it did not run to its answer.
    expect(harness.llm.requests.length).toBeLessThan(32);
  });
});
