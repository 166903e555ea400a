import { z } from 'zod';
import {
  AgentNotFoundError,
  TaskNotFoundError,
  ZapAgent,
  ZapValidationError,
  tool,
} from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/** Resolves once `count` calls have arrived; each call waits for the barrier (proves parallelism). */
function createBarrier(count: number, timeoutMs = 10_000) {
  let arrived = 0;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return {
    async arrive(): Promise<void> {
      arrived += 1;
      if (arrived >= count) release();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${arrived} of ${count} calls ran concurrently`)), timeoutMs);
      });
      try {
        await Promise.race([opened, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

const barrier = { current: createBarrier(3) };
const toolLog: string[] = [];
let releaseBlockingTool: (() => void) | undefined;
let blockingToolStarted: (() => void) | undefined;

const lookup = tool({
  name: 'lookup',
  description: 'Looks up a key',
  parameters: z.object({ key: z.string(), delayMs: z.number().optional() }),
  execute: async ({ key, delayMs }) => {
    await barrier.current.arrive();
    // Later calls finish first, so call order ≠ completion order.
    await new Promise((resolve) => setTimeout(resolve, delayMs ?? 0));
    toolLog.push(key);
    return `value-of-${key}`;
  },
});

const explode = tool({
  name: 'explode',
  description: 'Always fails',
  parameters: z.object({}),
  execute: async () => {
    throw new Error('the warehouse is on fire');
  },
});

const multiply = tool({
  name: 'multiply',
  description: 'Multiplies two numbers',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => ({ product: a * b }),
});

const waitForRelease = tool({
  name: 'wait_for_release',
  description: 'Blocks until the test releases it',
  parameters: z.object({}),
  execute: async () => {
    blockingToolStarted?.();
    await new Promise<void>((resolve) => (releaseBlockingTool = resolve));
    return 'released';
  },
});

const assistant = new ZapAgent({
  name: 'Assistant',
  prompt: 'You are a test assistant.',
  model: 'scripted-model',
  tools: [lookup, explode, multiply, waitForRelease],
  retry: { tool: { maximumAttempts: 1 }, llm: { initialInterval: '100 ms', maximumAttempts: 3 } },
});

const limited = new ZapAgent({
  name: 'Limited',
  prompt: 'You loop.',
  model: 'scripted-model',
  tools: [multiply],
  maxIterations: 2,
});

describe('agent tasks on a real Temporal dev server', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [assistant, limited] });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    harness.llm.reset();
    toolLog.length = 0;
  });

  test('a plain completion has history [system, user, assistant]', async () => {
    harness.llm.enqueue(scripted.text('Hello there!', { usage: { promptTokens: 12, completionTokens: 3 } }));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Say hello' });
    expect(started.id).toMatch(/^Assistant-[0-9a-f]{16}$/);
    expect(started.agentName).toBe('Assistant');

    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Hello there!');
    expect(task.history).toEqual([
      { role: 'system', content: 'You are a test assistant.' },
      { role: 'user', content: 'Say hello' },
      { role: 'assistant', content: 'Hello there!' },
    ]);
    expect(task.usage).toEqual({ promptTokens: 12, completionTokens: 3 });
    expect(task.isSuccessful()).toBe(true);
    expect(task.turnCount()).toBe(1);
    expect(harness.llm.requests).toHaveLength(1);
    expect(harness.llm.requests[0]?.body.model).toBe('scripted-model');
    expect(harness.llm.requests[0]?.headers.authorization).toBe('Bearer test-key');
  });

  test('parallel tool calls run concurrently and enter history in call order', async () => {
    barrier.current = createBarrier(3);
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_a', name: 'lookup', arguments: { key: 'a', delayMs: 300 } },
        { id: 'call_b', name: 'lookup', arguments: { key: 'b', delayMs: 150 } },
        { id: 'call_c', name: 'lookup', arguments: { key: 'c', delayMs: 0 } },
      ]),
      scripted.text('a, b and c looked up'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Look up a, b, c' });
    const task = await waitForCompletion(harness.zap, started.id);

    expect(toolLog).toEqual(['c', 'b', 'a']);
    const toolMessages = task.history.filter((message) => message.role === 'tool');
    expect(toolMessages).toEqual([
      { role: 'tool', tool_call_id: 'call_a', content: 'value-of-a' },
      { role: 'tool', tool_call_id: 'call_b', content: 'value-of-b' },
      { role: 'tool', tool_call_id: 'call_c', content: 'value-of-c' },
    ]);
    expect(task.getToolCalls().map((call) => [call.name, call.arguments.key, call.result])).toEqual([
      ['lookup', 'a', 'value-of-a'],
      ['lookup', 'b', 'value-of-b'],
      ['lookup', 'c', 'value-of-c'],
    ]);
    // The second model call saw the results in call order.
    const secondRequest = harness.llm.requests[1]?.body.messages as Array<{ role: string; tool_call_id?: string }>;
    expect(secondRequest.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(['call_a', 'call_b', 'call_c']);
  });

  test('a failing tool becomes an error result the model sees', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_x', name: 'explode', arguments: {} }]),
      scripted.text('The tool failed, sorry.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Explode' });
    const task = await waitForCompletion(harness.zap, started.id);
    const toolMessage = task.history.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toContain('the warehouse is on fire');
    expect(toolMessage?.content).toMatch(/^Error: /);
    const seenByModel = harness.llm.requests[1]?.body.messages.at(-1);
    expect(seenByModel).toMatchObject({ role: 'tool', tool_call_id: 'call_x' });
    expect(seenByModel.content).toContain('the warehouse is on fire');
    expect(task.result).toBe('The tool failed, sorry.');
  });

  test('invalid arguments for a local tool go back to the model as an error, without running it', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_m', name: 'multiply', arguments: { a: 'six', b: 7 } }]),
      scripted.toolCalls([{ id: 'call_n', name: 'multiply', arguments: { a: 6, b: 7 } }]),
      scripted.text('42'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Multiply 6 by 7' });
    const task = await waitForCompletion(harness.zap, started.id);
    const [invalid, valid] = task.getToolCalls();
    expect(invalid?.result).toMatch(/^Error: Invalid arguments for multiply/);
    expect(invalid?.result).toContain('a');
    expect(valid?.result).toBe('{"product":42}');
  });

  test('malformed tool-call JSON and an unknown tool are reported to the model', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_bad', name: 'multiply', arguments: '{"a": 6, "b":' },
        { id: 'call_unknown', name: 'teleport', arguments: {} },
      ]),
      scripted.text('done'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Do odd things' });
    const task = await waitForCompletion(harness.zap, started.id);
    const [bad, unknown] = task.getToolCalls();
    expect(bad?.result).toMatch(/not valid JSON/);
    expect(unknown?.result).toMatch(/Unknown tool 'teleport'/);
    expect(unknown?.result).toContain('multiply');
  });

  test('a follow-up after completion reopens the task and keeps the conversation', async () => {
    harness.llm.enqueue(scripted.text('First answer'), scripted.text('Second answer'));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'First question' });
    await waitForCompletion(harness.zap, started.id);

    const followed = await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Second question' });
    expect(followed.id).toBe(started.id);
    const task = await waitForTask(harness.zap, started.id, (t) => t.result === 'Second answer');
    expect(task.status).toBe('completed');
    expect(task.history.map((message) => [message.role, message.content])).toEqual([
      ['system', 'You are a test assistant.'],
      ['user', 'First question'],
      ['assistant', 'First answer'],
      ['user', 'Second question'],
      ['assistant', 'Second answer'],
    ]);
    expect(task.turnCount()).toBe(2);
    expect(harness.llm.requests[1]?.body.messages).toHaveLength(4);
  });

  test('a follow-up that arrives mid-turn is used at the next model call', async () => {
    const started = new Promise<void>((resolve) => (blockingToolStarted = resolve));
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_wait', name: 'wait_for_release', arguments: {} }]),
      scripted.text('Handled both'),
    );
    const task = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Start something long' });
    await started;
    await harness.zap.executeTask({ followUpOnTask: task.id, task: 'Also do this' });
    releaseBlockingTool?.();

    const finished = await waitForCompletion(harness.zap, task.id);
    expect(finished.result).toBe('Handled both');
    expect(harness.llm.requests).toHaveLength(2);
    const messages = harness.llm.requests[1]?.body.messages as Array<{ role: string; content: unknown }>;
    expect(messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
    expect(messages.at(-1)?.content).toBe('Also do this');
  });

  test('max iterations fails the task and its Temporal run', async () => {
    harness.llm.setHandler(() => scripted.toolCalls([{ name: 'multiply', arguments: { a: 1, b: 1 } }]));
    const started = await harness.zap.executeTask({ agentName: 'Limited', task: 'Loop forever' });
    const task = await waitForTask(harness.zap, started.id, (t) => t.status === 'failed');
    expect(task.error).toMatch(/maxIterations \(2\)/);
    expect(harness.llm.requests).toHaveLength(2);
    const description = await harness.zap.client.workflow.getHandle(started.id).describe();
    expect(description.status.name).toBe('FAILED');
    await expect(harness.zap.client.workflow.getHandle(started.id).result()).rejects.toThrow();
  });

  test('a 400 from the provider fails the task with the provider message', async () => {
    harness.llm.enqueue(scripted.error(400, "Unsupported parameter: 'temperature'"));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Trigger a 400' });
    const task = await waitForTask(harness.zap, started.id, (t) => t.status === 'failed');
    expect(task.error).toContain("Unsupported parameter: 'temperature'");
    expect(task.error).toContain('400');
    expect(harness.llm.requests).toHaveLength(1);
    const description = await harness.zap.client.workflow.getHandle(started.id).describe();
    expect(description.status.name).toBe('FAILED');
  });

  test('a 429 with retry-after is retried: completed with exactly two requests', async () => {
    harness.llm.enqueue(scripted.error(429, 'Slow down', { retryAfterSeconds: 1 }), scripted.text('After the pause'));
    const started = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Rate limited' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('After the pause');
    expect(harness.llm.requests).toHaveLength(2);
    const [first, second] = harness.llm.requests;
    // The retry waited for the provider's retry-after (1 s), not the 100 ms backoff.
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(900);
  });

  test('cancelTask cancels the task and its Temporal run', async () => {
    const started = new Promise<void>((resolve) => (blockingToolStarted = resolve));
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_wait', name: 'wait_for_release', arguments: {} }]));
    const task = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Wait forever' });
    await started;
    await harness.zap.cancelTask(task.id, 'no longer needed');
    const cancelled = await waitForTask(harness.zap, task.id, (t) => t.status === 'cancelled');
    expect(cancelled.isComplete()).toBe(true);
    const description = await harness.zap.client.workflow.getHandle(task.id).describe();
    expect(description.status.name).toBe('CANCELLED');
    // Cancelling again is harmless.
    await harness.zap.cancelTask(task.id);
    releaseBlockingTool?.();
    expect(harness.llm.requests).toHaveLength(1);
  });

  test('bad input gives typed errors', async () => {
    await expect(harness.zap.executeTask({ agentName: 'Nobody', task: 'hi' })).rejects.toBeInstanceOf(AgentNotFoundError);
    await expect(harness.zap.executeTask({ agentName: 'Nobody', task: 'hi' })).rejects.toThrow(/Known agents: Assistant, Limited/);
    await expect(harness.zap.getTask('Assistant-does-not-exist')).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(harness.zap.executeTask({ agentName: 'Assistant' })).rejects.toBeInstanceOf(ZapValidationError);
    await expect(harness.zap.executeTask({ agentName: 'Assistant', task: '   ' })).rejects.toThrow(/empty/);
    await expect(
      harness.zap.executeTask({ agentName: 'Assistant', task: 'hi', context: { when: new Date() } }),
    ).rejects.toThrow(/context must be plain JSON: context\.when is an instance of Date/);
    await expect(harness.zap.executeTask({ followUpOnTask: 'Assistant-missing', task: 'hi' })).rejects.toBeInstanceOf(
      TaskNotFoundError,
    );
    expect(harness.llm.requests).toHaveLength(0);
  });

  test('the same taskId returns the same task', async () => {
    harness.llm.enqueue(scripted.text('Only once'));
    const taskId = `Assistant-idempotent-${Date.now()}`;
    const first = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Once', taskId });
    await waitForCompletion(harness.zap, taskId);
    const second = await harness.zap.executeTask({ agentName: 'Assistant', task: 'Once', taskId });
    expect(second.id).toBe(first.id);
    expect(second.result).toBe('Only once');
    expect(harness.llm.requests).toHaveLength(1);
  });
});
