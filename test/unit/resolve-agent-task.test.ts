import { z } from 'zod';
import { createResolveAgentTask, type TaskStartSettings } from '../../src/activities/resolve-agent-task';
import { ApprovalRules } from '../../src/core/approval-rules';
import { ZapAgent } from '../../src/agent/zap-agent';
import type { ResolveAgentTaskInput, ResolvedAgentTask } from '../../src/core/activity-contracts';
import { DEFAULT_EVENT_LOG_LIMIT, DEFAULT_INLINE_MESSAGE_BYTES } from '../../src/core/defaults';
import { ModelRegistry } from '../../src/llm/model-registry';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { createActivityEnvironment, createTestActivities, failureOf, runActivity } from '../support/activity-test-kit';

const Reply = z.object({ subject: z.string(), body: z.string() });
const support = new ZapAgent<{ orderId?: string } | undefined>({
  name: 'Support',
  prompt: (context) => `You answer about order ${context?.orderId ?? 'unknown'}.`,
  output: Reply,
  approvalRules: new ApprovalRules({ patterns: ['refund_*'] }),
});
const textOnly = new ZapAgent({ name: 'TextOnly', prompt: 'You read text.', model: 'gpt-3.5-turbo' });

const mcpPool = new McpConnectionPool();
const environment = createActivityEnvironment('order-workflow-1');

afterAll(async () => {
  await mcpPool.close();
});

describe('resolveAgentTask activity', () => {
  const activities = createTestActivities({ agents: [support, textOnly], mcpPool, models: new ModelRegistry(undefined) });
  const resolve = (input: ResolveAgentTaskInput): Promise<ResolvedAgentTask> => runActivity(environment, activities.resolveAgentTask, input);

  it("resolves the agent's settings with the context, and the Zap defaults without task settings", async () => {
    const resolved = await resolve({ agentName: 'Support', context: { orderId: 'A-1' } });
    expect(resolved).toEqual({
      agent: support.taskSettings({ orderId: 'A-1' }),
      eventLogLimit: DEFAULT_EVENT_LOG_LIMIT,
      inlineMessageBytes: DEFAULT_INLINE_MESSAGE_BYTES,
      searchAttributes: false,
    });
    expect(resolved.agent.systemPrompt).toBe('You answer about order A-1.');
    // The agent's output schema and its own approval rules travel with its settings.
    expect(resolved.agent.output?.jsonSchema).toMatchObject({ type: 'object', required: ['subject', 'body'] });
    expect(resolved.agent.approvalRules?.patterns).toEqual(['refund_*']);
  });

  it('fails for good with AGENT_NOT_FOUND, naming the agents the worker has', async () => {
    const failure = await failureOf(resolve({ agentName: 'Nobody' }));
    expect(failure.type).toBe('AGENT_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe("Agent 'Nobody' is not registered on this worker (its agents: Support, TextOnly).");
  });

  it('refuses images for a model that cannot see them, for good', async () => {
    const failure = await failureOf(resolve({ agentName: 'TextOnly', withImages: true }));
    expect(failure.type).toBe('VISION_NOT_SUPPORTED');
    expect(failure.nonRetryable).toBe(true);
    await expect(resolve({ agentName: 'TextOnly' })).resolves.toMatchObject({ agent: { agentName: 'TextOnly' } });
  });

  it("takes the task settings of the worker's Zap, asking for the search attributes once per task", async () => {
    let asked = 0;
    const tasks: TaskStartSettings = {
      eventLogLimit: 50,
      inlineMessageBytes: 0,
      continueAsNewAfterEvents: 200,
      historyHardStopEvents: undefined,
      searchAttributes: async () => {
        asked += 1;
        return true;
      },
    };
    const resolveAgentTask = createResolveAgentTask({ agents: new Map([['Support', support]]), tasks });
    const resolved = await runActivity(environment, resolveAgentTask, { agentName: 'Support' });
    expect(resolved).toMatchObject({ eventLogLimit: 50, inlineMessageBytes: 0, continueAsNewAfterEvents: 200, searchAttributes: true });
    expect(resolved).not.toHaveProperty('historyHardStopEvents');
    expect(asked).toBe(1);
  });
});
