import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ConversationReader } from '../../src/activities/conversation-reader';
import { createActivities } from '../../src/activities/create-activities';
import { ZapAgent } from '../../src/agent/zap-agent';
import type { DescribeAgentInput } from '../../src/core/activity-contracts';
import type { AgentTaskSettings } from '../../src/core/agent-settings';
import { ModelRegistry } from '../../src/llm/model-registry';
import { McpConnectionPool } from '../../src/mcp/mcp-connection-pool';
import { AgentToolbox } from '../../src/tools/agent-toolbox';

const billing = new ZapAgent({ name: 'Billing', prompt: 'You handle invoices.', subAgents: ['Ledger'] });
const ledger = new ZapAgent({ name: 'Ledger', prompt: 'You keep the books.' });
const dynamic = new ZapAgent<{ tier?: string } | undefined>({
  name: 'Dynamic',
  prompt: (context) => {
    if (!context?.tier) throw new Error('tier is required');
    return `Tier ${context.tier}`;
  },
});
const agents = new Map<string, ZapAgent<any>>([billing, ledger, dynamic].map((agent) => [agent.name, agent]));

const mcpPool = new McpConnectionPool();
const activities = createActivities({
  agents,
  toolbox: new AgentToolbox(agents, mcpPool),
  mcpPool,
  models: new ModelRegistry(undefined),
  conversations: {} as ConversationReader,
});
const environment = new MockActivityEnvironment(
  { workflowExecution: { workflowId: 'parent-task', runId: 'run-1' } },
  { logger: new DefaultLogger('ERROR') },
);

afterAll(async () => {
  await mcpPool.close();
});

function describeAgent(input: DescribeAgentInput): Promise<AgentTaskSettings> {
  return environment.run(activities.describeAgent, input) as Promise<AgentTaskSettings>;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
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
