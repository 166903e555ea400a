/**
 * 200 concurrent tasks on one worker while the model endpoint misbehaves at random (a seeded,
 * reproducible plan: rate limits, server errors, dropped connections, streams cut short, slow
 * answers) and tools fail now and then, some after their side effect. Every task must complete,
 * every side effect must be applied exactly once, and no model call that succeeded is repeated.
 */
import { z } from 'zod';
import { Zap, ZapAgent, tool } from '../../../src';
import {
  scripted,
  ScriptedLlmServer,
  type ScriptedRequest,
  type ScriptedResponse,
  type ScriptedTextMessage,
  type ScriptedToolCallMessage,
} from '../../../src/testing/scripted-llm-server';
import type { AgentWorkflowResult } from '../../../src/core/task-state';
import { captureActivityFailures, type ActivityFailureLog } from '../../fixtures/faults/activity-failure-log';
import { runInProcessWorker, type InProcessWorker } from '../../fixtures/faults/in-process-worker';
import { temporalAddress, uniqueTaskQueue } from '../../support/harness';

const TASK_COUNT = 200;
const SEED = 20_240_611;
/** From this attempt of a model turn on, the endpoint answers: faults stay within the retry budget. */
const LAST_FAULTY_ATTEMPT = 4;

jest.setTimeout(10 * 60_000);

type LlmFault = 'rate_limited' | 'server_error' | 'disconnect' | 'truncated_stream';
type ToolFault = 'fail_before_effect' | 'fail_after_effect';

/** FNV-1a: a stable 32-bit hash of a string. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Random numbers for one decision, derived from the seed and what the decision is about (not
 * from arrival order), so the fault plan is the same on every run however requests interleave.
 */
function randomFor(...parts: Array<string | number>): () => number {
  return prng(hash([SEED, ...parts].join(':')));
}

function increment<K>(map: Map<K, number>, key: K): number {
  const value = (map.get(key) ?? 0) + 1;
  map.set(key, value);
  return value;
}

/** Decides a tool's fault on its first attempt (retries succeed). */
function toolFault(toolName: string, taskIndex: number, attempt: number): ToolFault | undefined {
  if (attempt > 1) return undefined;
  const roll = randomFor('tool', toolName, taskIndex)();
  if (roll < 0.08) return 'fail_before_effect';
  if (roll < 0.16) return 'fail_after_effect';
  return undefined;
}

function taskIndexOf(text: unknown): number {
  const match = /Task #(\d+)/.exec(String(text));
  if (!match) throw new Error(`no task number in ${String(text)}`);
  return Number(match[1]);
}

describe('200 concurrent tasks with random faults', () => {
  let llm: ScriptedLlmServer;
  let zap: Zap;
  let worker: InProcessWorker | undefined;
  let failures: ActivityFailureLog;

  const llmFaults = new Map<LlmFault, number>();
  let slowAnswers = 0;
  /** Attempts per model turn (`<task>:<messages sent>`). */
  const turnAttempts = new Map<string, number>();
  /** Successful model answers per turn: must end at exactly 1 each. */
  const answersPerTurn = new Map<string, number>();
  /** The idempotent tool's ledger: effect applications per idempotency key. */
  const chargesApplied = new Map<string, number>();
  const chargeAttempts = new Map<string, number>();
  /** The non-idempotent tool's effects per idempotency key. */
  const notificationsSent = new Map<string, number>();
  const notifyAttempts = new Map<string, number>();
  const toolFaults = new Map<string, number>();
  /** The last request of each task, which carries the whole conversation. */
  const finalRequests = new Map<number, ScriptedRequest>();

  function chooseResponse(request: ScriptedRequest): ScriptedResponse {
    const messages = request.body.messages as Array<{ role: string; content: unknown }>;
    const taskIndex = taskIndexOf(messages[1]?.content);
    const turn = `${taskIndex}:${messages.length}`;
    const attempt = increment(turnAttempts, turn);
    const random = randomFor('llm', turn, attempt);
    if (attempt <= LAST_FAULTY_ATTEMPT) {
      const roll = random();
      const fault: LlmFault | undefined =
        roll < 0.1 ? 'rate_limited' : roll < 0.2 ? 'server_error' : roll < 0.27 ? 'disconnect' : roll < 0.33 ? 'truncated_stream' : undefined;
      if (fault) {
        increment(llmFaults, fault);
        if (fault === 'rate_limited') return scripted.error(429, 'Slow down', { retryAfterSeconds: 1 });
        if (fault === 'server_error') return scripted.error(500, 'Internal error');
        if (fault === 'disconnect') return scripted.disconnect({ delayMs: Math.floor(random() * 200) });
        return { ...answerFor(taskIndex, messages), disconnectAfterChunks: 2 };
      }
    }
    increment(answersPerTurn, turn);
    if (messages.length > 2) finalRequests.set(taskIndex, request);
    const answer = answerFor(taskIndex, messages);
    if (random() < 0.15) {
      slowAnswers += 1;
      return { ...answer, delayMs: 200 + Math.floor(random() * 1300), chunkDelayMs: 20 };
    }
    return answer;
  }

  /** The first turn calls both tools at once; the second answers. */
  function answerFor(taskIndex: number, messages: Array<{ role: string }>): ScriptedTextMessage | ScriptedToolCallMessage {
    if (messages.at(-1)?.role === 'user') {
      return {
        kind: 'message',
        toolCalls: [
          { name: 'charge', arguments: { amount: taskIndex } },
          { name: 'notify', arguments: { message: `task ${taskIndex}` } },
        ],
      };
    }
    return { kind: 'message', content: `done ${taskIndex}` };
  }

  beforeAll(async () => {
    failures = captureActivityFailures();
    llm = await ScriptedLlmServer.start({ handler: chooseResponse });
    zap = new Zap({
      agents: [
        new ZapAgent({
          name: 'Chaos',
          prompt: 'You are tested under random faults.',
          model: 'scripted-model',
          retry: {
            llm: { initialInterval: '100 ms', maximumInterval: '1 second', maximumAttempts: 20 },
            tool: { initialInterval: '100 ms', maximumInterval: '1 second', maximumAttempts: 5 },
          },
          tools: [
            tool({
              name: 'charge',
              description: 'Charges an amount; idempotent through a ledger keyed by the idempotency key.',
              parameters: z.object({ amount: z.number() }),
              idempotent: true,
              execute: ({ amount }, context) => {
                const attempt = increment(chargeAttempts, context.idempotencyKey);
                const fault = toolFault('charge', amount, attempt);
                if (fault) increment(toolFaults, `charge:${fault}`);
                if (fault === 'fail_before_effect') throw new Error('card processor unavailable');
                if (!chargesApplied.has(context.idempotencyKey)) increment(chargesApplied, context.idempotencyKey);
                // The charge went through but its acknowledgement is lost: the retry must not charge again.
                if (fault === 'fail_after_effect') throw new Error('card processor timed out after charging');
                return `charged ${amount}`;
              },
            }),
            tool({
              name: 'notify',
              description: 'Sends a notification; not idempotent.',
              parameters: z.object({ message: z.string() }),
              execute: ({ message }, context) => {
                const attempt = increment(notifyAttempts, context.idempotencyKey);
                const fault = toolFault('notify', Number(message.split(' ')[1]), attempt);
                // Only failures reported before the effect: they are known not to have acted, so
                // the workflow retries them even though the tool is not idempotent.
                if (fault) {
                  increment(toolFaults, 'notify:fail_before_effect');
                  throw new Error('mail server refused the connection');
                }
                increment(notificationsSent, context.idempotencyKey);
                return `notified ${message}`;
              },
            }),
          ],
        }),
      ],
      taskQueue: uniqueTaskQueue('chaos'),
      temporal: { address: temporalAddress() },
      llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
      // Answered tasks close soon, so the test can wait on workflow results instead of polling.
      idleTimeout: '2 seconds',
    });
    await zap.start();
    worker = await runInProcessWorker(zap);
  });

  afterAll(async () => {
    await (worker ? worker.stop() : zap?.stop());
    await llm?.close();
    failures?.restore();
  });

  test('all complete, none lost, every side effect applied once', async () => {
    const startedAt = Date.now();
    const taskIds = await Promise.all(
      Array.from({ length: TASK_COUNT }, async (_, index) => {
        const task = await zap.executeTask({ agentName: 'Chaos', task: `Task #${index}: charge ${index} and notify.` });
        return task.id;
      }),
    );
    const results = await Promise.all(
      taskIds.map((taskId) => zap.client.workflow.getHandle(taskId).result() as Promise<AgentWorkflowResult>),
    );
    const wallMs = Date.now() - startedAt;

    // All complete, none lost: each task answered its own request.
    expect(results.map((result) => [result.status, result.result])).toEqual(
      taskIds.map((_, index) => ['completed', `done ${index}`]),
    );
    expect(new Set(taskIds).size).toBe(TASK_COUNT);

    // No duplicated side effects: one charge and one notification per task, each applied once,
    // under the idempotency key of its own tool call.
    const keysOf = (map: Map<string, number>) => [...map.keys()].map((key) => key.slice(0, key.indexOf('/'))).sort();
    expect(keysOf(chargesApplied)).toEqual([...taskIds].sort());
    expect(keysOf(notificationsSent)).toEqual([...taskIds].sort());
    expect([...chargesApplied.values()].every((count) => count === 1)).toBe(true);
    expect([...notificationsSent.values()].every((count) => count === 1)).toBe(true);

    // No model call that succeeded was made again, and none is missing: two answers per task.
    expect(answersPerTurn.size).toBe(TASK_COUNT * 2);
    expect([...answersPerTurn.values()].every((count) => count === 1)).toBe(true);

    // No message lost: each task's last model call saw its request and both tool results.
    expect(finalRequests.size).toBe(TASK_COUNT);
    for (const [index, request] of finalRequests) {
      const messages = request.body.messages as Array<{ role: string; content: string; tool_calls?: unknown[] }>;
      expect(messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool']);
      expect(messages[2]!.tool_calls).toHaveLength(2);
      expect(messages.slice(3).map((message) => message.content)).toEqual([`charged ${index}`, `notified task ${index}`]);
    }

    const totalRequests = llm.requestCount();
    const injected = Object.fromEntries([...llmFaults.entries()].sort());
    const sum = (map: Map<unknown, number>) => [...map.values()].reduce((total, value) => total + value, 0);
    const figures = {
      tasks: TASK_COUNT,
      wallSeconds: Number((wallMs / 1000).toFixed(1)),
      tasksPerSecond: Number((TASK_COUNT / (wallMs / 1000)).toFixed(2)),
      llmRequests: totalRequests,
      llmRetries: totalRequests - TASK_COUNT * 2,
      injectedLlmFaults: injected,
      slowAnswers,
      injectedToolFaults: Object.fromEntries([...toolFaults.entries()].sort()),
      toolRetries: sum(chargeAttempts) + sum(notifyAttempts) - TASK_COUNT * 2,
      failedActivityAttempts: failures.counts,
    };
    console.log(`chaos figures (seed ${SEED}; wall time includes the 2 s idle close):\n${JSON.stringify(figures, null, 2)}`);
    // Every fault forced exactly one more request: retries are the faults, nothing else.
    expect(figures.llmRetries).toBe(sum(llmFaults));
    expect(figures.toolRetries).toBe(sum(toolFaults));
  });
});
