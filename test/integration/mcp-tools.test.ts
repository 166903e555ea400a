import { z } from 'zod';
import { NoWorkerError, Zap, ZapAgent, ZapConfigurationError, tool } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { startHttpToolServer, type HttpToolServer } from '../fixtures/mcp/http-server';
import { stdioServerConfig } from '../fixtures/mcp/stdio-server-command';
import { startHarness, temporalAddress, testWorkerOptions, uniqueTaskQueue, waitForCompletion, type Harness } from '../support/harness';

describe('MCP tools inside agent tasks', () => {
  let httpServer: HttpToolServer;
  let harness: Harness;

  beforeAll(async () => {
    httpServer = await startHttpToolServer({ requiredHeaders: { authorization: 'Bearer mcp-secret' } });
    harness = await startHarness({
      agents: [
        new ZapAgent({ name: 'StdioAgent', prompt: 'Use tools.', model: 'scripted-model', mcpClients: [stdioServerConfig('stdio-tools')] }),
        new ZapAgent({
          name: 'HttpAgent',
          prompt: 'Use tools.',
          model: 'scripted-model',
          mcpClients: [{ name: 'http-tools', url: httpServer.url, headers: { Authorization: 'Bearer mcp-secret' }, receiveContext: true }],
        }),
      ],
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await httpServer?.close();
  });

  beforeEach(() => harness.llm.reset());

  test('getAgentTools lists the MCP tools', async () => {
    const tools = await harness.zap.getAgentTools('StdioAgent');
    expect(tools).toEqual(expect.arrayContaining(['get_weather', 'add', 'echo_meta', 'fail_tool']));
    expect(await harness.zap.getAgentTools('HttpAgent')).toEqual(expect.arrayContaining(['get_weather']));
  });

  test.each([
    ['stdio', 'StdioAgent'],
    ['Streamable HTTP', 'HttpAgent'],
  ])('a tool over %s is called and its result reaches the model', async (_transport, agentName) => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_w', name: 'get_weather', arguments: { city: 'Paris' } }]),
      scripted.text('It is sunny in Paris.'),
    );
    const started = await harness.zap.executeTask({ agentName, task: 'Weather in Paris?' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.getToolCalls()).toEqual([
      expect.objectContaining({ name: 'get_weather', arguments: { city: 'Paris' }, result: 'Sunny, 21°C in Paris' }),
    ]);
    const offered = (harness.llm.requests[0]?.body.tools as Array<{ function: { name: string } }>).map((t) => t.function.name);
    expect(offered).toContain('get_weather');
    expect(harness.llm.requests[1]?.body.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_w',
      content: 'Sunny, 21°C in Paris',
    });
  });

  test('an MCP tool error result is fed back to the model', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_f', name: 'fail_tool', arguments: {} }]), scripted.text('It failed.'));
    const started = await harness.zap.executeTask({ agentName: 'StdioAgent', task: 'Try the failing tool' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.getToolCalls()[0]?.result).toBe('tool failed on purpose');
    expect(task.result).toBe('It failed.');
  });

  test('an MCP server that does not opt in never sees the context, only the call identity', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_private', name: 'echo_meta', arguments: {} }]), scripted.text('ok'));
    const started = await harness.zap.executeTask({ agentName: 'StdioAgent', task: 'Echo meta', context: { apiKey: 'ctx-secret-5512' } });
    const task = await waitForCompletion(harness.zap, started.id);
    const meta = JSON.parse(task.getToolCalls()[0]?.result ?? 'null');
    expect(meta['zap-agents/context']).toBeUndefined();
    expect(JSON.stringify(meta)).not.toContain('ctx-secret-5512');
    expect(meta['zap-agents/call']).toMatchObject({ taskId: started.id, toolCallId: 'call_private' });
  });

  test('MCP tools of a server with receiveContext get the task context and an idempotency key in _meta', async () => {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_meta', name: 'echo_meta', arguments: {} }]), scripted.text('ok'));
    const started = await harness.zap.executeTask({
      agentName: 'HttpAgent',
      task: 'Echo meta',
      context: { userId: 'u-42', tier: 'gold' },
    });
    const task = await waitForCompletion(harness.zap, started.id);
    const meta = JSON.parse(task.getToolCalls()[0]?.result ?? 'null');
    expect(meta['zap-agents/context']).toEqual({ userId: 'u-42', tier: 'gold' });
    expect(meta['zap-agents/call']).toMatchObject({
      taskId: started.id,
      toolCallId: 'call_meta',
      idempotencyKey: `${started.id}/call_meta`,
    });
  });
});

describe('worker start-up checks', () => {
  test('two tools with the same name are a configuration error at worker start', async () => {
    const clash = tool({ name: 'get_weather', description: 'Local weather', parameters: z.object({}), execute: () => 'x' });
    const zap = new Zap({
      agents: [new ZapAgent({ name: 'Clash', prompt: 'p', tools: [clash], mcpClients: [stdioServerConfig('tools')] })],
      taskQueue: uniqueTaskQueue(),
      temporal: { address: temporalAddress() },
    });
    try {
      await expect(zap.createWorker(testWorkerOptions())).rejects.toThrow(
        /Agent 'Clash' has two tools named 'get_weather': a local tool and MCP server 'tools'/,
      );
      await expect(zap.getAgentTools('Clash')).rejects.toBeInstanceOf(NoWorkerError);
    } finally {
      await zap.stop();
    }
  });

  test('an MCP server that does not start fails worker start, naming its command', async () => {
    const zap = new Zap({
      agents: [
        new ZapAgent({ name: 'Broken', prompt: 'p', mcpClients: [{ name: 'missing', command: '/nonexistent/mcp-server-binary' }] }),
      ],
      taskQueue: uniqueTaskQueue(),
      temporal: { address: temporalAddress() },
    });
    try {
      const failure = zap.createWorker(testWorkerOptions());
      await expect(failure).rejects.toBeInstanceOf(ZapConfigurationError);
      await expect(failure).rejects.toThrow(/\/nonexistent\/mcp-server-binary/);
    } finally {
      await zap.stop();
    }
  });
});
