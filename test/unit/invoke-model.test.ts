import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { z } from 'zod';
import type { ConversationReader } from '../../src/activities/conversation-reader';
import { tool } from '../../src/agent/tool';
import { ZapAgent } from '../../src/agent/zap-agent';
import type { InvokeModelInput, ZapActivities } from '../../src/core/activity-contracts';
import type { ChatMessage } from '../../src/core/messages';
import { ModelRegistry } from '../../src/llm/model-registry';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import { createActivityEnvironment, createTestActivities, failingConversationReader, failureOf, runActivity } from '../support/activity-test-kit';

const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You help customers.' },
  { role: 'user', content: 'What is the weather in Paris?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  },
  { role: 'tool', tool_call_id: 'call_a', content: 'Sunny' },
];

class FakeConversationReader {
  readonly reads: Array<{ workflowId: string; runId: string; count: number }> = [];
  readonly remembered: Array<{ workflowId: string; runId: string; index: number; message: ChatMessage }> = [];

  async read(workflowId: string, runId: string, count: number): Promise<ChatMessage[]> {
    this.reads.push({ workflowId, runId, count });
    return CONVERSATION.slice(0, count);
  }

  remember(workflowId: string, runId: string, index: number, message: ChatMessage): void {
    this.remembered.push({ workflowId, runId, index, message });
  }
}

const getWeather = tool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => `Sunny in ${city}`,
});

const support = new ZapAgent({
  name: 'Support',
  prompt: 'You help customers.',
  model: 'gpt-4o-mini',
  temperature: 0.2,
  maxTokens: 256,
  tools: [getWeather],
});
const plain = new ZapAgent({ name: 'Plain', prompt: 'No tools here.' });

let server: ScriptedLlmServer;
let reader: FakeConversationReader;
let activities: ZapActivities;
let environment: MockActivityEnvironment;
const mcpPool = new McpConnectionPool();

beforeAll(async () => {
  server = await ScriptedLlmServer.start();
});

afterAll(async () => {
  await server.close();
  await mcpPool.close();
});

beforeEach(() => {
  server.reset();
  reader = new FakeConversationReader();
  activities = createTestActivities({
    agents: [support, plain],
    mcpPool,
    models: new ModelRegistry({ baseURL: server.baseURL, apiKey: 'test-key' }),
    conversations: reader as unknown as ConversationReader,
  });
  environment = createActivityEnvironment();
});

function input(overrides: Partial<InvokeModelInput> = {}): InvokeModelInput {
  return { taskId: 'task-1', agentName: 'Support', messageCount: CONVERSATION.length, iteration: 1, callIndex: 1, ...overrides };
}

describe('invokeModel activity', () => {
  it('sends the conversation from the reader and the agent tools, and returns the answer', async () => {
    server.enqueue(scripted.text('It is sunny in Paris.', { usage: { promptTokens: 42, completionTokens: 7 } }));

    const result = await runActivity(environment, activities.invokeModel, input());

    expect(result).toEqual({
      message: { role: 'assistant', content: 'It is sunny in Paris.' },
      usage: { promptTokens: 42, completionTokens: 7 },
      finishReason: 'stop',
      toolHints: {},
      // gpt-4o-mini at the bundled price ($0.15 / $0.60 per million tokens): 42 × 150 + 7 × 600 nano-dollars.
      costNanoUsd: 10_500,
    });
    expect(reader.reads).toEqual([{ workflowId: 'task-1', runId: 'run-1', count: 4 }]);

    const [request] = server.requests;
    expect(server.requests).toHaveLength(1);
    expect(request?.headers.authorization).toBe('Bearer test-key');
    expect(request?.body.model).toBe('gpt-4o-mini');
    expect(request?.body.temperature).toBe(0.2);
    expect(request?.body.max_tokens).toBe(256);
    expect(request?.body.messages).toEqual(CONVERSATION);
    expect(request?.body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ]);
  });

  it('sends only the first messageCount messages', async () => {
    server.enqueue(scripted.text('Let me check.'));
    await runActivity(environment, activities.invokeModel, input({ messageCount: 2 }));
    expect(server.requests[0]?.body.messages).toEqual(CONVERSATION.slice(0, 2));
  });

  it('sends no tools field for an agent without tools', async () => {
    server.enqueue(scripted.text('Hello.'));
    await runActivity(environment, activities.invokeModel, input({ agentName: 'Plain' }));
    expect(server.requests[0]?.body).not.toHaveProperty('tools');
    expect(server.requests[0]?.body.model).toBe('gpt-4o');
  });

  it('bounds the answer at 4096 completion tokens for an agent that sets no maxTokens', async () => {
    server.enqueue(scripted.text('Hello.'));
    await runActivity(environment, activities.invokeModel, input({ agentName: 'Plain' }));
    expect(server.requests[0]?.body.max_tokens).toBe(4096);
  });

  it('fails for good with MODEL_RESULT_TOO_LARGE when the answer cannot be stored', async () => {
    server.enqueue(scripted.text('y'.repeat(1_200_000)));
    const failure = await failureOf(runActivity(environment, activities.invokeModel, input()));
    expect(failure).toMatchObject({ type: 'MODEL_RESULT_TOO_LARGE', nonRetryable: true });
    expect(failure.message).toMatch(/^The model answer of 1,200,\d{3} bytes is over the 1,048,576 bytes/);
    expect(failure.message).toContain('maxTokens (256)');
    expect(server.requestCount()).toBe(1);
  });

  it('never caches its own answer: the workflow may not record it (an attempt past its timeout)', async () => {
    server.enqueue(scripted.text('Done.'));
    await runActivity(environment, activities.invokeModel, input({ messageCount: 4 }));
    expect(reader.remembered).toEqual([]);
  });

  it('returns tool calls as tool_calls', async () => {
    server.enqueue(
      scripted.toolCalls([
        { id: 'call_x', name: 'get_weather', arguments: { city: 'Rome' } },
        { id: 'call_y', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ]),
    );
    const result = await runActivity(environment, activities.invokeModel, input({ messageCount: 2 }));
    expect(result.finishReason).toBe('tool_calls');
    expect(result.message).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        { id: 'call_y', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ],
    });
  });

  it('fails permanently on a 400 with the provider message', async () => {
    server.enqueue(scripted.error(400, "This model's maximum context length is 8192 tokens", { code: 'context_length_exceeded' }));
    const failure = await failureOf(runActivity(environment, activities.invokeModel, input()));
    expect(failure.type).toBe('LLM_PROVIDER');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain("This model's maximum context length is 8192 tokens");
    expect(failure.message).toContain('400');
    expect(failure.details).toEqual([{ status: 400 }]);
    expect(reader.remembered).toEqual([]);
  });

  it('fails retryably on a 429 with the retry-after delay as the next retry delay', async () => {
    server.enqueue(scripted.error(429, 'Rate limit reached', { retryAfterSeconds: 2 }));
    const failure = await failureOf(runActivity(environment, activities.invokeModel, input()));
    expect(failure.type).toBe('LLM_PROVIDER');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(failure.message).toContain('Rate limit reached');
    // The OpenAI client's own retries are off: Temporal does the retrying.
    expect(server.requestCount()).toBe(1);
  });

  it('fails retryably when the provider answers 500', async () => {
    server.enqueue(scripted.error(500, 'upstream exploded'));
    const failure = await failureOf(runActivity(environment, activities.invokeModel, input()));
    expect(failure).toMatchObject({ type: 'LLM_PROVIDER', nonRetryable: false });
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('fails permanently with AGENT_NOT_FOUND for an agent this worker does not know', async () => {
    const failure = await failureOf(runActivity(environment, activities.invokeModel, input({ agentName: 'Sales' })));
    expect(failure).toMatchObject({ type: 'AGENT_NOT_FOUND', nonRetryable: true });
    expect(server.requestCount()).toBe(0);
  });

  it('fails retryably when the conversation cannot be read', async () => {
    const failing = createTestActivities({
      agents: [support, plain],
      mcpPool,
      models: new ModelRegistry({ baseURL: server.baseURL, apiKey: 'test-key' }),
      conversations: failingConversationReader('query timed out'),
    });
    const failure = await failureOf(runActivity(environment, failing.invokeModel, input()));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('query timed out');
    expect(server.requestCount()).toBe(0);
  });
});

describe('invokeModelWithinBudget activity', () => {
  /** $0.10 left: gpt-4o-mini's 256 completion tokens fit. */
  const budget = { remainingNanoUsd: 100_000_000 };

  /** An environment of `attempt` whose previous attempt's last heartbeat was `heartbeatDetails`; records heartbeats and sticky resets. */
  function environmentOfAttempt(attempt: number, heartbeatDetails?: unknown) {
    const resets: unknown[] = [];
    const beats: unknown[] = [];
    const fake = {
      workflowService: { resetStickyTaskQueue: async (request: unknown) => (resets.push(request), {}) },
      withAbortSignal: <R>(_signal: AbortSignal, work: () => Promise<R>) => work(),
    };
    const attemptEnvironment = new MockActivityEnvironment(
      {
        attempt,
        heartbeatTimeoutMs: 4_000,
        workflowExecution: { workflowId: 'task-1', runId: 'run-1' },
        ...(heartbeatDetails !== undefined ? { heartbeatDetails } : {}),
      },
      { logger: new DefaultLogger('ERROR'), client: fake as unknown as Client },
    );
    attemptEnvironment.on('heartbeat', (details: unknown) => beats.push(details));
    return { attemptEnvironment, resets, beats };
  }

  /** The worst case a first attempt of `input({ budget })` heartbeats as it starts. */
  async function firstAttemptCharge(): Promise<{ nanoUsd: number; tokens: number }> {
    server.enqueue(scripted.text('Sunny.', { usage: { promptTokens: 40, completionTokens: 2 } }));
    const { attemptEnvironment, beats } = environmentOfAttempt(1);
    await runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget }));
    const charge = (beats[0] as { budgetCharge?: { nanoUsd: number; tokens: number } }).budgetCharge;
    expect(charge).toEqual({ nanoUsd: expect.any(Number), tokens: expect.any(Number) });
    server.reset();
    reader.reads.length = 0;
    return charge!;
  }

  it('calls the model on its first attempt, heartbeating the worst case it was allowed', async () => {
    server.enqueue(scripted.text('Sunny.', { usage: { promptTokens: 40, completionTokens: 2 } }));
    const { attemptEnvironment, beats, resets } = environmentOfAttempt(1);
    const result = await runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget }));
    expect(result).toMatchObject({ message: { role: 'assistant', content: 'Sunny.' }, usage: { promptTokens: 40, completionTokens: 2 } });
    expect(server.requests).toHaveLength(1);
    // 256 completion tokens at $0.60 per million plus the prompt bound at $0.15 per million.
    const [beat] = beats as Array<{ budgetCharge: { nanoUsd: number; tokens: number } }>;
    expect(beat!.budgetCharge.tokens).toBeGreaterThan(256);
    expect(beat!.budgetCharge.nanoUsd).toBe((beat!.budgetCharge.tokens - 256) * 150 + 256 * 600);
    expect(resets).toEqual([]);
  });

  it('makes each failure of its first attempt final for Temporal, keeping the failure itself as the cause', async () => {
    server.enqueue(scripted.error(429, 'Rate limit reached', { retryAfterSeconds: 2 }));
    const { attemptEnvironment } = environmentOfAttempt(1);
    const limited = await failureOf(runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget })));
    expect(limited).toMatchObject({ type: 'AT_MOST_ONCE_ATTEMPT', nonRetryable: true });
    expect(limited.cause).toBeInstanceOf(ApplicationFailure);
    expect(limited.cause).toMatchObject({ type: 'LLM_PROVIDER', nonRetryable: false, nextRetryDelay: 2000 });

    // A call whose worst case does not fit is refused before anything is sent.
    const refused = await failureOf(runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget: { remainingNanoUsd: 1_000 } })));
    expect(refused).toMatchObject({ type: 'AT_MOST_ONCE_ATTEMPT', nonRetryable: true });
    expect(refused.cause).toMatchObject({ type: 'BUDGET_WOULD_EXCEED', nonRetryable: true, details: [expect.objectContaining({ limit: 'usd' })] });
    expect(server.requests).toHaveLength(1);
  });

  it('on a second attempt calls no model: it reports the outcome unknown with the worst case the first heartbeated, and takes the stickiness over', async () => {
    const charge = { nanoUsd: 2_000_000, tokens: 3_000 };
    const { attemptEnvironment, resets } = environmentOfAttempt(2, { worker: '123@elsewhere/abcd', budgetCharge: charge });
    const failure = await failureOf(runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget })));
    expect(failure).toMatchObject({ type: 'MODEL_OUTCOME_UNKNOWN', nonRetryable: true, details: [{ budgetCharge: charge }] });
    expect(server.requestCount()).toBe(0);
    // The heartbeat said it all: the conversation is not read again.
    expect(reader.reads).toEqual([]);
    expect(resets).toEqual([expect.objectContaining({ execution: { workflowId: 'task-1', runId: 'run-1' } })]);
  });

  it('on a second attempt after a first that died before its heartbeat reached the server, plans the same call again for its worst case', async () => {
    const charge = await firstAttemptCharge();
    const { attemptEnvironment, resets } = environmentOfAttempt(2);
    const failure = await failureOf(runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget })));
    expect(failure).toMatchObject({ type: 'MODEL_OUTCOME_UNKNOWN', details: [{ budgetCharge: charge }] });
    expect(reader.reads).toEqual([{ workflowId: 'task-1', runId: 'run-1', count: 4 }]);
    expect(server.requestCount()).toBe(0);
    expect(resets).toHaveLength(1);
  });

  it('on a second attempt charges nothing for a call its plan refuses (it was never sent), and reports no charge when the conversation cannot be read', async () => {
    const { attemptEnvironment } = environmentOfAttempt(2);
    const refused = await failureOf(runActivity(attemptEnvironment, activities.invokeModelWithinBudget, input({ budget: { remainingNanoUsd: 1_000 } })));
    expect(refused).toMatchObject({ type: 'MODEL_OUTCOME_UNKNOWN', details: [{ budgetCharge: { nanoUsd: 0, tokens: 0 } }] });

    const unreadable = createTestActivities({
      agents: [support, plain],
      mcpPool,
      models: new ModelRegistry({ baseURL: server.baseURL, apiKey: 'test-key' }),
      conversations: failingConversationReader('query timed out'),
    });
    const unknown = await failureOf(runActivity(environmentOfAttempt(2).attemptEnvironment, unreadable.invokeModelWithinBudget, input({ budget })));
    expect(unknown).toMatchObject({ type: 'MODEL_OUTCOME_UNKNOWN', details: [{}] });
    expect(server.requestCount()).toBe(0);
  });
});
