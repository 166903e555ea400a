import { z } from 'zod';
import { tool, type ZapTool } from '../../src/agent/tool';
import { ZapAgent, type ZapAgentOptions } from '../../src/agent/zap-agent';
import { DEFAULT_HOOK_RETRY_POLICY, DEFAULT_LLM_RETRY_POLICY, DEFAULT_TOOL_RETRY_POLICY } from '../../src/core/defaults';
import { ZapConfigurationError, ZapValidationError } from '../../src/core/errors';

function weatherTool(name = 'get_weather'): ZapTool {
  return tool({ name, description: 'Weather', parameters: z.object({ city: z.string() }), execute: () => 'sunny' });
}

function agentWith(overrides: Partial<ZapAgentOptions<any>>): ZapAgent<any> {
  return new ZapAgent({ name: 'Support', prompt: 'You help customers.', ...overrides });
}

function configurationError(build: () => unknown): ZapConfigurationError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ZapConfigurationError);
    return error as ZapConfigurationError;
  }
  throw new Error('expected a ZapConfigurationError');
}

describe('ZapAgent validation', () => {
  it.each(['', 'has space', 'dots.here', 'x'.repeat(101), 42, undefined])('rejects the agent name %j', (name) => {
    const error = configurationError(() => agentWith({ name: name as string }));
    expect(error.code).toBe('ZAP_CONFIGURATION');
    expect(error.message).toMatch(/agent name/);
  });

  it('accepts names with dashes and underscores up to 100 characters', () => {
    expect(agentWith({ name: 'Customer-Support_2' }).name).toBe('Customer-Support_2');
    expect(agentWith({ name: 'a'.repeat(100) }).name).toHaveLength(100);
  });

  it('rejects an empty or whitespace prompt, and prompts that are neither text nor function', () => {
    expect(configurationError(() => agentWith({ prompt: '' })).message).toMatch(/prompt is empty/);
    expect(configurationError(() => agentWith({ prompt: '   \n' })).message).toMatch(/prompt is empty/);
    expect(configurationError(() => agentWith({ prompt: 42 as unknown as string })).message).toMatch(
      /prompt must be a string or a function/,
    );
  });

  it.each([0, 501, 1.5, -1, Number.NaN])('rejects maxIterations %p', (maxIterations) => {
    expect(configurationError(() => agentWith({ maxIterations })).message).toMatch(/maxIterations must be an integer from 1 to 500/);
  });

  it('accepts maxIterations at both ends of the range', () => {
    expect(agentWith({ maxIterations: 1 }).maxIterations).toBe(1);
    expect(agentWith({ maxIterations: 500 }).maxIterations).toBe(500);
  });

  it.each([3, -0.1, Number.NaN])('rejects temperature %p', (temperature) => {
    expect(configurationError(() => agentWith({ temperature })).message).toMatch(/temperature/);
  });

  it('accepts temperature 0 and 2', () => {
    expect(agentWith({ temperature: 0 }).temperature).toBe(0);
    expect(agentWith({ temperature: 2 }).temperature).toBe(2);
  });

  it('rejects maxTokens that are not positive integers', () => {
    expect(configurationError(() => agentWith({ maxTokens: 0 })).message).toMatch(/maxTokens/);
    expect(configurationError(() => agentWith({ maxTokens: 10.5 })).message).toMatch(/maxTokens/);
  });

  it.each([0, 1023, 1024 * 1024 + 1, 2000.5, Number.NaN])('rejects maxToolResultBytes %p', (maxToolResultBytes) => {
    expect(configurationError(() => agentWith({ maxToolResultBytes })).message).toMatch(
      /ZapAgent 'Support': maxToolResultBytes must be an integer from 1024 to 1048576 \(bytes\)/,
    );
  });

  it('accepts maxToolResultBytes at both ends of the range', () => {
    expect(agentWith({ maxToolResultBytes: 1024 }).maxToolResultBytes).toBe(1024);
    expect(agentWith({ maxToolResultBytes: 1024 * 1024 }).maxToolResultBytes).toBe(1024 * 1024);
  });

  it('rejects an agent that is its own sub-agent, and a sub-agent listed twice', () => {
    expect(configurationError(() => agentWith({ subAgents: ['Support'] })).message).toMatch(/its own sub-agent/);
    expect(configurationError(() => agentWith({ subAgents: ['Billing', 'Billing'] })).message).toMatch(/twice/);
    expect(configurationError(() => agentWith({ subAgents: ['bad name'] })).message).toMatch(/subAgents/);
  });

  it('rejects two tools with the same name', () => {
    const error = configurationError(() => agentWith({ tools: [weatherTool(), weatherTool()] }));
    expect(error.message).toContain("two tools are named 'get_weather'");
  });

  it('rejects tools not built with tool()', () => {
    const handMade = { name: 'get_weather', description: 'Weather', execute: () => 'sunny' } as unknown as ZapTool;
    expect(configurationError(() => agentWith({ tools: [handMade] })).message).toMatch(/built with tool\(\)/);
  });

  it('rejects two MCP clients with the same name', () => {
    const error = configurationError(() =>
      agentWith({
        mcpClients: [
          { name: 'fs', command: 'npx' },
          { name: 'fs', url: 'http://127.0.0.1:1/mcp' },
        ],
      }),
    );
    expect(error.message).toContain("two MCP clients are named 'fs'");
  });

  it('keeps receiveContext only when a server opts in, and rejects a value that is not a boolean', () => {
    const agent = agentWith({
      mcpClients: [
        { name: 'mine', url: 'http://127.0.0.1:1/mcp', receiveContext: true },
        { name: 'third-party', command: 'npx', receiveContext: false },
        { name: 'silent', command: 'npx' },
      ],
    });
    expect(agent.mcpClients.map((client) => client.receiveContext)).toEqual([true, undefined, undefined]);
    const error = configurationError(() =>
      agentWith({ mcpClients: [{ name: 'x', command: 'npx', receiveContext: 'yes' as unknown as boolean }] }),
    );
    expect(error.message).toContain("server 'x': 'receiveContext' must be true or false, got 'yes'");
  });

  it.each([
    [{ llm: 'soon' }, /timeouts\.llm.*"soon" is not a duration/],
    [{ tool: 0 }, /timeouts\.tool.*must be a positive duration/],
    [{ tool: -5 }, /timeouts\.tool.*must be a positive duration/],
  ])('rejects the timeouts %j', (timeouts, message) => {
    expect(configurationError(() => agentWith({ timeouts: timeouts as ZapAgentOptions['timeouts'] })).message).toMatch(
      message,
    );
  });
});

describe('ZapAgent defaults', () => {
  it('uses gpt-4o, 50 iterations, temperature 0.7, 4096 tokens, 64 KiB tool results, no tools and the default timeouts', () => {
    const agent = agentWith({});
    expect(agent.model).toBe('gpt-4o');
    expect(agent.maxIterations).toBe(50);
    expect(agent.temperature).toBe(0.7);
    expect(agent.maxTokens).toBe(4096);
    expect(agent.maxToolResultBytes).toBe(65_536);
    expect(agent.tools).toEqual([]);
    expect(agent.mcpClients).toEqual([]);
    expect(agent.subAgents).toEqual([]);
    expect(agent.timeouts).toEqual({ llmMs: 120_000, toolMs: 60_000, heartbeatMs: 4_000, toolHeartbeatMs: 4_000, subAgentMs: 86_400_000 });
    expect(agent.retry).toEqual({ llm: DEFAULT_LLM_RETRY_POLICY, tool: DEFAULT_TOOL_RETRY_POLICY, hook: DEFAULT_HOOK_RETRY_POLICY, unknownOutcomes: false });
    expect(agent.stuck).toEqual({ threshold: 3, policy: 'stop', escalationTimeoutMs: 86_400_000 });
    expect(agent.hooks).toEqual({});
  });

  it('parses duration strings and milliseconds in timeouts', () => {
    expect(agentWith({ timeouts: { llm: '30 seconds', tool: 1500 } }).timeouts).toEqual({ llmMs: 30_000, toolMs: 1500, heartbeatMs: 4_000, toolHeartbeatMs: 4_000, subAgentMs: 86_400_000 });
    expect(agentWith({ timeouts: { heartbeat: '10 seconds', toolHeartbeat: 30_000 } }).timeouts).toMatchObject({ heartbeatMs: 10_000, toolHeartbeatMs: 30_000 });
    expect(() => agentWith({ timeouts: { toolHeartbeat: '0 seconds' } })).toThrow(/timeouts.toolHeartbeat/);
  });

  it('merges retry policies: fields given replace the defaults, the others are kept', () => {
    const agent = agentWith({ retry: { llm: { maximumAttempts: 2, nonRetryableErrorTypes: ['X'] } } });
    expect(agent.retry.llm).toEqual({
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 2,
      nonRetryableErrorTypes: ['X'],
    });
    expect(agent.retry.tool).toEqual(DEFAULT_TOOL_RETRY_POLICY);
  });

  it('does not change the shared default policies when merging', () => {
    agentWith({ retry: { tool: { maximumAttempts: 9 } } });
    expect(DEFAULT_TOOL_RETRY_POLICY.maximumAttempts).toBe(3);
  });
});

describe('ZapAgent.resolvePrompt', () => {
  it('returns a static prompt as is', () => {
    expect(agentWith({}).resolvePrompt(undefined)).toBe('You help customers.');
  });

  it('builds the prompt from the context with a prompt function', () => {
    const agent = new ZapAgent<{ customer: string }>({
      name: 'Support',
      prompt: (context) => `You help ${context.customer}.`,
    });
    expect(agent.resolvePrompt({ customer: 'Ana' })).toBe('You help Ana.');
  });

  it('wraps an error thrown by the prompt function in a ZapValidationError naming the agent', () => {
    const failure = new Error('customer missing');
    const agent = agentWith({
      prompt: () => {
        throw failure;
      },
    });
    let caught: unknown;
    try {
      agent.resolvePrompt({});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ZapValidationError);
    expect((caught as ZapValidationError).message).toBe("Agent 'Support': its prompt function threw: customer missing");
    expect((caught as ZapValidationError).cause).toBe(failure);
  });

  it('rejects a prompt function that returns an empty or non-string prompt', () => {
    expect(() => agentWith({ prompt: () => ' ' }).resolvePrompt({})).toThrow(ZapValidationError);
    expect(() => agentWith({ prompt: () => 42 as unknown as string }).resolvePrompt({})).toThrow(/non-string prompt/);
  });
});

describe('ZapAgent.taskSettings', () => {
  it('snapshots what the workflow needs, with the prompt resolved from the context', () => {
    const agent = new ZapAgent<{ tier: string }>({
      name: 'Support',
      prompt: (context) => `Tier: ${context.tier}`,
      subAgents: ['Billing'],
      maxIterations: 7,
      retry: { tool: { maximumAttempts: 1 } },
      timeouts: { llm: '1 minute', tool: '5 seconds' },
    });
    const settings = agent.taskSettings({ tier: 'gold' });
    expect(settings).toEqual({
      agentName: 'Support',
      systemPrompt: 'Tier: gold',
      maxIterations: 7,
      subAgents: ['Billing'],
      llmRetry: DEFAULT_LLM_RETRY_POLICY,
      toolRetry: { ...DEFAULT_TOOL_RETRY_POLICY, maximumAttempts: 1 },
      llmTimeoutMs: 60_000,
      toolTimeoutMs: 5_000,
      heartbeatTimeoutMs: 4_000,
      toolHeartbeatTimeoutMs: 4_000,
      subAgentTimeoutMs: 86_400_000,
      toolBackoff: expect.objectContaining({ coefficient: 2, initialMs: 1000 }),
      retryUnknownOutcomes: false,
      stuck: { threshold: 3, policy: 'stop', escalationTimeoutMs: 86_400_000 },
    });
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);

    settings.subAgents.push('Mutated');
    expect(agent.subAgents).toEqual(['Billing']);
  });
});

describe('ZapAgent stuck detection and hooks', () => {
  it('compiles stuck options, and false turns detection off', () => {
    expect(agentWith({ stuck: { threshold: 5, policy: 'escalate', escalationTimeout: '2 hours' } }).stuck).toEqual({
      threshold: 5,
      policy: 'escalate',
      escalationTimeoutMs: 7_200_000,
    });
    const off = agentWith({ stuck: false });
    expect(off.stuck).toBeUndefined();
    expect(off.taskSettings({}).stuck).toBeUndefined();
  });

  it('refuses a bad threshold, policy or escalation timeout', () => {
    expect(configurationError(() => agentWith({ stuck: { threshold: 1 } })).message).toMatch(/stuck\.threshold must be an integer from 2 to 100/);
    expect(configurationError(() => agentWith({ stuck: { policy: 'panic' as never } })).message).toMatch(/stuck\.policy must be one of stop, retry, escalate/);
    expect(configurationError(() => agentWith({ stuck: { escalationTimeout: 'soon' } })).message).toMatch(/stuck\.escalationTimeout/);
  });

  it('carries the names of its hooks (never the functions) and the hook retry policy into task settings', () => {
    const onComplete = (): void => {};
    const agent = agentWith({ hooks: { onComplete, onStart: async () => {} }, retry: { hook: { maximumAttempts: 2 } } });
    expect(agent.hooks.onComplete).toBe(onComplete);
    const settings = agent.taskSettings({});
    expect(settings.hooks).toEqual(['onStart', 'onComplete']);
    expect(settings.hookRetry).toEqual({ ...DEFAULT_HOOK_RETRY_POLICY, maximumAttempts: 2 });
    expect(JSON.parse(JSON.stringify(settings))).toEqual(settings);
    expect(agentWith({}).taskSettings({}).hooks).toBeUndefined();
  });

  it('refuses unknown hooks and hooks that are not functions', () => {
    expect(configurationError(() => agentWith({ hooks: { onFinish: () => {} } as never })).message).toMatch(/unknown hook 'onFinish'/);
    expect(configurationError(() => agentWith({ hooks: { onFailed: 'https://example.com' as never } })).message).toMatch(/hooks\.onFailed must be a function/);
  });
});
