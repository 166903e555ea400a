import { ZapAgent } from '../../src/agent/zap-agent';
import { compileZapOptions, type ZapOptions } from '../../src/client/zap-options';
import { ZapConfigurationError } from '../../src/core/errors';
import type { McpClientConfig } from '../../src/mcp/mcp-client-config';

const NO_ENVIRONMENT: NodeJS.ProcessEnv = {};

function agent(name: string, extra: { subAgents?: string[]; mcpClients?: McpClientConfig[] } = {}): ZapAgent {
  return new ZapAgent({ name, prompt: `You are ${name}.`, ...extra });
}

function compile(options: Partial<ZapOptions> & Pick<ZapOptions, 'agents'>, environment = NO_ENVIRONMENT) {
  return compileZapOptions(options, environment);
}

function configurationMessage(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ZapConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ZapConfigurationError');
}

describe('compileZapOptions: agents', () => {
  it('needs at least one agent', () => {
    expect(configurationMessage(() => compile({ agents: [] }))).toMatch(/at least one agent/);
    expect(configurationMessage(() => compileZapOptions(undefined as unknown as ZapOptions, NO_ENVIRONMENT))).toMatch(
      /at least one agent/,
    );
  });

  it('rejects things that are not ZapAgents', () => {
    const fake = { name: 'Fake', subAgents: [] } as unknown as ZapAgent;
    expect(configurationMessage(() => compile({ agents: [fake] }))).toMatch(/ZapAgent instances/);
  });

  it('rejects two agents with the same name', () => {
    expect(configurationMessage(() => compile({ agents: [agent('Support'), agent('Support')] }))).toBe(
      "Two agents are named 'Support'.",
    );
  });

  it('indexes agents by name', () => {
    const support = agent('Support', { subAgents: ['Billing'] });
    const billing = agent('Billing');
    const compiled = compile({ agents: [support, billing] });
    expect([...compiled.agents.keys()]).toEqual(['Support', 'Billing']);
    expect(compiled.agents.get('Billing')).toBe(billing);
  });

  it('rejects an unknown sub-agent, naming both agents', () => {
    expect(configurationMessage(() => compile({ agents: [agent('Support', { subAgents: ['Billing'] })] }))).toBe(
      "Agent 'Support' lists unknown sub-agent 'Billing'.",
    );
  });

  it('rejects a delegation cycle and names it', () => {
    const message = configurationMessage(() =>
      compile({ agents: [agent('A', { subAgents: ['B'] }), agent('B', { subAgents: ['A'] })] }),
    );
    expect(message).toBe('Sub-agents form a delegation cycle: A → B → A.');
  });

  it('names only the agents on a longer cycle, not the path that led to it', () => {
    const message = configurationMessage(() =>
      compile({
        agents: [
          agent('Entry', { subAgents: ['X'] }),
          agent('X', { subAgents: ['Y'] }),
          agent('Y', { subAgents: ['Z'] }),
          agent('Z', { subAgents: ['X'] }),
        ],
      }),
    );
    expect(message).toBe('Sub-agents form a delegation cycle: X → Y → Z → X.');
  });

  it('accepts a diamond of delegations, which is not a cycle', () => {
    expect(() =>
      compile({
        agents: [
          agent('Top', { subAgents: ['Left', 'Right'] }),
          agent('Left', { subAgents: ['Bottom'] }),
          agent('Right', { subAgents: ['Bottom'] }),
          agent('Bottom'),
        ],
      }),
    ).not.toThrow();
  });
});

describe('compileZapOptions: shared MCP servers', () => {
  it('rejects two agents configuring one server name differently', () => {
    const message = configurationMessage(() =>
      compile({
        agents: [
          agent('A', { mcpClients: [{ name: 'fs', command: 'npx', args: ['server', '/data'] }] }),
          agent('B', { mcpClients: [{ name: 'fs', command: 'npx', args: ['server', '/tmp'] }] }),
        ],
      }),
    );
    expect(message).toBe("MCP server 'fs' is configured differently by agents 'A' and 'B'.");
  });

  it('accepts two agents sharing one server with the same configuration', () => {
    const config: McpClientConfig = { name: 'search', url: 'http://127.0.0.1:8080/mcp', headers: { Authorization: 'k' } };
    expect(() =>
      compile({ agents: [agent('A', { mcpClients: [config] }), agent('B', { mcpClients: [{ ...config }] })] }),
    ).not.toThrow();
  });

  it('treats configurations that differ only in key order as the same', () => {
    expect(() =>
      compile({
        agents: [
          agent('A', { mcpClients: [{ name: 'fs', command: 'server', env: { ROOT: '/data', MODE: 'ro' } }] }),
          agent('B', { mcpClients: [{ name: 'fs', command: 'server', env: { MODE: 'ro', ROOT: '/data' } }] }),
        ],
      }),
    ).not.toThrow();
  });
});

describe('compileZapOptions: Temporal connection', () => {
  it('defaults to localhost:7233 and the default namespace', () => {
    const compiled = compile({ agents: [agent('A')] });
    expect(compiled.temporal).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      tls: undefined,
      apiKey: undefined,
      connectTimeoutMs: 10_000,
    });
    expect(compiled.taskQueue).toBe('zap-agents');
  });

  it('reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE from the environment', () => {
    const compiled = compile(
      { agents: [agent('A')] },
      { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'agents' },
    );
    expect(compiled.temporal.address).toBe('temporal.internal:7233');
    expect(compiled.temporal.namespace).toBe('agents');
  });

  it('ignores empty environment variables', () => {
    const compiled = compile({ agents: [agent('A')] }, { TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '  ' });
    expect(compiled.temporal.address).toBe('localhost:7233');
    expect(compiled.temporal.namespace).toBe('default');
  });

  it('prefers explicit options over the environment', () => {
    const compiled = compile(
      { agents: [agent('A')], temporal: { address: 'explicit:7233', namespace: 'mine', connectTimeout: '3 seconds' } },
      { TEMPORAL_ADDRESS: 'env:7233', TEMPORAL_NAMESPACE: 'env' },
    );
    expect(compiled.temporal).toMatchObject({ address: 'explicit:7233', namespace: 'mine', connectTimeoutMs: 3000 });
  });

  it('rejects an empty task queue', () => {
    expect(configurationMessage(() => compile({ agents: [agent('A')], taskQueue: ' ' }))).toMatch(/taskQueue/);
  });
});

describe('compileZapOptions: limits and durations', () => {
  it('defaults the idle timeout to 24 hours and the event log to 1000 events', () => {
    const compiled = compile({ agents: [agent('A')] });
    expect(compiled.idleTimeoutMs).toBe(24 * 60 * 60 * 1000);
    expect(compiled.eventLogLimit).toBe(1000);
    expect(compiled.continueAsNewAfterEvents).toBeUndefined();
    expect(compiled.mcp).toEqual({});
  });

  it('parses the idle timeout from a duration string or milliseconds', () => {
    expect(compile({ agents: [agent('A')], idleTimeout: '90 minutes' }).idleTimeoutMs).toBe(90 * 60 * 1000);
    expect(compile({ agents: [agent('A')], idleTimeout: 2500 }).idleTimeoutMs).toBe(2500);
  });

  it('rejects an idle timeout that is not a positive duration', () => {
    expect(configurationMessage(() => compile({ agents: [agent('A')], idleTimeout: 'whenever' }))).toMatch(
      /idleTimeout: "whenever" is not a duration/,
    );
    expect(configurationMessage(() => compile({ agents: [agent('A')], idleTimeout: 0 }))).toMatch(
      /idleTimeout.*positive duration/,
    );
  });

  it.each([9, 10.5, 0, -1])('rejects eventLogLimit %p', (eventLogLimit) => {
    expect(configurationMessage(() => compile({ agents: [agent('A')], eventLogLimit }))).toMatch(
      /eventLogLimit must be an integer of at least 10/,
    );
  });

  it('accepts eventLogLimit 10 and continueAsNewAfterEvents 20', () => {
    const compiled = compile({ agents: [agent('A')], eventLogLimit: 10, continueAsNewAfterEvents: 20 });
    expect(compiled.eventLogLimit).toBe(10);
    expect(compiled.continueAsNewAfterEvents).toBe(20);
  });

  it.each([19, 20.5, 0])('rejects continueAsNewAfterEvents %p', (continueAsNewAfterEvents) => {
    expect(configurationMessage(() => compile({ agents: [agent('A')], continueAsNewAfterEvents }))).toMatch(
      /continueAsNewAfterEvents must be an integer of at least 20/,
    );
  });
});

describe('compileZapOptions: missing workers', () => {
  it('waits 3 seconds for a worker and warns by default', () => {
    const compiled = compile({ agents: [agent('A')] });
    expect(compiled.noWorkerTimeoutMs).toBe(3000);
    expect(compiled.whenNoWorker).toBe('warn');
  });

  it("takes 'refuse', a duration, and rejects anything else", () => {
    expect(compile({ agents: [agent('A')], whenNoWorker: 'refuse', noWorkerTimeout: '500 ms' })).toMatchObject({ whenNoWorker: 'refuse', noWorkerTimeoutMs: 500 });
    expect(configurationMessage(() => compile({ agents: [agent('A')], whenNoWorker: 'never' as 'warn' }))).toMatch(/whenNoWorker must be 'warn' or 'refuse'/);
    expect(configurationMessage(() => compile({ agents: [agent('A')], noWorkerTimeout: 'soon' }))).toMatch(/noWorkerTimeout/);
  });
});

describe('compileZapOptions: eagerStart', () => {
  it('is on unless set to false, and refuses anything but a boolean', () => {
    expect(compile({ agents: [agent('A')] }).eagerStart).toBe(true);
    expect(compile({ agents: [agent('A')], eagerStart: false }).eagerStart).toBe(false);
    expect(configurationMessage(() => compile({ agents: [agent('A')], eagerStart: 'yes' as unknown as boolean }))).toMatch(
      /eagerStart must be true or false/,
    );
  });
});
