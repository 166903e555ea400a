import type { ActivityInterceptorsFactory, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { ZapAgent } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { activityExecutions } from '../fixtures/faults/activity-history';
import { startHarness, testWorkerOptions, waitForCompletion, type Harness } from '../support/harness';

/**
 * A budgeted task's model calls lost to a stalled worker, on the real dev server: an activity
 * interceptor makes the first attempt of the first `stalls` calls hang without a heartbeat (as a
 * worker whose event loop stopped, or that died), so each times out and the activity's second
 * attempt reports it lost. The workflow charges each at its worst case, makes the first one again
 * at once and waits its LLM backoff before the next.
 */

const { EventType } = temporal.api.enums.v1;
/** The LLM backoff of the agent: long enough to tell from no wait at all in the history's timestamps. */
const BACKOFF_MS = 1_500;

const agent = new ZapAgent({
  name: 'Lossy',
  prompt: 'Lossy.',
  model: 'scripted-model',
  maxTokens: 1_000,
  timeouts: { heartbeat: '1 second' },
  retry: { llm: { initialInterval: `${BACKOFF_MS} milliseconds`, backoffCoefficient: 1 } },
});

/** First attempts of `invokeModelWithinBudget` still to hang, first come first served; each ends when its activity is cancelled or after 20 s. */
let stalls = 0;
let stalled = 0;

function stallFirstAttempts(): ActivityInterceptorsFactory {
  return (context) => ({
    inbound: {
      async execute(input, next): Promise<unknown> {
        if (context.info.activityType !== 'invokeModelWithinBudget' || context.info.attempt !== 1 || stalls === 0) return next(input);
        stalls -= 1;
        stalled += 1;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 20_000);
          context.cancellationSignal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
        throw new Error('stalled attempt given up');
      },
    },
  });
}

describe('model calls of a budgeted task lost to a stalled worker', () => {
  let harness: Harness;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    harness = await startHarness({ agents: [agent], worker: false, zap: { prices: { 'scripted-model': { input: 0, output: 2 } } } });
    const options = testWorkerOptions();
    worker = await harness.zap.createWorker({ worker: { ...options.worker, interceptors: { activity: [stallFirstAttempts()] } } });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await harness?.stop();
  });

  test('each is charged at its worst case; the first is made again at once, the second after the backoff', async () => {
    stalls = 2;
    harness.llm.enqueue(scripted.text('Done.', { usage: { promptTokens: 50, completionTokens: 10 } }));
    const started = await harness.zap.executeTask({ agentName: 'Lossy', task: 'Go', budget: { maxUsd: 1 } });
    const task = await waitForCompletion(harness.zap, started.id, 60_000);
    expect(task.result).toBe('Done.');
    expect(stalled).toBe(2);
    // One request reached the model: the stalled attempts never sent theirs.
    expect(harness.llm.requests).toHaveLength(1);

    // Neither lost attempt heartbeated its worst case: each second attempt planned the call again,
    // 1000 completion tokens at $2 a million ($0.002), and charged that, for the call it could not see.
    expect(task.budget).toMatchObject({ spent: { modelCalls: 3 }, estimatedUsd: 0.004 });
    const activities = await activityExecutions(harness.zap.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModelWithinBudget', attempt: 2, outcome: 'failed' },
      { type: 'invokeModelWithinBudget', attempt: 2, outcome: 'failed' },
      { type: 'invokeModelWithinBudget', attempt: 1, outcome: 'completed' },
    ]);

    // Between the first report and the next call no timer; between the second and the third, the backoff.
    const events = (await harness.zap.client.workflow.getHandle(started.id).fetchHistory()).events ?? [];
    const failures = events.flatMap((event, index) => (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED ? [index] : []));
    const schedules = events.flatMap((event, index) => (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ? [index] : []));
    const timersBetween = (from: number, to: number): number[] =>
      events.slice(from, to).flatMap((event) => {
        const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
        return timeout ? [Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
      });
    expect(failures).toHaveLength(2);
    expect(timersBetween(failures[0]!, schedules[1]!)).toEqual([]);
    expect(timersBetween(failures[1]!, schedules[2]!)).toEqual([BACKOFF_MS]);
  });
});
