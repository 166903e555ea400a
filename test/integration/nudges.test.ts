import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Zap, ZapAgent, type Task } from '../../src';
import type { TaskEvent } from '../../src/core/events';
import { type ScriptedLlmServer, scripted, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { waitForTask } from '../support/harness';
import { startTimeSkippingZap, TIME_SKIPPING_SETUP_TIMEOUT_MS, type TimeSkippingZap } from '../support/time-skipping';

/**
 * Nudges (`ZapAgent({ nudge })`) on Temporal's time-skipping test server: hours of quiet pass in
 * milliseconds. The task's idle timeout is the default 24 hours; the nudge comes after 4 hours
 * without a user message, once per quiet period, and a real follow-up within the period cancels
 * it. Time is global to the server, so each test lets its task close before the next one starts.
 */

const HOUR_MS = 3_600_000;
const NUDGE = 'The customer has not answered. Send a short reminder.';

const concierge = new ZapAgent({
  name: 'Concierge',
  prompt: 'You look after customers.',
  model: 'scripted-model',
  nudge: { after: '4 hours', message: NUDGE },
});
// Its nudge would come after the idle timeout (24 hours): it never fires.
const patient = new ZapAgent({
  name: 'Patient',
  prompt: 'You wait.',
  model: 'scripted-model',
  nudge: { after: '30 hours', message: NUDGE },
});

/** Answers every model call with the last user message it was given. */
function echo(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  return scripted.text(`re: ${messages[messages.length - 1]!.content}`);
}

function workflowTime(time: Date | string): number {
  return typeof time === 'string' ? Date.parse(time) : time.getTime();
}

describe('nudges on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  let llm: ScriptedLlmServer;
  let zap: Zap;
  let stack: TimeSkippingZap;

  beforeAll(async () => {
    stack = await startTimeSkippingZap({ agents: [concierge, patient], taskQueuePrefix: 'nudges', llm: { handler: echo } });
    ({ env, llm, zap } = stack);
  }, TIME_SKIPPING_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  beforeEach(() => {
    llm.reset();
    llm.setHandler(echo);
  });

  function userMessages(task: Task): unknown[] {
    return task.history.filter((message) => message.role === 'user').map((message) => message.content);
  }

  async function eventsOf(taskId: string): Promise<TaskEvent[]> {
    return (await zap.client.workflow.getHandle(taskId).query(getEventsQuery, 0)).events;
  }

  /** Skips time until the task's workflow closes (its idle timeout); returns its close time. */
  async function closeOf(taskId: string): Promise<number> {
    const handle = env.client.workflow.getHandle(taskId);
    await handle.result();
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    return description.closeTime!.getTime();
  }

  test('after 4 quiet hours the task receives the nudge once, answers it, and is not nudged again', async () => {
    const started = await zap.executeTask({ agentName: 'Concierge', task: 'Is my table booked?' });
    const answered = await waitForTask(zap, started.id, (task) => task.status === 'completed');
    const answeredAt = workflowTime(answered.updatedAt);

    await env.sleep(3 * HOUR_MS);
    expect(llm.requestCount()).toBe(1);

    await env.sleep(HOUR_MS);
    const nudged = await waitForTask(zap, started.id, (task) => task.status === 'completed' && task.result === `re: ${NUDGE}`);
    expect(userMessages(nudged)).toEqual(['Is my table booked?', NUDGE]);
    expect(llm.requestCount()).toBe(2);
    expect(llm.requests[1]!.body.messages.at(-1)).toEqual({ role: 'user', content: NUDGE });
    const events = await eventsOf(started.id);
    const nudgeEvents = events.filter((event) => event.type === 'nudged');
    expect(nudgeEvents).toEqual([expect.objectContaining({ type: 'nudged', message: NUDGE, afterMs: 4 * HOUR_MS })]);
    expect(workflowTime(nudgeEvents[0]!.timestamp) - answeredAt).toBeGreaterThanOrEqual(4 * HOUR_MS);
    expect(events.map((event) => event.type).slice(-3)).toEqual(['nudged', 'thinking', 'completed']);

    // No second nudge without a real message: the task stays quiet until its idle timeout
    // (24 hours after the nudge's answer), and the model is not called again.
    const closedAt = await closeOf(started.id);
    expect(closedAt - workflowTime(nudged.updatedAt)).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(llm.requestCount()).toBe(2);
    expect((await eventsOf(started.id)).filter((event) => event.type === 'nudged')).toHaveLength(1);
  });

  test('a real follow-up within the quiet period cancels the nudge; the next quiet period gets its own', async () => {
    const started = await zap.executeTask({ agentName: 'Concierge', task: 'Can I bring a dog?' });
    const first = await waitForTask(zap, started.id, (task) => task.status === 'completed');
    const firstAnsweredAt = workflowTime(first.updatedAt);

    await env.sleep(2 * HOUR_MS);
    await zap.executeTask({ followUpOnTask: started.id, task: 'A small one.' });
    const second = await waitForTask(zap, started.id, (task) => task.status === 'completed' && task.result === 're: A small one.');
    const secondAnsweredAt = workflowTime(second.updatedAt);

    // Past 4 hours after the first answer, but only 2.5 after the second: no nudge.
    await env.sleep(2.5 * HOUR_MS);
    expect((await env.currentTimeMs()) - firstAnsweredAt).toBeGreaterThan(4 * HOUR_MS);
    expect(llm.requestCount()).toBe(2);
    expect((await eventsOf(started.id)).some((event) => event.type === 'nudged')).toBe(false);

    // 4 hours after the second answer, its own quiet period ends with a nudge.
    await env.sleep(1.5 * HOUR_MS);
    const nudged = await waitForTask(zap, started.id, (task) => task.result === `re: ${NUDGE}`);
    expect(userMessages(nudged)).toEqual(['Can I bring a dog?', 'A small one.', NUDGE]);
    const [nudge] = (await eventsOf(started.id)).filter((event) => event.type === 'nudged');
    expect(workflowTime(nudge!.timestamp) - secondAnsweredAt).toBeGreaterThanOrEqual(4 * HOUR_MS);
    await closeOf(started.id);
    expect(llm.requestCount()).toBe(3);
  });

  test('a nudge not shorter than the idle timeout never fires', async () => {
    const started = await zap.executeTask({ agentName: 'Patient', task: 'Wake me up later.' });
    const answered = await waitForTask(zap, started.id, (task) => task.status === 'completed');
    const closedAt = await closeOf(started.id);
    expect(closedAt - workflowTime(answered.updatedAt)).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(closedAt - workflowTime(answered.updatedAt)).toBeLessThan(30 * HOUR_MS);
    expect(llm.requestCount()).toBe(1);
  });
});
