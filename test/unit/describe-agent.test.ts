import { ZapAgent } from '../../src/agent/zap-agent';
import type { DescribeAgentInput } from '../../src/core/activity-contracts';
import type { AgentTaskSettings } from '../../src/core/agent-settings';
import { ModelRegistry } from '../../src/llm/model-registry';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { createActivityEnvironment, createTestActivities, failureOf, runActivity } from '../support/activity-test-kit';

const billing = new ZapAgent({ name: 'Billing', prompt: 'You handle invoices.', subAgents: ['Ledger'] });
const ledger = new ZapAgent({ name: 'Ledger', prompt: 'You keep the books.' });
const dynamic = new ZapAgent<{ tier?: string } | undefined>({
  name: 'Dynamic',
  prompt: (context) => {
    if (!context?.tier) throw new Error('tier is required');
    return `Tier ${context.tier}`;
  },
});

const mcpPool = new McpConnectionPool();
const activities = createTestActivities({
  agents: [billing, ledger, dynamic],
  mcpPool,
  models: new ModelRegistry(undefined),
});
const environment = createActivityEnvironment('parent-task');

afterAll(async () => {
  await mcpPool.close();
});

function describeAgent(input: DescribeAgentInput): Promise<AgentTaskSettings> {
  return runActivity(environment, activities.describeAgent, input);
}

describe('describeAgent activity', () => {
  it('returns the task settings of a registered agent', async () => {
    expect(await describeAgent({ agentName: 'Billing' })).toEqual(billing.taskSettings(undefined));
    expect(await describeAgent({ agentName: 'Billing' })).toMatchObject({
      agentName: 'Billing',
      systemPrompt: 'You handle invoices.',
      subAgents: ['Ledger'],
    });
  });

  it('resolves a prompt function with the given context', async () => {
    expect((await describeAgent({ agentName: 'Dynamic', context: { tier: 'gold' } })).systemPrompt).toBe('Tier gold');
  });

  it('fails permanently with AGENT_NOT_FOUND for an agent this worker does not know', async () => {
    const failure = await failureOf(describeAgent({ agentName: 'Sales' }));
    expect(failure.type).toBe('AGENT_NOT_FOUND');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain("'Sales'");
  });

  it('fails permanently with ZAP_VALIDATION when the prompt function throws', async () => {
    const failure = await failureOf(describeAgent({ agentName: 'Dynamic', context: {} }));
    expect(failure.type).toBe('ZAP_VALIDATION');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe("Agent 'Dynamic': its prompt function threw: tier is required");
  });
});
