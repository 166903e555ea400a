import { z } from 'zod';
import { ApprovalRules, ZapAgent, ZapValidationError, tool, type Task } from '../../src';
import { scripted } from '../../src/testing/scripted-llm-server';
import { AgentRouter } from '../support/agent-router';
import { startHarness, waitForCompletion, waitForTask, type Harness } from '../support/harness';

/**
 * Approval rules that decide on the call: JSON conditions on the arguments and the context
 * (evaluated in the workflow), predicates in code on a tool or an agent (evaluated on the worker
 * in the model activity, their answer recorded), and a tool's `describe` as the summary a human
 * sees. Real dev server, real worker, scripted model over HTTP.
 */

interface ShopContext {
  environment: 'production' | 'staging';
  domain: string;
}

const executed: string[] = [];
const predicateCalls: string[] = [];

const refund = tool({
  name: 'refund',
  description: 'Refunds an order',
  parameters: z.object({ orderId: z.string(), amount: z.number() }),
  execute: ({ orderId, amount }) => {
    executed.push(`refund ${amount} on ${orderId}`);
    return `refunded ${amount} on ${orderId}`;
  },
});

const sendEmail = tool<z.ZodObject<{ to: z.ZodString; subject: z.ZodString }>, ShopContext>({
  name: 'send_email',
  description: 'Sends an email',
  parameters: z.object({ to: z.string(), subject: z.string() }),
  requiresApproval: ({ args, context }) => {
    predicateCalls.push(`send_email ${args.to}`);
    return !args.to.endsWith(`@${context.domain}`);
  },
  describe: ({ to, subject }) => `Email "${subject}" to ${to}`,
  execute: ({ to }) => {
    executed.push(`email ${to}`);
    return `sent to ${to}`;
  },
});

const writeRecord = tool({
  name: 'write_record',
  description: 'Writes a record',
  parameters: z.object({ key: z.string() }),
  execute: ({ key }) => {
    executed.push(`write ${key}`);
    return `wrote ${key}`;
  },
});

const flaky = tool({
  name: 'flaky_check',
  description: 'A tool whose approval predicate fails',
  parameters: z.object({}),
  requiresApproval: () => {
    throw new Error('policy service unreachable');
  },
  execute: () => {
    executed.push('flaky');
    return 'done';
  },
});

const router = new AgentRouter();

function pendingCount(task: Task): number {
  return task.approvals.filter((approval) => approval.decision === undefined).length;
}

async function waitForPending(harness: Harness, taskId: string, count: number): Promise<Task> {
  return waitForTask(harness.zap, taskId, (task) => task.status === 'awaiting_approval' && pendingCount(task) === count);
}

describe('approval rules on the call', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent<ShopContext>({ name: 'Shop', prompt: 'Shop agent.', model: 'scripted-model', tools: [refund, sendEmail, flaky] }),
        new ZapAgent<ShopContext>({
          name: 'Records',
          prompt: 'Records agent.',
          model: 'scripted-model',
          tools: [writeRecord],
          approvalRules: new ApprovalRules<ShopContext>({
            requiresApproval: ({ toolName, context }) => {
              predicateCalls.push(`records ${toolName} ${context.environment}`);
              return context.environment === 'production' && toolName.startsWith('write_');
            },
          }),
        }),
      ],
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
    executed.length = 0;
    predicateCalls.length = 0;
  });

  test('a JSON condition gates only the refund above the threshold, in the same turn', async () => {
    router.enqueue(
      'Shop agent.',
      scripted.toolCalls([
        { id: 'call_small', name: 'refund', arguments: { orderId: 'A1', amount: 50 } },
        { id: 'call_large', name: 'refund', arguments: { orderId: 'B2', amount: 250 } },
      ]),
      scripted.text('Both refunds handled.'),
    );
    const rules = new ApprovalRules({ conditions: [{ tool: 'refund', when: { arg: 'amount', gt: 100 } }] });
    const started = await harness.zap.executeTask({
      agentName: 'Shop',
      task: 'Refund A1 and B2',
      approvalRules: rules,
      context: { environment: 'staging', domain: 'shop.test' },
    });
    const waiting = await waitForPending(harness, started.id, 1);
    // The small refund did not wait for the large one's decision.
    await waitForTask(harness.zap, started.id, () => executed.includes('refund 50 on A1'));
    expect(executed).toEqual(['refund 50 on A1']);
    const [pending] = await waiting.getPendingApprovals();
    expect(pending).toMatchObject({ toolName: 'refund', toolArgs: { orderId: 'B2', amount: 250 } });
    expect(pending?.summary).toMatch(/refund/i);
    expect(pending?.summary).toMatch(/250/);

    await waiting.approve(pending!.id, { approvedBy: 'manager' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual(['refund 50 on A1', 'refund 250 on B2']);
    expect(task.approvals).toHaveLength(1);
  });

  test("a tool's predicate on arguments and context gates the external email; its describe is the summary", async () => {
    router.enqueue(
      'Shop agent.',
      scripted.toolCalls([
        { id: 'call_in', name: 'send_email', arguments: { to: 'ops@shop.test', subject: 'Stock low' } },
        { id: 'call_out', name: 'send_email', arguments: { to: 'ana@other.org', subject: 'Your refund' } },
      ]),
      scripted.text('Emails handled.'),
    );
    const started = await harness.zap.executeTask({
      agentName: 'Shop',
      task: 'Send the emails',
      context: { environment: 'production', domain: 'shop.test' },
    });
    const waiting = await waitForPending(harness, started.id, 1);
    const [pending] = await waiting.getPendingApprovals();
    expect(pending).toMatchObject({ toolName: 'send_email', toolArgs: { to: 'ana@other.org' }, summary: 'Email "Your refund" to ana@other.org' });
    // The internal email was not gated.
    await waitForTask(harness.zap, started.id, () => executed.includes('email ops@shop.test'));

    await waiting.reject(pending!.id, 'Not to customers without a review', { rejectedBy: 'lead' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual(['email ops@shop.test']);
    expect(task.getToolCalls().find((call) => call.toolCallId === 'call_out')?.result).toBe('[Tool call rejected: Not to customers without a review]');
    // Evaluated once per call, on the worker, while the model activity ran; never again on replay or decision.
    expect(predicateCalls.sort()).toEqual(['send_email ana@other.org', 'send_email ops@shop.test']);
  });

  test("an agent's predicate sees the task's context: writes need approval in production only", async () => {
    router.enqueue(
      'Records agent.',
      scripted.toolCalls([{ id: 'call_w', name: 'write_record', arguments: { key: 'k1' } }]),
      scripted.text('Written in staging.'),
      scripted.toolCalls([{ id: 'call_w2', name: 'write_record', arguments: { key: 'k2' } }]),
      scripted.text('Written in production.'),
    );
    const staging = await harness.zap.executeTask({ agentName: 'Records', task: 'Write k1', context: { environment: 'staging', domain: 'x' } });
    await waitForCompletion(harness.zap, staging.id);
    expect(executed).toEqual(['write k1']);

    const production = await harness.zap.executeTask({ agentName: 'Records', task: 'Write k2', context: { environment: 'production', domain: 'x' } });
    const waiting = await waitForPending(harness, production.id, 1);
    expect(executed).toEqual(['write k1']);
    const [pending] = await waiting.getPendingApprovals();
    await waiting.approve(pending!.id);
    await waitForCompletion(harness.zap, production.id);
    expect(executed).toEqual(['write k1', 'write k2']);
    expect(predicateCalls).toEqual(['records write_record staging', 'records write_record production']);
  });

  test('a predicate that throws gates the call (fail closed) and the summary says why', async () => {
    router.enqueue('Shop agent.', scripted.toolCalls([{ id: 'call_f', name: 'flaky_check', arguments: {} }]), scripted.text('Checked.'));
    const started = await harness.zap.executeTask({ agentName: 'Shop', task: 'Check', context: { environment: 'staging', domain: 'x' } });
    const waiting = await waitForPending(harness, started.id, 1);
    const [pending] = await waiting.getPendingApprovals();
    expect(pending?.summary).toMatch(/policy service unreachable/);
    expect(executed).toEqual([]);
    await waiting.approve(pending!.id);
    await waitForCompletion(harness.zap, started.id);
    expect(executed).toEqual(['flaky']);
  });

  test('the rules of executeTask cannot carry a predicate in code: refused before anything starts', async () => {
    const rules = new ApprovalRules({ requiresApproval: () => true });
    await expect(harness.zap.executeTask({ agentName: 'Shop', task: 'x', approvalRules: rules, context: { environment: 'staging', domain: 'x' } })).rejects.toThrow(
      ZapValidationError,
    );
    await expect(harness.zap.executeTask({ agentName: 'Shop', task: 'x', approvalRules: rules, context: { environment: 'staging', domain: 'x' } })).rejects.toThrow(
      /only be an agent's rules/,
    );
    expect(harness.llm.requestCount()).toBe(0);
  });
});
