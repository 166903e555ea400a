/**
 * Named events: an agent declares events, the model waits for one with the built-in
 * `wait_for_event` tool (a durable timer and a condition in the workflow), and `zap.sendEvent`
 * validates and delivers it (a workflow update). Events that arrive before a wait are kept, also
 * across continue-as-new and worker restarts.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { TaskClosedError, TaskNotFoundError, Zap, ZapAgent, tool, type Task, type ZapAgentOptions } from '../../src';
import { EventBufferFullError, EventValidationError, UnknownEventError } from '../../src/core/errors';
import { scripted, ScriptedLlmServer, type ScriptedRequest, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { deliverEventUpdate, getEventsQuery } from '../../src/workflows/definitions';
import { lastMessage } from '../support/agent-router';
import { startHarness, temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion, waitForTask, type Harness } from '../support/harness';

jest.setTimeout(120_000);

const EVENTS = {
  'email-verified': {
    description: 'The user clicked the link in the verification email',
    schema: z.object({ email: z.string() }),
  },
  'payment-received': {
    description: 'The first payment arrived',
    schema: z.object({ amount: z.number().positive() }),
  },
};

function onboardingAgent(overrides: Partial<ZapAgentOptions> = {}): ZapAgent {
  return new ZapAgent({
    name: 'Onboarding',
    prompt: 'You onboard new users.',
    model: 'scripted-model',
    events: EVENTS,
    tools: [tool({ name: 'note', description: 'Takes a note', parameters: z.object({}), execute: () => 'noted', idempotent: true })],
    ...overrides,
  });
}

type Step = ScriptedResponse | ((request: ScriptedRequest) => ScriptedResponse | Promise<ScriptedResponse>);

/** Answers model calls with `steps`, in order. */
function script(llm: ScriptedLlmServer, ...steps: Step[]): void {
  llm.reset();
  llm.setHandler(async (request) => {
    const step = steps.shift();
    if (!step) return scripted.error(500, 'no scripted response left');
    return typeof step === 'function' ? step(request) : step;
  });
}

function waitCall(id: string, args: Record<string, unknown>): ScriptedResponse {
  return scripted.toolCalls([{ id, name: 'wait_for_event', arguments: args }]);
}

/** The wait's tool result, parsed (the event as the model receives it). */
function receivedEvent(content: string): { event: string; receivedAt: string; data: unknown } {
  return JSON.parse(content) as { event: string; receivedAt: string; data: unknown };
}

async function eventsOf(zap: Zap<any>, taskId: string) {
  return (await zap.client.workflow.getHandle(taskId).query(getEventsQuery, 0)).events;
}

function namedEventTypes(events: Awaited<ReturnType<typeof eventsOf>>): string[] {
  return events.map((event) => event.type).filter((type) => type.startsWith('event_'));
}

async function waitForEventWait(zap: Zap<any>, taskId: string, eventName: string): Promise<Task> {
  return waitForTask(zap, taskId, (task) => task.status === 'awaiting_event' && task.waitingFor.events.includes(eventName));
}

/** Updates the task's history records as accepted (a refused update never enters it). */
async function acceptedUpdates(zap: Zap<any>, taskId: string): Promise<number> {
  const history = await zap.client.workflow.getHandle(taskId).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes).length;
}

describe('named events', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        onboardingAgent(),
        onboardingAgent({ name: 'Strict', maxIterations: 2 }),
        new ZapAgent({ name: 'Plain', prompt: 'You declare no events.', model: 'scripted-model' }),
      ],
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('events delivered before the model waits are kept and taken by the next waits, oldest first', async () => {
    let release!: () => void;
    const delivered = new Promise<void>((resolve) => (release = resolve));
    const results: string[] = [];
    script(
      harness.llm,
      async () => {
        await delivered; // the model answers only once both events are in the task
        return waitCall('call_first', { event: 'payment-received' });
      },
      (request) => {
        results.push(lastMessage(request).content);
        return waitCall('call_second', { event: 'payment-received' });
      },
      (request) => {
        results.push(lastMessage(request).content);
        return scripted.text('Both payments arrived.');
      },
    );
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Wait for the payments' });
    await harness.llm.waitForRequests(1, 30_000);
    expect(await harness.zap.sendEvent(started.id, 'payment-received', { amount: 10 })).toEqual({ accepted: true, waiting: false });
    expect(await harness.zap.sendEvent(started.id, 'payment-received', { amount: 20 })).toEqual({ accepted: true, waiting: false });
    release();

    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Both payments arrived.');
    expect(results.map((content) => receivedEvent(content))).toEqual([
      { event: 'payment-received', receivedAt: expect.any(String), data: { amount: 10 } },
      { event: 'payment-received', receivedAt: expect.any(String), data: { amount: 20 } },
    ]);
    expect(task.getToolCalls().map((call) => call.result)).toEqual(results);
    const events = await eventsOf(harness.zap, started.id);
    expect(namedEventTypes(events)).toEqual([
      'event_received',
      'event_received',
      'event_wait_started',
      'event_wait_finished',
      'event_wait_started',
      'event_wait_finished',
    ]);
    expect(events.find((event) => event.type === 'event_received')).toMatchObject({
      eventName: 'payment-received',
      preview: '{"amount":10}',
      dataBytes: 13,
      waiting: false,
    });
    expect(events.filter((event) => event.type === 'event_wait_finished')).toEqual([
      expect.objectContaining({ outcome: 'received', toolCallId: 'call_first' }),
      expect.objectContaining({ outcome: 'received', toolCallId: 'call_second' }),
    ]);
  });

  test('an event delivered during the wait ends it; the status shows what the task waits for meanwhile', async () => {
    let result = '';
    script(harness.llm, waitCall('call_wait', { event: 'email-verified', timeoutSeconds: 600 }), (request) => {
      result = lastMessage(request).content;
      return scripted.text('Your email is verified.');
    });
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Verify my email' });
    const waiting = await waitForEventWait(harness.zap, started.id, 'email-verified');
    expect(waiting.waitingFor).toMatchObject({ events: ['email-verified'], approvals: [], subTasks: [] });
    const [wait] = waiting.waitingFor.eventWaits;
    expect(wait).toMatchObject({ eventName: 'email-verified', toolCallId: 'call_wait' });
    expect(Date.parse(wait!.deadline) - Date.parse(wait!.since)).toBe(600_000);
    expect((await harness.zap.getTaskStatus(started.id)).waitingFor?.events).toEqual(['email-verified']);

    expect(await harness.zap.sendEvent(started.id, 'email-verified', { email: 'ada@example.com' })).toEqual({ accepted: true, waiting: true });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Your email is verified.');
    expect(receivedEvent(result)).toEqual({ event: 'email-verified', receivedAt: expect.any(String), data: { email: 'ada@example.com' } });
    expect(task.waitingFor).toEqual({ events: [], approvals: [], subTasks: [], eventWaits: [] });
    const events = await eventsOf(harness.zap, started.id);
    expect(namedEventTypes(events)).toEqual(['event_wait_started', 'event_received', 'event_wait_finished']);
    expect(events.find((event) => event.type === 'event_received')).toMatchObject({ waiting: true });
  });

  test('a wait that times out tells the model, and an event that arrives later is kept for the next wait', async () => {
    const results: string[] = [];
    script(
      harness.llm,
      waitCall('call_short', { event: 'email-verified', timeoutSeconds: 1 }),
      (request) => {
        results.push(lastMessage(request).content);
        return scripted.text('The email is not verified yet.');
      },
      waitCall('call_again', { event: 'email-verified' }),
      (request) => {
        results.push(lastMessage(request).content);
        return scripted.text('Verified now.');
      },
    );
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Is my email verified?' });
    const first = await waitForCompletion(harness.zap, started.id);
    expect(first.result).toBe('The email is not verified yet.');
    expect(results[0]).toBe(
      "[Event 'email-verified' did not arrive within 1 second. You may call wait_for_event again to keep waiting; " +
        'an event that arrives in between is kept for that wait.]',
    );

    expect(await harness.zap.sendEvent(started.id, 'email-verified', { email: 'late@example.com' })).toEqual({ accepted: true, waiting: false });
    await harness.zap.executeTask({ followUpOnTask: started.id, task: 'And now?' });
    const task = await waitForTask(harness.zap, started.id, (candidate) => candidate.result === 'Verified now.');
    expect(receivedEvent(results[1]!)).toMatchObject({ event: 'email-verified', data: { email: 'late@example.com' } });
    expect(task.status).toBe('completed');
    const finished = (await eventsOf(harness.zap, started.id)).filter((event) => event.type === 'event_wait_finished');
    expect(finished).toEqual([
      expect.objectContaining({ outcome: 'timed_out', toolCallId: 'call_short' }),
      expect.objectContaining({ outcome: 'received', toolCallId: 'call_again' }),
    ]);
  });

  test('invalid data is refused with EventValidationError and nothing is delivered', async () => {
    script(harness.llm, waitCall('call_wait', { event: 'payment-received', timeoutSeconds: 600 }), scripted.text('Paid.'));
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Wait for the payment' });
    await waitForEventWait(harness.zap, started.id, 'payment-received');

    const invalid = await harness.zap.sendEvent(started.id, 'payment-received', { amount: -5 }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(EventValidationError);
    expect(invalid).toMatchObject({ taskId: started.id, eventName: 'payment-received', issues: [expect.objectContaining({ path: ['amount'] })] });
    expect((invalid as Error).message).toContain('does not match its schema');
    expect((invalid as Error).message).toContain('amount');

    // zod strips the unknown key: what is delivered (and measured) is the parsed data.
    const stripped = await harness.zap.sendEvent(started.id, 'payment-received', { amount: 1, note: 'x'.repeat(70_000) });
    expect(stripped).toEqual({ accepted: true, waiting: true });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(receivedEvent(task.getToolCalls()[0]!.result!)).toMatchObject({ data: { amount: 1 } });
    expect(namedEventTypes(await eventsOf(harness.zap, started.id))).toEqual(['event_wait_started', 'event_received', 'event_wait_finished']);
    expect(await acceptedUpdates(harness.zap, started.id)).toBe(1);
  });

  test('data over 64 KiB is refused by the client, and by the update validator when the client is bypassed', async () => {
    script(harness.llm, waitCall('call_wait', { event: 'email-verified', timeoutSeconds: 600 }), scripted.text('Verified.'));
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Verify' });
    await waitForEventWait(harness.zap, started.id, 'email-verified');

    const big = { email: 'x'.repeat(70_000) };
    const refused = await harness.zap.sendEvent(started.id, 'email-verified', big).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EventValidationError);
    expect(refused).toMatchObject({ issues: [expect.objectContaining({ code: 'too_big' })] });
    expect((refused as Error).message).toMatch(/is too large: The data is 70012 bytes of JSON; an event carries at most 65536/);

    const handle = harness.zap.client.workflow.getHandle(started.id);
    const bypassed = await handle.executeUpdate(deliverEventUpdate, { args: [{ name: 'email-verified', data: big }] }).catch((error: unknown) => error);
    expect(bypassed).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((bypassed as Error & { cause?: { type?: string } }).cause?.type).toBe('EVENT_VALIDATION');
    const unknown = await handle.executeUpdate(deliverEventUpdate, { args: [{ name: 'not-declared', data: {} }] }).catch((error: unknown) => error);
    expect((unknown as Error & { cause?: { type?: string } }).cause?.type).toBe('UNKNOWN_EVENT');
    expect(await acceptedUpdates(harness.zap, started.id)).toBe(0);

    const stillWaiting = await harness.zap.getTask(started.id);
    expect(stillWaiting.waitingFor.events).toEqual(['email-verified']);
    await harness.zap.sendEvent(started.id, 'email-verified', { email: 'ok@example.com' });
    await waitForCompletion(harness.zap, started.id);
  });

  test('retrying a failed task carries the events still kept, not those its waits took', async () => {
    let release!: () => void;
    const delivered = new Promise<void>((resolve) => (release = resolve));
    const results: string[] = [];
    script(
      harness.llm,
      async () => {
        await delivered;
        return waitCall('call_payment', { event: 'payment-received' });
      },
      scripted.toolCalls([{ id: 'call_note', name: 'note', arguments: {} }]),
      // maxIterations (2) is reached: the task fails. The retry then waits for both events at once.
      scripted.toolCalls([
        { id: 'call_payment_again', name: 'wait_for_event', arguments: { event: 'payment-received', timeoutSeconds: 1 } },
        { id: 'call_email', name: 'wait_for_event', arguments: { event: 'email-verified', timeoutSeconds: 1 } },
      ]),
      (request) => {
        const messages = request.body.messages as Array<{ role: string; content: string }>;
        results.push(...messages.slice(-2).map((message) => message.content));
        return scripted.text('One event was left.');
      },
    );
    const started = await harness.zap.executeTask({ agentName: 'Strict', task: 'Wait for the payment' });
    await harness.llm.waitForRequests(1, 30_000);
    await harness.zap.sendEvent(started.id, 'payment-received', { amount: 5 });
    await harness.zap.sendEvent(started.id, 'email-verified', { email: 'kept@example.com' });
    release();
    const failed = await waitForTask(harness.zap, started.id, (task) => task.status === 'failed');
    expect(failed.error).toMatch(/maxIterations/);

    await harness.zap.retryTask(started.id);
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('One event was left.');
    expect(results[0]).toMatch(/^\[Event 'payment-received' did not arrive within 1 second/);
    expect(receivedEvent(results[1]!)).toMatchObject({ event: 'email-verified', data: { email: 'kept@example.com' } });
  });

  test('a task keeps at most 100 events of one name: the next is refused with EventBufferFullError', async () => {
    script(harness.llm, scripted.text('Hello.'));
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Hi' });
    await waitForCompletion(harness.zap, started.id);
    for (let batch = 0; batch < 10; batch += 1) {
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => harness.zap.sendEvent(started.id, 'payment-received', { amount: batch * 10 + index + 1 })),
      );
    }
    const refused = await harness.zap.sendEvent(started.id, 'payment-received', { amount: 101 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EventBufferFullError);
    expect(refused).toMatchObject({ taskId: started.id, eventName: 'payment-received', limit: "100 events named 'payment-received'" });
    // Other names are still kept.
    expect(await harness.zap.sendEvent(started.id, 'email-verified', { email: 'a@b.c' })).toEqual({ accepted: true, waiting: false });
    expect(await acceptedUpdates(harness.zap, started.id)).toBe(101);
  });

  test('an undeclared name is refused with UnknownEventError listing the declared names', async () => {
    script(harness.llm, scripted.text('Hello.'), scripted.text('Hello too.'));
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Hi' });
    await waitForCompletion(harness.zap, started.id);
    const unknown = await harness.zap.sendEvent(started.id, 'email-bounced', {}).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(UnknownEventError);
    expect(unknown).toMatchObject({ taskId: started.id, eventName: 'email-bounced', agentName: 'Onboarding', declaredEvents: ['email-verified', 'payment-received'] });
    expect((unknown as Error).message).toBe(
      `Task '${started.id}' (agent 'Onboarding') does not wait for events named 'email-bounced'. Declared events: email-verified, payment-received.`,
    );

    const plain = await harness.zap.executeTask({ agentName: 'Plain', task: 'Hi' });
    await waitForCompletion(harness.zap, plain.id);
    const none = await harness.zap.sendEvent(plain.id, 'email-verified', { email: 'a@b.c' }).catch((error: unknown) => error);
    expect(none).toBeInstanceOf(UnknownEventError);
    expect((none as Error).message).toContain('Its agent declares no events.');
    expect(await acceptedUpdates(harness.zap, started.id)).toBe(0);

    await expect(harness.zap.sendEvent('no-such-task', 'email-verified', { email: 'a@b.c' })).rejects.toBeInstanceOf(TaskNotFoundError);
    await harness.zap.cancelTask(plain.id);
    await waitForTask(harness.zap, plain.id, (task) => task.status === 'cancelled');
    await expect(harness.zap.sendEvent(plain.id, 'email-verified', { email: 'a@b.c' })).rejects.toBeInstanceOf(TaskClosedError);
  });
});

describe('named events across continue-as-new', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [onboardingAgent()], zap: { continueAsNewAfterEvents: 20 } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('an event kept by one run is taken by a wait in a later run', async () => {
    let result = '';
    harness.llm.reset();
    harness.llm.setHandler((request) => {
      const last = lastMessage(request);
      if (last.role === 'tool') {
        result = last.content;
        return scripted.text('Verified after continuing as new.');
      }
      if (last.content === 'Wait for it now') return waitCall('call_wait', { event: 'email-verified' });
      return scripted.text('OK.');
    });
    const started = await harness.zap.executeTask({ agentName: 'Onboarding', task: 'Hello' });
    await waitForCompletion(harness.zap, started.id);
    const handle = harness.zap.client.workflow.getHandle(started.id);
    await harness.zap.sendEvent(started.id, 'email-verified', { email: 'kept@example.com' });
    const runOfDelivery = (await handle.describe()).runId;

    // Follow-ups grow the history until the task continues as new (at most a few).
    for (let answered = 1; (await handle.describe()).runId === runOfDelivery; answered += 1) {
      expect(answered).toBeLessThan(8);
      await harness.zap.executeTask({ followUpOnTask: started.id, task: `Follow-up ${answered}` });
      await waitForTask(harness.zap, started.id, (task) => task.status === 'completed' && task.getAssistantMessages().length === answered + 1);
    }
    await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Wait for it now' });
    const task = await waitForTask(harness.zap, started.id, (candidate) => candidate.result === 'Verified after continuing as new.');
    expect(receivedEvent(result)).toMatchObject({ event: 'email-verified', data: { email: 'kept@example.com' } });
    expect((await handle.describe()).runId).not.toBe(runOfDelivery);
    expect(task.status).toBe('completed');
  });
});

describe('named events across a worker restart', () => {
  let llm: ScriptedLlmServer;
  let zap: Zap<any>;
  const running: Array<{ worker: Worker; run: Promise<void> }> = [];

  async function startWorker(): Promise<Worker> {
    const worker = await zap.createWorker(testWorkerOptions());
    running.push({ worker, run: worker.run() });
    return worker;
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start();
    zap = new Zap<any>({
      agents: [onboardingAgent()],
      taskQueue: uniqueTaskQueue('events-restart'),
      temporal: { address: temporalAddress() },
      llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
    });
    await zap.start();
  });

  afterAll(async () => {
    await zap?.stop();
    await Promise.all(running.map(({ run }) => run));
    await llm?.close();
  });

  test('a wait survives its worker: a new worker replays it and the delivery completes the task', async () => {
    let result = '';
    script(llm, waitCall('call_wait', { event: 'email-verified', timeoutSeconds: 600 }), (request) => {
      result = lastMessage(request).content;
      return scripted.text('Verified on the new worker.');
    });
    const first = await startWorker();
    const started = await zap.executeTask({ agentName: 'Onboarding', task: 'Verify my email' });
    await waitForEventWait(zap, started.id, 'email-verified');
    first.shutdown();
    await running[0]!.run;

    await startWorker();
    expect((await zap.getTask(started.id)).waitingFor.events).toEqual(['email-verified']);
    expect(await zap.sendEvent(started.id, 'email-verified', { email: 'restart@example.com' })).toEqual({ accepted: true, waiting: true });
    const task = await waitForCompletion(zap, started.id);
    expect(task.result).toBe('Verified on the new worker.');
    expect(receivedEvent(result)).toMatchObject({ event: 'email-verified', data: { email: 'restart@example.com' } });
  });
});
