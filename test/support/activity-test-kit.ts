import type { Client } from '@temporalio/client';
import { ModelPrices } from '../../src/llm/model-prices';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ContextReader } from '../../src/activities/context-reader';
import type { ConversationReader } from '../../src/activities/conversation-reader';
import { createActivities } from '../../src/activities/create-activities';
import type { ZapAgent } from '../../src/agent/zap-agent';
import type { ZapActivities } from '../../src/core/activity-contracts';
import type { ModelRegistry } from '../../src/llm/model-registry';
import type { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { AgentToolbox } from '../../src/tools/agent-toolbox';

/**
 * What activity unit tests share: activities built over a list of agents, a mock activity context,
 * and the `ApplicationFailure` an activity fails with.
 */

/** Options of {@link createTestActivities}. */
export interface TestActivitiesOptions {
  agents: readonly ZapAgent<any>[];
  /** The pool the agents' toolbox uses (close it after the tests). */
  mcpPool: McpConnectionPool;
  models: ModelRegistry;
  /** @default a reader whose `read` throws */
  conversations?: ConversationReader;
  /** @default a reader that answers with no context */
  contexts?: ContextReader;
  /** @default the bundled price data only */
  prices?: ModelPrices;
}

/** zap-agents' activities over `agents`, with a toolbox on `mcpPool`. */
export function createTestActivities(options: TestActivitiesOptions): ZapActivities {
  const agents = new Map(options.agents.map((agent) => [agent.name, agent]));
  return createActivities({
    agents,
    toolbox: new AgentToolbox(agents, options.mcpPool),
    mcpPool: options.mcpPool,
    models: options.models,
    prices: options.prices ?? new ModelPrices(),
    conversations: options.conversations ?? failingConversationReader('this test reads no conversation'),
    contexts: options.contexts ?? ({ read: async () => undefined } as unknown as ContextReader),
    // Unit tests of the model and tool activities never check sub-tasks.
    client: new Proxy({} as Client, {
      get() {
        throw new Error('this test has no Temporal client');
      },
    }),
  });
}

/** A conversation reader whose `read` rejects with `message`; `remember` does nothing. */
export function failingConversationReader(message: string): ConversationReader {
  return {
    read: async () => {
      throw new Error(message);
    },
    remember: () => undefined,
  } as unknown as ConversationReader;
}

/** A mock activity context inside workflow `workflowId` (run `run-1`), logging errors only. */
export function createActivityEnvironment(workflowId = 'task-1'): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { workflowExecution: { workflowId, runId: 'run-1' } },
    { logger: new DefaultLogger('ERROR') },
  );
}

/** `MockActivityEnvironment.run` with the activity's own result type. */
export function runActivity<TArgs extends unknown[], TResult>(
  environment: MockActivityEnvironment,
  activity: (...args: TArgs) => Promise<TResult>,
  ...args: TArgs
): Promise<TResult> {
  return environment.run(activity, ...args) as Promise<TResult>;
}

/** The `ApplicationFailure` `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}
