import { z } from 'zod';
import {
  ApprovalRules,
  VisionNotSupportedError,
  ZapAgent,
  ZapValidationError,
  imageFromBase64,
  imageFromUrl,
  textPart,
  tool,
} from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter, lastMessage } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

interface Customer {
  customerName: string;
  tier: 'gold' | 'silver';
}

const router = new AgentRouter();
const seenContexts: unknown[] = [];
let releaseSlowTool: (() => void) | undefined;
let slowToolStarted: (() => void) | undefined;

const whoAmI = tool<z.ZodObject<{}>, Customer>({
  name: 'who_am_i',
  description: 'Tells which customer the task is for',
  parameters: z.object({}),
  execute: (_args, { context }) => {
    seenContexts.push(context);
    return `customer ${context.customerName} (${context.tier})`;
  },
});
const transferFunds = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number() }),
  execute: ({ amount }) => `moved ${amount}`,
});
const slowResearch = tool({
  name: 'slow_research',
  description: 'Takes until released',
  parameters: z.object({}),
  execute: async (_args, { signal }) => {
    slowToolStarted?.();
    await new Promise<void>((resolve) => {
      releaseSlowTool = resolve;
      signal.addEventListener('abort', () => resolve());
    });
    return 'research done';
  },
});

const manager = new ZapAgent<Customer>({
  name: 'Manager',
  prompt: (context) => `Manager for ${context.customerName}.`,
  model: 'scripted-model',
  subAgents: ['Researcher', 'Treasurer'],
  tools: [whoAmI],
});
const researcher = new ZapAgent<Customer>({
  name: 'Researcher',
  prompt: (context) => `Researcher for ${context.customerName}.`,
  discoveryPrompt: 'Finds facts',
  model: 'scripted-model',
  tools: [slowResearch, whoAmI],
});
const treasurer = new ZapAgent<Customer>({
  name: 'Treasurer',
  prompt: 'Treasurer.',
  model: 'scripted-model',
  tools: [transferFunds],
});
const outsider = new ZapAgent<Customer>({ name: 'Outsider', prompt: 'Outsider.', model: 'scripted-model' });
const blindAgent = new ZapAgent({ name: 'Blind', prompt: 'Blind.', model: 'gpt-3.5-turbo' });
const seeingAgent = new ZapAgent({ name: 'Seeing', prompt: 'Seeing.', model: 'gpt-4o' });

const ALICE: Customer = { customerName: 'Alice', tier: 'gold' };

function messageAgent(args: Record<string, unknown>, id = 'call_msg') {
  return scripted.toolCalls([{ id, name: 'message_agent', arguments: args }]);
}

describe('sub-agents, context and multimodal input', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [manager, researcher, treasurer, outsider, blindAgent, seeingAgent],
      llm: { handler: router.handler },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  beforeEach(() => {
    router.reset();
    harness.llm.reset();
    harness.llm.setHandler(router.handler);
    seenContexts.length = 0;
  });

  test('delegation, then continuing the same sub-conversation by its id', async () => {
    router.enqueue('Manager for Alice.', messageAgent({ agent_name: 'Researcher', message: 'What is the capital of France?' }));
    router.enqueue('Researcher for Alice.', scripted.text('Paris.'));
    router.enqueue('Manager for Alice.', (request) => {
      const { conversation_id: conversationId } = JSON.parse(lastMessage(request).content);
      return messageAgent({ conversation_id: conversationId, message: 'And its population?' }, 'call_msg_2');
    });
    router.enqueue('Researcher for Alice.', (request) => {
      const messages = request.body.messages as Array<{ role: string; content: string }>;
      // The sub-agent still has the first exchange: it is the same conversation.
      expect(messages.map((message) => message.content)).toEqual([
        'Researcher for Alice.',
        'What is the capital of France?',
        'Paris.',
        'And its population?',
      ]);
      return scripted.text('About 2.1 million.');
    });
    router.enqueue('Manager for Alice.', scripted.text('Paris, about 2.1 million people.'));

    const started = await harness.zap.executeTask({ agentName: 'Manager', task: 'Tell me about the French capital', context: ALICE });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Paris, about 2.1 million people.');
    expect(task.subTasks).toHaveLength(1);
    const subTaskId = task.subTasks[0] as string;
    expect(subTaskId.startsWith(`${started.id}.Researcher.`)).toBe(true);

    const [first, second] = task.getToolCalls();
    expect(JSON.parse(first!.result!)).toEqual({ conversation_id: subTaskId, agent: 'Researcher', answer: 'Paris.' });
    expect(JSON.parse(second!.result!)).toEqual({ conversation_id: subTaskId, agent: 'Researcher', answer: 'About 2.1 million.' });

    const [child] = await task.getSubTasks();
    expect(child?.agentName).toBe('Researcher');
    expect(child?.parentTaskId).toBe(started.id);
    expect(child?.status).toBe('completed');
    expect(child?.turnCount()).toBe(2);
    // message_agent is offered with the sub-agents' descriptions.
    const offered = harness.llm.requests[0]?.body.tools.find((t: { function: { name: string } }) => t.function.name === 'message_agent');
    expect(offered.function.description).toContain('- Researcher: Finds facts');
    expect(offered.function.parameters.properties.agent_name.enum).toEqual(['Researcher', 'Treasurer']);
  });

  test('delegating to an agent outside subAgents returns an error to the model, once', async () => {
    router.enqueue('Manager for Alice.', messageAgent({ agent_name: 'Outsider', message: 'hi' }), scripted.text('Could not reach it.'));
    const started = await harness.zap.executeTask({ agentName: 'Manager', task: 'Ask Outsider', context: ALICE });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.getToolCalls()[0]?.result).toBe(
      'Error: Agent "Outsider" is not one you can message. You can message: Researcher, Treasurer.',
    );
    expect(task.subTasks).toEqual([]);
    expect(harness.llm.requests).toHaveLength(2);
  });

  test('an approval inside a sub-agent (rules are inherited)', async () => {
    router.enqueue('Manager for Alice.', messageAgent({ agent_name: 'Treasurer', message: 'Move 70' }));
    router.enqueue('Treasurer.', scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 70 } }]), scripted.text('Moved 70.'));
    router.enqueue('Manager for Alice.', scripted.text('The treasurer moved 70.'));
    const started = await harness.zap.executeTask({
      agentName: 'Manager',
      task: 'Move 70',
      context: ALICE,
      approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
    });
    const parent = await waitForTask(harness.zap, started.id, (task) => task.subTasks.length === 1);
    const childId = parent.subTasks[0] as string;
    const child = await waitForTask(harness.zap, childId, (task) => task.status === 'awaiting_approval');
    const [pending] = await child.getPendingApprovals();
    expect(pending).toMatchObject({ toolName: 'transfer_funds', agentName: 'Treasurer', taskId: childId });
    expect((await harness.zap.getTask(started.id)).status).toBe('awaiting_tool');

    await child.approve(pending!.id, { approvedBy: 'carol' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('The treasurer moved 70.');
    expect((await harness.zap.getTask(childId)).getToolCalls()[0]?.result).toBe('moved 70');
  });

  test('cancelling a parent cancels its running child', async () => {
    const started = new Promise<void>((resolve) => (slowToolStarted = resolve));
    router.enqueue('Manager for Alice.', messageAgent({ agent_name: 'Researcher', message: 'Dig deep' }));
    router.enqueue('Researcher for Alice.', scripted.toolCalls([{ id: 'call_slow', name: 'slow_research', arguments: {} }]));
    const parent = await harness.zap.executeTask({ agentName: 'Manager', task: 'Research', context: ALICE });
    await started;
    const childId = (await harness.zap.getTask(parent.id)).subTasks[0] as string;

    await harness.zap.cancelTask(parent.id, 'user gave up');
    await waitForTask(harness.zap, parent.id, (task) => task.status === 'cancelled');
    const child = await waitForTask(harness.zap, childId, (task) => task.status === 'cancelled');
    expect(child.isComplete()).toBe(true);
    // The child's run ends cancelled too (it reports to its parent first, so poll briefly).
    const handle = harness.zap.client.workflow.getHandle(childId);
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    releaseSlowTool?.();
  });

  test('dynamic prompts resolve from the context, for sub-agents too, and tools receive it', async () => {
    router.enqueue('Manager for Bob.', scripted.toolCalls([{ id: 'call_who', name: 'who_am_i', arguments: {} }]));
    router.enqueue('Manager for Bob.', messageAgent({ agent_name: 'Researcher', message: 'Who is this for?' }));
    router.enqueue('Researcher for Bob.', scripted.toolCalls([{ id: 'call_who2', name: 'who_am_i', arguments: {} }]), scripted.text('Bob.'));
    router.enqueue('Manager for Bob.', scripted.text('For Bob.'));
    const bob: Customer = { customerName: 'Bob', tier: 'silver' };
    const started = await harness.zap.executeTask({ agentName: 'Manager', task: 'Who?', context: bob });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.history[0]).toEqual({ role: 'system', content: 'Manager for Bob.' });
    expect(task.getToolCalls()[0]?.result).toBe('customer Bob (silver)');
    const [child] = await task.getSubTasks();
    expect(child?.history[0]).toEqual({ role: 'system', content: 'Researcher for Bob.' });
    expect(seenContexts).toEqual([bob, bob]);
  });

  test('images: refused for a model without vision, sent as content parts to one with it', async () => {
    const content = [textPart('What is in this picture?'), imageFromUrl('https://example.com/cat.png', { detail: 'low' })];
    await expect(harness.zap.executeTask({ agentName: 'Blind', taskContent: content })).rejects.toBeInstanceOf(VisionNotSupportedError);
    expect(harness.llm.requests).toHaveLength(0);

    router.enqueue('Seeing.', scripted.text('A cat.'), scripted.text('Same cat.'));
    const started = await harness.zap.executeTask({ agentName: 'Seeing', taskContent: content });
    await waitForCompletion(harness.zap, started.id);
    expect(harness.llm.requests[0]?.body.messages[1]).toEqual({ role: 'user', content });

    const pixel = imageFromBase64(Buffer.from('89504e470d0a1a0a', 'hex'), 'image/png');
    expect(pixel.image_url.url).toBe('data:image/png;base64,iVBORw0KGgo=');
    await harness.zap.executeTask({ followUpOnTask: started.id, taskContent: [textPart('And this?'), pixel] });
    await waitForTask(harness.zap, started.id, (task) => task.result === 'Same cat.');

    // A follow-up with an image to a task whose agent cannot see is refused before it is sent.
    router.enqueue('Blind.', scripted.text('Text only.'));
    const blind = await harness.zap.executeTask({ agentName: 'Blind', task: 'hello' });
    await waitForCompletion(harness.zap, blind.id);
    await expect(harness.zap.executeTask({ followUpOnTask: blind.id, taskContent: content })).rejects.toBeInstanceOf(
      VisionNotSupportedError,
    );
    expect(() => imageFromUrl('file:///etc/passwd')).toThrow(ZapValidationError);
    await expect(
      harness.zap.executeTask({
        agentName: 'Seeing',
        taskContent: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml;base64,PHN2Zz4=' } }],
      }),
    ).rejects.toThrow(/Image type 'image\/svg\+xml' is not allowed/);
    await expect(
      harness.zap.executeTask({ agentName: 'Seeing', taskContent: [imageFromBase64(Buffer.alloc(1_200_000), 'image/png')] }),
    ).rejects.toThrow(/the limit is 1048576/);
  });
});
