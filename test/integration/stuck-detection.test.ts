/**
 * Stuck detection against the real dev server and the scripted model over HTTP: an agent that
 * repeats the same call (or gets the same results) for `threshold` iterations is stopped, nudged
 * once, or escalated to a human, per its `stuck.policy`; a `stuck` event is emitted in every case,
 * reaching `maxIterations` included.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ZapAgent, tool, type Task } from '../../src';
import { errorFromFailure } from '../../src/client/error-from-failure';
import type { StuckEvent, TaskEvent } from '../../src/core/events';
import { FailureType } from '../../src/core/failure-types';
import { AgentStuckError } from '../../src/hooks';
import { scripted, type ScriptedResponse } from '../../src/testing/scripted-llm-server';
import { getEventsQuery } from '../../src/workflows/definitions';
import { AgentRouter, lastMessage } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

const lookups: string[] = [];
const lookup = tool({
  name: 'lookup',
  description: 'Looks a key up',
  parameters: z.object({ key: z.string() }),
  idempotent: true,
  execute: ({ key }) => {
    lookups.push(key);
    return `value-of-${key}`;
  },
});
const search = tool({
  name: 'search',
  description: 'Searches the archive',
  parameters: z.object({ query: z.string() }),
  idempotent: true,
  execute: () => 'no results',
});

const PROMPTS = {
  stop: 'Stuck with stop.',
  retry: 'Stuck with retry.',
  escalate: 'Stuck with escalate.',
  limited: 'Stuck with a limit.',
} as const;

const router = new AgentRouter();

function sameLookup(times: number, key = 'a'): ScriptedResponse[] {
  return Array.from({ length: times }, () => scripted.toolCalls([{ name: 'lookup', arguments: { key } }]));
}

async function eventsOf(harness: Harness, taskId: string): Promise<TaskEvent[]> {
  return (await harness.zap.client.workflow.getHandle(taskId).query(getEventsQuery, 0)).events;
}

function stuckEvents(events: TaskEvent[]): StuckEvent[] {
  return events.filter((event): event is StuckEvent => event.type === 'stuck');
}

/** The typed error the failed workflow run stands for. */
async function failureOf(harness: Harness, taskId: string): Promise<unknown> {
  const error = await harness.zap.client.workflow.getHandle(taskId).result().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  return errorFromFailure(error) ?? error;
}

/** The model requests of one agent's tasks (or of the task with this first message). */
function requestsOf(harness: Harness, prompt: string, taskText?: string) {
  return harness.llm.requests.filter(
    (request) =>
      String(request.body.messages[0]?.content).startsWith(prompt) && (taskText === undefined || request.body.messages[1]?.content === taskText),
  );
}

describe('stuck detection', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'Stopper', prompt: PROMPTS.stop, model: 'scripted-model', tools: [lookup, search] }),
        new ZapAgent({ name: 'Retrier', prompt: PROMPTS.retry, model: 'scripted-model', tools: [lookup], stuck: { policy: 'retry' } }),
        new ZapAgent({
          name: 'Escalator',
          prompt: PROMPTS.escalate,
          model: 'scripted-model',
          tools: [lookup],
          stuck: { policy: 'escalate', threshold: 2, escalationTimeout: '3 seconds' },
        }),
        new ZapAgent({ name: 'Limited', prompt: PROMPTS.limited, model: 'scripted-model', tools: [lookup], maxIterations: 2 }),
      ],
      llm: { handler: router.handler },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    lookups.length = 0;
  });

  test('stop (the default): the same call three times fails the task with AgentStuckError after a stuck event', async () => {
    router.enqueue(PROMPTS.stop, ...sameLookup(3), scripted.text('never reached'));
    const started = await harness.zap.executeTask({ agentName: 'Stopper', task: 'Look a up' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.status === 'failed');
    expect(task.error).toBe("Agent 'Stopper' is stuck: it called lookup with the same arguments 3 times in a row.");
    expect(lookups).toEqual(['a', 'a', 'a']);
    expect(requestsOf(harness, PROMPTS.stop, 'Look a up')).toHaveLength(3);

    const failure = await failureOf(harness, started.id);
    expect(failure).toBeInstanceOf(AgentStuckError);
    expect(failure).toMatchObject({ code: 'AGENT_STUCK', reason: 'repeated_call', toolName: 'lookup', repeats: 3, taskId: started.id, agentName: 'Stopper' });
    // The same typed error on the task the client reads, as `outputError` is for structured output.
    expect(task.stuckError).toBeInstanceOf(AgentStuckError);
    expect(task.stuckError).toMatchObject({ code: 'AGENT_STUCK', reason: 'repeated_call', toolName: 'lookup', repeats: 3, taskId: started.id, agentName: 'Stopper', message: task.error });
    expect(task.stuckError?.escalation).toBeUndefined();

    const events = await eventsOf(harness, started.id);
    expect(stuckEvents(events)).toEqual([
      expect.objectContaining({ reason: 'repeated_call', toolName: 'lookup', repeats: 3, policy: 'stop', action: 'stop', iteration: 3 }),
    ]);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['stuck', 'error']);
  });

  test('stop: different arguments with the same results for three iterations is no progress', async () => {
    router.enqueue(
      PROMPTS.stop,
      ...['invoice 1', 'invoice #1', 'the first invoice'].map((query) => scripted.toolCalls([{ name: 'search', arguments: { query } }])),
      scripted.text('never reached'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Stopper', task: 'Find invoice 1' });
    await waitForTask(harness.zap, started.id, (current) => current.status === 'failed');
    expect(await failureOf(harness, started.id)).toMatchObject({ reason: 'no_progress', toolName: 'search', repeats: 3 });
    expect(stuckEvents(await eventsOf(harness, started.id))).toEqual([expect.objectContaining({ reason: 'no_progress', action: 'stop' })]);
  });

  test('retry: the model is told it repeats itself, once, and the task completes', async () => {
    router.enqueue(PROMPTS.retry, ...sameLookup(3), scripted.text('I will answer with what I have: value-of-a.'));
    const started = await harness.zap.executeTask({ agentName: 'Retrier', task: 'Look a up' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('I will answer with what I have: value-of-a.');

    const requests = requestsOf(harness, PROMPTS.retry, 'Look a up');
    expect(requests).toHaveLength(4);
    const nudge = lastMessage(requests[3]!);
    expect(nudge.role).toBe('user');
    expect(nudge.content).toMatch(/^\[zap-agents: you are repeating yourself: it called lookup with the same arguments 3 times in a row\./);
    expect(stuckEvents(await eventsOf(harness, started.id))).toEqual([
      expect.objectContaining({ reason: 'repeated_call', policy: 'retry', action: 'nudge', repeats: 3 }),
    ]);
  });

  test('retry: stuck again after the nudge in the same request, the task stops', async () => {
    router.enqueue(PROMPTS.retry, ...sameLookup(3), ...sameLookup(3), scripted.text('never reached'));
    const started = await harness.zap.executeTask({ agentName: 'Retrier', task: 'Look a up, stubbornly' });
    await waitForTask(harness.zap, started.id, (current) => current.status === 'failed');
    expect(lookups).toHaveLength(6);
    expect(await failureOf(harness, started.id)).toMatchObject({ reason: 'repeated_call', repeats: 3 });
    expect(stuckEvents(await eventsOf(harness, started.id)).map((event) => event.action)).toEqual(['nudge', 'stop']);
  });

  test('escalate, approved: the task waits for a human, then goes on with the guidance as a message', async () => {
    router.enqueue(PROMPTS.escalate, ...sameLookup(2), scripted.text('Used key b as told.'));
    const started = await harness.zap.executeTask({ agentName: 'Escalator', task: 'Look a up' });
    const waiting = await waitForTask(harness.zap, started.id, (current) => current.status === 'awaiting_approval');
    const [pending] = await waiting.getPendingApprovals();
    expect(pending).toMatchObject({
      kind: 'stuck',
      stuck: { reason: 'repeated_call', repeats: 2 },
      toolName: 'lookup',
      toolArgs: { key: 'a' },
      agentName: 'Escalator',
      taskId: started.id,
    });
    expect(requestsOf(harness, PROMPTS.escalate, 'Look a up')).toHaveLength(2);

    await harness.zap.approve(started.id, pending!.id, { approvedBy: 'alice', reason: 'Try key b instead.' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Used key b as told.');
    const guidance = lastMessage(requestsOf(harness, PROMPTS.escalate, 'Look a up')[2]!);
    expect(guidance).toEqual({
      role: 'user',
      content: '[zap-agents: you were repeating yourself; a human reviewer (alice) lets you go on and says: Try key b instead.]',
    });
    expect(task.approvals).toEqual([expect.objectContaining({ id: pending!.id, kind: 'stuck', decision: 'approved', decidedBy: 'alice' })]);
    const events = await eventsOf(harness, started.id);
    const types = events.map((event) => event.type);
    expect(types.slice(types.indexOf('stuck'))).toEqual(['stuck', 'approval_requested', 'approval_resolved', 'thinking', 'completed']);
    expect(stuckEvents(events)).toEqual([expect.objectContaining({ policy: 'escalate', action: 'escalate', repeats: 2 })]);
  });

  test('escalate, rejected: the task stops with AgentStuckError naming the decision', async () => {
    router.enqueue(PROMPTS.escalate, ...sameLookup(2), scripted.text('never reached'));
    const started = await harness.zap.executeTask({ agentName: 'Escalator', task: 'Look a up, or else' });
    const waiting: Task = await waitForTask(harness.zap, started.id, (current) => current.status === 'awaiting_approval');
    const [pending] = await waiting.getPendingApprovals();
    await harness.zap.reject(started.id, pending!.id, 'it will not find it', { rejectedBy: 'bob' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.status === 'failed');
    expect(task.error).toBe(
      "Agent 'Escalator' is stuck: it called lookup with the same arguments 2 times in a row. The escalation was rejected by bob: it will not find it",
    );
    expect(await failureOf(harness, started.id)).toMatchObject({
      reason: 'repeated_call',
      escalation: { decision: 'rejected', reason: 'it will not find it', decidedBy: 'bob' },
    });
    expect(task.stuckError).toBeInstanceOf(AgentStuckError);
    expect(task.stuckError).toMatchObject({ repeats: 2, escalation: { decision: 'rejected', reason: 'it will not find it', decidedBy: 'bob' } });
    // No model call after the rejection.
    expect(requestsOf(harness, PROMPTS.escalate, 'Look a up, or else')).toHaveLength(2);
  });

  test('escalate, nobody decides: the escalation times out and the task stops', async () => {
    router.enqueue(PROMPTS.escalate, ...sameLookup(2), scripted.text('never reached'));
    const started = await harness.zap.executeTask({ agentName: 'Escalator', task: 'Look a up, unattended' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.status === 'failed', 30_000);
    expect(task.error).toMatch(/Nobody decided on the escalation in time \(no decision within 3 seconds\)/);
    expect(task.approvals).toEqual([expect.objectContaining({ kind: 'stuck', decision: 'timed_out' })]);
    expect(await failureOf(harness, started.id)).toMatchObject({ escalation: { decision: 'timed_out' } });
  });

  test('reaching maxIterations is reported as stuck, then fails as before (MAX_ITERATIONS_EXCEEDED)', async () => {
    router.enqueue(
      PROMPTS.limited,
      scripted.toolCalls([{ name: 'lookup', arguments: { key: 'a' } }]),
      scripted.toolCalls([{ name: 'lookup', arguments: { key: 'b' } }]),
      scripted.text('never reached'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Limited', task: 'Look things up' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.status === 'failed');
    expect(task.error).toBe("Agent 'Limited' reached maxIterations (2) without a final answer.");
    expect(task.stuckError).toBeUndefined();
    const events = await eventsOf(harness, started.id);
    expect(stuckEvents(events)).toEqual([
      expect.objectContaining({ reason: 'max_iterations', repeats: 2, policy: 'stop', action: 'stop', iteration: 2 }),
    ]);
    expect(stuckEvents(events)[0]?.toolName).toBeUndefined();
    expect(events.slice(-2).map((event) => event.type)).toEqual(['stuck', 'error']);

    const error = await harness.zap.client.workflow.getHandle(started.id).result().catch((failure: unknown) => failure);
    const cause = (error as { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(FailureType.MaxIterationsExceeded);
  });
});
