import { z } from 'zod';
import { ZapAgent, tool } from '../../src';
import { scripted, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import { AgentRouter, lastMessage } from '../support/agent-router';
import { startHarness, waitForTask, type Harness } from '../support/harness';

const router = new AgentRouter();
let slowStarted: (() => void) | undefined;

const slowWork = tool({
  name: 'slow_work',
  description: 'Works until cancelled',
  parameters: z.object({}),
  idempotent: true,
  execute: async (_args, { signal }) => {
    slowStarted?.();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    return 'stopped';
  },
});

const boss = new ZapAgent({ name: 'Boss', prompt: 'Boss.', model: 'scripted-model', subAgents: ['Worker'] });
const impatientBoss = new ZapAgent({
  name: 'ImpatientBoss',
  prompt: 'Impatient boss.',
  model: 'scripted-model',
  subAgents: ['Worker'],
  timeouts: { subAgent: '3 seconds' },
});
const worker = new ZapAgent({ name: 'Worker', prompt: 'Worker.', discoveryPrompt: 'Works', model: 'scripted-model', tools: [slowWork] });

/** The parent's next model call echoes what the delegation told it. */
const echoToolResult = (request: ScriptedRequest) => scripted.text(`told: ${lastMessage(request).content}`);

describe('sub-agent waits', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ agents: [boss, impatientBoss, worker], llm: { handler: router.handler } });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => router.reset());

  test('a child terminated by an operator is reported to the model instead of blocking the turn', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    router.enqueue('Boss.', scripted.toolCalls([{ name: 'message_agent', arguments: { agent_name: 'Worker', message: 'work' } }]), echoToolResult);
    router.enqueue('Worker.', scripted.toolCalls([{ name: 'slow_work', arguments: {} }]));
    const task = await harness.zap.executeTask({ agentName: 'Boss', task: 'Delegate' });
    await started;
    await harness.zap.client.workflow.getHandle(`${task.id}.Worker.1`).terminate('operator stopped it');

    const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed' || t.status === 'failed', 45_000);
    expect(done.status).toBe('completed');
    expect(done.result).toMatch(/told: Error: Agent Worker \(.*\.Worker\.1\) ended without an answer \(terminated\)/);
  }, 60_000);

  test('a sub-agent that does not answer within timeouts.subAgent is reported as such', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    router.enqueue(
      'Impatient boss.',
      scripted.toolCalls([{ name: 'message_agent', arguments: { agent_name: 'Worker', message: 'work' } }]),
      echoToolResult,
    );
    router.enqueue('Worker.', scripted.toolCalls([{ name: 'slow_work', arguments: {} }]));
    const task = await harness.zap.executeTask({ agentName: 'ImpatientBoss', task: 'Delegate' });
    await started;
    const done = await waitForTask(harness.zap, task.id, (t) => t.status === 'completed' || t.status === 'failed', 45_000);
    expect(done.result).toMatch(/told: Error: Agent Worker \(.*\) gave no answer within 3 seconds/);
    // The child is still running: it was not the parent's to end.
    const child = await harness.zap.client.workflow.getHandle(`${task.id}.Worker.1`).describe();
    expect(child.status.name).toBe('RUNNING');
    await harness.zap.cancelTask(`${task.id}.Worker.1`, 'test over');
  }, 60_000);
});
