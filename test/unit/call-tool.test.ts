import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { HEARTBEAT_WORKER_IDENTITY } from '../../src/activities/heartbeats';
import { z } from 'zod';
import { tool, type ToolExecutionContext } from '../../src/agent/tool';
import { ZapAgent } from '../../src/agent/zap-agent';
import type { CallToolInput, ZapActivities } from '../../src/core/activity-contracts';
import { ModelRegistry } from '../../src/llm/model-registry';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { createActivityEnvironment, createTestActivities, failingConversationReader, failureOf, runActivity } from '../support/activity-test-kit';

interface RecordedCall {
  args: unknown;
  context: Omit<ToolExecutionContext<unknown>, 'signal'>;
  signal: AbortSignal;
}

const calls: RecordedCall[] = [];

const getWeather = tool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string().min(1), days: z.number().int().positive().default(1) }),
  execute: async (args, { signal, ...context }) => {
    calls.push({ args, context, signal });
    return `Sunny in ${args.city} for ${args.days} day(s)`;
  },
});

const lookupOrder = tool({
  name: 'lookup_order',
  description: 'Finds an order',
  parameters: z.object({ orderId: z.string() }),
  execute: ({ orderId }) => ({ orderId, status: 'shipped', items: [{ sku: 'A1', quantity: 2 }] }),
});

const chargeCard = tool({
  name: 'charge_card',
  description: 'Charges a card',
  parameters: z.object({ amount: z.number() }),
  execute: async () => {
    throw new Error('card declined by the bank');
  },
});

const doNothing = tool({
  name: 'do_nothing',
  description: 'Returns nothing',
  parameters: z.object({}),
  execute: () => undefined,
});

const support = new ZapAgent({
  name: 'Support',
  prompt: 'You help customers.',
  tools: [getWeather, lookupOrder, chargeCard, doNothing],
  subAgents: ['Billing'],
});
const billing = new ZapAgent({ name: 'Billing', prompt: 'You handle invoices.' });

/** Runs of the export tools: each must run once, whatever the size of its result. */
let exportRuns = 0;

function exportTool(name: string, maxResultBytes?: number) {
  return tool({
    name,
    description: 'Exports rows',
    parameters: z.object({ bytes: z.number().int() }),
    ...(maxResultBytes !== undefined ? { maxResultBytes } : {}),
    execute: ({ bytes }) => {
      exportRuns += 1;
      return 'r'.repeat(bytes);
    },
  });
}

const returnBigInt = tool({
  name: 'return_bigint',
  description: 'Returns a value JSON cannot hold',
  parameters: z.object({}),
  execute: () => {
    exportRuns += 1;
    return { total: BigInt(10) };
  },
});

const narrowExporter = new ZapAgent({
  name: 'NarrowExporter',
  prompt: 'You export.',
  maxToolResultBytes: 2048,
  tools: [exportTool('export_rows'), exportTool('export_wide', 200_000), returnBigInt],
});
const defaultExporter = new ZapAgent({ name: 'DefaultExporter', prompt: 'You export.', tools: [exportTool('export_rows')] });

const mcpPool = new McpConnectionPool();
let activities: ZapActivities;
let environment: MockActivityEnvironment;

beforeAll(() => {
  activities = createTestActivities({
    agents: [support, billing, narrowExporter, defaultExporter],
    mcpPool,
    models: new ModelRegistry({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'unused' }),
    conversations: failingConversationReader('callTool must not read the conversation'),
    contexts: { read: async (taskId: string) => (contextReads.push(taskId), { customerId: `read-for-${taskId}` }) } as never,
  });
});

const contextReads: string[] = [];

beforeEach(() => {
  calls.length = 0;
  exportRuns = 0;
  environment = createActivityEnvironment();
});

afterAll(async () => {
  await mcpPool.close();
});

function callInput(overrides: Partial<CallToolInput>): CallToolInput {
  return {
    taskId: 'task-1',
    agentName: 'Support',
    toolCallId: 'call_1',
    toolName: 'get_weather',
    arguments: { city: 'Paris' },
    ...overrides,
  };
}

describe('callTool activity', () => {
  it('runs a local tool with parsed arguments and the call context', async () => {
    const outcome = await runActivity(
      environment,
      activities.callTool,
      callInput({ toolCallId: 'call_42', arguments: { city: 'Paris' }, context: { customerId: 'c-7' } }),
    );

    expect(outcome).toEqual({ content: 'Sunny in Paris for 1 day(s)', isError: false });
    expect(calls).toHaveLength(1);
    // The schema default was applied before execute ran.
    expect(calls[0]?.args).toEqual({ city: 'Paris', days: 1 });
    expect(calls[0]?.context).toEqual({
      context: { customerId: 'c-7' },
      taskId: 'task-1',
      agentName: 'Support',
      toolCallId: 'call_42',
      idempotencyKey: 'task-1/call_42',
    });
    expect(calls[0]?.signal).toBe(environment.context.cancellationSignal);
  });

  it('reads the context from the workflow when the input says the task has one, and not otherwise', async () => {
    contextReads.length = 0;
    await runActivity(environment, activities.callTool, callInput({ toolCallId: 'call_a', hasContext: true }));
    expect(calls.at(-1)?.context.context).toEqual({ customerId: 'read-for-task-1' });
    expect(contextReads).toEqual(['task-1']);
    await runActivity(environment, activities.callTool, callInput({ toolCallId: 'call_b' }));
    expect(calls.at(-1)?.context.context).toBeUndefined();
    expect(contextReads).toEqual(['task-1']);
  });

  it('JSON-stringifies object results and gives an empty string for undefined', async () => {
    const order = await runActivity(environment, activities.callTool, callInput({ toolName: 'lookup_order', arguments: { orderId: 'o-1' } }));
    expect(order.isError).toBe(false);
    expect(JSON.parse(order.content)).toEqual({ orderId: 'o-1', status: 'shipped', items: [{ sku: 'A1', quantity: 2 }] });

    const nothing = await runActivity(environment, activities.callTool, callInput({ toolName: 'do_nothing', arguments: {} }));
    expect(nothing).toEqual({ content: '', isError: false });
  });

  it('fails permanently with TOOL_ARGUMENTS_INVALID when the arguments do not match the schema', async () => {
    const failure = await failureOf(
      runActivity(environment, activities.callTool, callInput({ arguments: { city: 42, days: -1 } })),
    );
    expect(failure.type).toBe('TOOL_ARGUMENTS_INVALID');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^Invalid arguments for get_weather: /);
    expect(failure.message).toContain('city');
    expect(failure.message).toContain('days');
    expect(calls).toHaveLength(0);
  });

  it('fails permanently with TOOL_NOT_FOUND listing the agent tools for an unknown tool', async () => {
    const failure = await failureOf(runActivity(environment, activities.callTool, callInput({ toolName: 'send_email' })));
    expect(failure.type).toBe('TOOL_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      "Unknown tool 'send_email'. Available tools: get_weather, lookup_order, charge_card, do_nothing, message_agent.",
    );
  });

  it('says "none" when the agent has no tools', async () => {
    const failure = await failureOf(
      runActivity(environment, activities.callTool, callInput({ agentName: 'Billing', toolName: 'get_weather' })),
    );
    expect(failure.type).toBe('TOOL_NOT_FOUND');
    expect(failure.message).toBe("Unknown tool 'get_weather'. Available tools: none.");
  });

  it('refuses message_agent, which the workflow runs itself', async () => {
    const failure = await failureOf(
      runActivity(environment, activities.callTool, callInput({ toolName: 'message_agent', arguments: { agent: 'Billing' } })),
    );
    expect(failure.type).toBe('TOOL_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
  });

  it('turns an error thrown by the tool into a retryable TOOL_EXECUTION failure', async () => {
    const failure = await failureOf(
      runActivity(environment, activities.callTool, callInput({ toolName: 'charge_card', arguments: { amount: 10 } })),
    );
    expect(failure.type).toBe('TOOL_EXECUTION');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('Tool charge_card failed: card declined by the bank');
  });
});

describe('callToolAtMostOnce activity', () => {
  /** An environment of `attempt`, after a first attempt whose last heartbeat named `worker`; records sticky resets. */
  function environmentOfAttempt(attempt: number, worker?: string) {
    const resets: unknown[] = [];
    const fake = {
      workflowService: { resetStickyTaskQueue: async (request: unknown) => (resets.push(request), {}) },
      withAbortSignal: <R>(_signal: AbortSignal, work: () => Promise<R>) => work(),
    };
    const client = fake as unknown as Client;
    const mock = new MockActivityEnvironment(
      {
        attempt,
        heartbeatTimeoutMs: 4_000,
        workflowExecution: { workflowId: 'task-1', runId: 'run-1' },
        ...(worker !== undefined ? { heartbeatDetails: { worker } } : {}),
      },
      { logger: new DefaultLogger('ERROR'), client },
    );
    return { attemptEnvironment: mock, resets };
  }

  it('runs the tool on its first attempt', async () => {
    const { attemptEnvironment, resets } = environmentOfAttempt(1);
    const outcome = await runActivity(attemptEnvironment, activities.callToolAtMostOnce, callInput({}));
    expect(outcome).toEqual({ content: 'Sunny in Paris for 1 day(s)', isError: false });
    expect(calls).toHaveLength(1);
    expect(resets).toEqual([]);
  });

  it('makes each failure of its first attempt final for Temporal, keeping what the tool reported as the cause', async () => {
    const { attemptEnvironment } = environmentOfAttempt(1);
    const thrown = await failureOf(
      runActivity(attemptEnvironment, activities.callToolAtMostOnce, callInput({ toolName: 'charge_card', arguments: { amount: 10 } })),
    );
    expect(thrown).toMatchObject({ type: 'AT_MOST_ONCE_ATTEMPT', nonRetryable: true, message: 'Tool charge_card failed: card declined by the bank' });
    expect(thrown.cause).toBeInstanceOf(ApplicationFailure);
    expect(thrown.cause).toMatchObject({ type: 'TOOL_EXECUTION', nonRetryable: false, message: 'Tool charge_card failed: card declined by the bank' });

    const unknown = await failureOf(runActivity(attemptEnvironment, activities.callToolAtMostOnce, callInput({ toolName: 'no_such_tool' })));
    expect(unknown).toMatchObject({ type: 'AT_MOST_ONCE_ATTEMPT', nonRetryable: true });
    expect(unknown.cause).toMatchObject({ type: 'TOOL_NOT_FOUND', nonRetryable: true });
  });

  it('on a second attempt does not run the tool: it reports the outcome unknown and takes the stickiness over from a dead worker', async () => {
    const { attemptEnvironment, resets } = environmentOfAttempt(2, '123@elsewhere/abcd');
    const failure = await failureOf(runActivity(attemptEnvironment, activities.callToolAtMostOnce, callInput({})));
    expect(failure).toMatchObject({ type: 'TOOL_OUTCOME_UNKNOWN', nonRetryable: true });
    expect(failure.message).toBe('Tool get_weather did not report back: the attempt running it timed out (its worker may have stopped)');
    expect(calls).toEqual([]);
    expect(resets).toEqual([expect.objectContaining({ execution: { workflowId: 'task-1', runId: 'run-1' } })]);
  });

  it('on a second attempt after its own worker timed out, reports the outcome unknown without resetting stickiness', async () => {
    const { attemptEnvironment, resets } = environmentOfAttempt(2, HEARTBEAT_WORKER_IDENTITY);
    expect(await failureOf(runActivity(attemptEnvironment, activities.callToolAtMostOnce, callInput({})))).toMatchObject({ type: 'TOOL_OUTCOME_UNKNOWN' });
    expect(calls).toEqual([]);
    expect(resets).toEqual([]);
  });
});

describe('callTool result bounds', () => {
  const exportCall = (agentName: string, toolName: string, bytes: number) =>
    runActivity(environment, activities.callTool, callInput({ agentName, toolName, arguments: { bytes } }));

  it('cuts a result over the default 64 KiB and tells the model, running the tool once', async () => {
    const outcome = await exportCall('DefaultExporter', 'export_rows', 3_000_000);
    expect(Buffer.byteLength(outcome.content)).toBeLessThanOrEqual(65_536);
    expect(outcome.content).toMatch(/\[Result truncated: the first [\d,]+ of 3,000,000 bytes \(3\.0 MB\) are shown\./);
    expect(outcome.isError).toBe(false);
    expect(exportRuns).toBe(1);
  });

  it("uses the agent's maxToolResultBytes for a tool without its own bound", async () => {
    const outcome = await exportCall('NarrowExporter', 'export_rows', 10_000);
    expect(Buffer.byteLength(outcome.content)).toBeLessThanOrEqual(2048);
    expect(outcome.content).toContain('of 10,000 bytes');
  });

  it("prefers the tool's maxResultBytes to the agent's", async () => {
    expect((await exportCall('NarrowExporter', 'export_wide', 150_000)).content).toBe('r'.repeat(150_000));
    const cut = await exportCall('NarrowExporter', 'export_wide', 300_000);
    expect(Buffer.byteLength(cut.content)).toBeLessThanOrEqual(200_000);
    expect(Buffer.byteLength(cut.content)).toBeGreaterThan(199_000);
  });

  it('turns a result JSON cannot hold into an error result, not a failure that would run the tool again', async () => {
    const outcome = await runActivity(
      environment,
      activities.callTool,
      callInput({ agentName: 'NarrowExporter', toolName: 'return_bigint', arguments: {} }),
    );
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/^Error: return_bigint ran, but its result could not be converted to JSON \(.*BigInt.*\)\.$/);
    expect(exportRuns).toBe(1);
  });

  it('cuts a very long error message of a tool, keeping the failure retryable', async () => {
    const failing = tool({
      name: 'fail_long',
      description: 'Fails at length',
      parameters: z.object({}),
      execute: () => {
        throw new Error('e'.repeat(1_000_000));
      },
    });
    const loud = createTestActivities({
      agents: [new ZapAgent({ name: 'Loud', prompt: 'p', tools: [failing] })],
      mcpPool,
      models: new ModelRegistry({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'unused' }),
    });
    const failure = await failureOf(
      runActivity(environment, loud.callTool, callInput({ agentName: 'Loud', toolName: 'fail_long', arguments: {} })),
    );
    expect(failure).toMatchObject({ type: 'TOOL_EXECUTION', nonRetryable: false });
    expect(Buffer.byteLength(failure.message)).toBeLessThanOrEqual(16 * 1024);
    expect(failure.message).toMatch(/^Tool fail_long failed: eee.*\n\[Message truncated: the first [\d,]+ of 1,000,023 bytes are shown\.\]$/s);
  });
});
