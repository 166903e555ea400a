/**
 * Lifecycle hooks against the real dev server: each hook runs as a `runHook` activity with the
 * task's snapshot, once per event; the webhook notifier delivers signed bodies to a real HTTP
 * receiver on 127.0.0.1; and a worker killed (SIGKILL) while a delivery is in flight does not
 * lose it: another worker delivers it again, with the same delivery id (at least once).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ApprovalRules, ZapAgent, tool, type LifecycleHookEvent, type LifecycleHookName, type Zap } from '../../src';
import { verifyWebhookSignature, webhookNotifier, type WebhookBody } from '../../src/hooks';
import { scripted, ScriptedLlmServer } from '../../src/testing/scripted-llm-server';
import { activityExecutions, waitUntil } from '../fixtures/faults/activity-history';
import { createHooksZap, HOOKS_AGENT, hooksWorkerEnvironment, type HooksZapOptions } from '../fixtures/hooks-zap';
import { AgentRouter } from '../support/agent-router';
import { startHarness, temporalAddress, uniqueTaskQueue, waitForCompletion, waitForTask, type Harness } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

jest.setTimeout(120_000);

const SECRET = 'lifecycle-hooks-test-secret';

/** One POST the receiver got. */
interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** True once the receiver answered it (200). */
  answered: boolean;
}

/**
 * A webhook receiver on 127.0.0.1: records every POST; `hold` decides, per delivery, whether to
 * leave it unanswered (the connection stays open until the sender goes away).
 */
class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  hold: (delivery: Delivery, index: number) => boolean = () => false;
  private readonly server: Server;
  private readonly held: ServerResponse[] = [];

  private constructor() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const delivery: Delivery = { headers: request.headers, body, answered: false };
        this.deliveries.push(delivery);
        if (this.hold(delivery, this.deliveries.length - 1)) {
          this.held.push(response);
          return;
        }
        delivery.answered = true;
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolveListen) => receiver.server.listen(0, '127.0.0.1', resolveListen));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/zap-webhook`;
  }

  bodies(): WebhookBody[] {
    return this.deliveries.map((delivery) => JSON.parse(delivery.body) as WebhookBody);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }
}

const transferFunds = tool({
  name: 'transfer_funds',
  description: 'Moves money',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => `transferred ${amount} to ${to}`,
});
const lookup = tool({
  name: 'lookup',
  description: 'Looks a key up',
  parameters: z.object({ key: z.string() }),
  idempotent: true,
  execute: ({ key }) => `value-of-${key}`,
});

describe('lifecycle hooks', () => {
  const router = new AgentRouter();
  const hookCalls: LifecycleHookEvent[] = [];
  const flakyAttempts: Array<{ deliveryId: string; attempt: number }> = [];
  let harness: Harness;
  let receiver: WebhookReceiver;

  const record = (event: LifecycleHookEvent): void => void hookCalls.push(event);
  function callsOf(taskId: string, hook?: LifecycleHookName): LifecycleHookEvent[] {
    return hookCalls.filter((call) => call.taskId === taskId && (hook === undefined || call.hook === hook));
  }

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Hooked',
          prompt: 'Hooked agent.',
          model: 'scripted-model',
          tools: [transferFunds, lookup],
          approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
          hooks: { onStart: record, onApprovalRequested: record, onStuck: record, onComplete: record, onFailed: record },
        }),
        new ZapAgent({
          name: 'Flaky',
          prompt: 'Flaky hooks.',
          model: 'scripted-model',
          retry: { hook: { maximumAttempts: 2, initialInterval: '100 ms' } },
          hooks: {
            onComplete: ({ deliveryId, attempt }) => {
              flakyAttempts.push({ deliveryId, attempt });
              throw new Error('the chat service is down');
            },
          },
        }),
        new ZapAgent({
          name: 'Webhooked',
          prompt: 'Webhooked agent.',
          model: 'scripted-model',
          tools: [transferFunds],
          approvalRules: new ApprovalRules({ patterns: ['transfer_*'] }),
          hooks: webhookNotifier({ url: receiver.url, secret: SECRET, events: ['approval_requested', 'completed'] }),
        }),
      ],
      llm: { handler: router.handler },
    });
  });

  afterAll(async () => {
    await harness?.stop();
    await receiver?.close();
  });

  test('onStart, onApprovalRequested and onComplete each run once, with the task as it was then', async () => {
    router.enqueue(
      'Hooked agent.',
      scripted.toolCalls([{ id: 'call_t', name: 'transfer_funds', arguments: { amount: 5, to: 'ACME' } }]),
      scripted.text('Paid ACME.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Hooked', task: 'Pay ACME 5' });
    const waiting = await waitForTask(harness.zap, started.id, (task) => task.status === 'awaiting_approval');
    const [pending] = await waiting.getPendingApprovals();
    await waitUntil('the approval hook', () => (callsOf(started.id, 'onApprovalRequested').length > 0 ? true : undefined));
    await harness.zap.approve(started.id, pending!.id, { approvedBy: 'alice' });
    await waitForCompletion(harness.zap, started.id);
    await waitUntil('the completion hook', () => (callsOf(started.id, 'onComplete').length > 0 ? true : undefined));

    const [onStart] = callsOf(started.id, 'onStart');
    expect(onStart).toMatchObject({ hook: 'onStart', taskId: started.id, agentName: 'Hooked', deliveryId: `${started.id}/onStart/0`, attempt: 1 });
    expect(onStart!.snapshot).toMatchObject({ taskId: started.id, status: 'pending', messageCount: 2 });

    const [onApproval] = callsOf(started.id, 'onApprovalRequested');
    expect(onApproval!.approval).toMatchObject({ id: pending!.id, toolName: 'transfer_funds', toolArgs: { amount: 5, to: 'ACME' } });
    expect(onApproval!.snapshot).toMatchObject({ status: 'awaiting_approval', pendingApprovals: [expect.objectContaining({ id: pending!.id })] });

    const [onComplete] = callsOf(started.id, 'onComplete');
    expect(onComplete).toMatchObject({ result: 'Paid ACME.', snapshot: expect.objectContaining({ status: 'completed', result: 'Paid ACME.' }) });
    expect(onComplete!.deliveryId).toMatch(new RegExp(`^${started.id}/onComplete/\\d+$`));
    expect(Date.parse(onComplete!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(onApproval!.occurredAt));

    // Once per event: three hooks, three distinct deliveries, no failure hook.
    expect(callsOf(started.id).map((call) => call.hook).sort()).toEqual(['onApprovalRequested', 'onComplete', 'onStart']);
    expect(new Set(callsOf(started.id).map((call) => call.deliveryId)).size).toBe(3);
  });

  test('a stuck task runs onStuck, then onFailed with the failed snapshot', async () => {
    router.enqueue('Hooked agent.', ...Array.from({ length: 3 }, () => scripted.toolCalls([{ name: 'lookup', arguments: { key: 'k' } }])));
    const started = await harness.zap.executeTask({ agentName: 'Hooked', task: 'Look k up forever' });
    await waitForTask(harness.zap, started.id, (task) => task.status === 'failed');
    // The run ends only after its hooks have run.
    await expect(harness.zap.client.workflow.getHandle(started.id).result()).rejects.toThrow();
    const [onStuck] = callsOf(started.id, 'onStuck');
    expect(onStuck!.stuck).toEqual({ reason: 'repeated_call', toolName: 'lookup', repeats: 3, policy: 'stop', action: 'stop', iteration: 3 });
    const [onFailed] = callsOf(started.id, 'onFailed');
    expect(onFailed!.error).toMatch(/^Agent 'Hooked' is stuck: it called lookup/);
    expect(onFailed!.snapshot).toMatchObject({ status: 'failed', error: onFailed!.error });
    expect(callsOf(started.id).map((call) => call.hook).sort()).toEqual(['onFailed', 'onStart', 'onStuck']);
  });

  test('a hook that keeps failing is retried by its policy, then given up; the task goes on', async () => {
    router.enqueue('Flaky hooks.', scripted.text('first answer'), scripted.text('second answer'));
    const started = await harness.zap.executeTask({ agentName: 'Flaky', task: 'Answer twice' });
    await waitForCompletion(harness.zap, started.id);
    await harness.zap.executeTask({ followUpOnTask: started.id, task: 'Again' });
    const task = await waitForTask(harness.zap, started.id, (current) => current.result === 'second answer' && current.status === 'completed');
    expect(task.error).toBeUndefined();
    await waitUntil('both hooks to give up', () => (flakyAttempts.length >= 4 ? true : undefined));
    const byDelivery = new Map<string, number[]>();
    for (const { deliveryId, attempt } of flakyAttempts) byDelivery.set(deliveryId, [...(byDelivery.get(deliveryId) ?? []), attempt]);
    expect([...byDelivery.values()]).toEqual([
      [1, 2],
      [1, 2],
    ]);
    // The last attempt has thrown; its failure reaches the history a moment later.
    const hookActivities = await waitUntil('both hook activities to fail in history', async () => {
      const activities = (await activityExecutions(harness.zap.client, started.id)).filter((activity) => activity.type === 'runHook');
      return activities.length === 2 && activities.every((activity) => activity.outcome !== 'open') ? activities : undefined;
    });
    expect(hookActivities.map(({ attempt, outcome }) => ({ attempt, outcome }))).toEqual([
      { attempt: 2, outcome: 'failed' },
      { attempt: 2, outcome: 'failed' },
    ]);
  });

  test('the webhook notifier POSTs signed bodies for approval requests and answers', async () => {
    router.enqueue(
      'Webhooked agent.',
      scripted.toolCalls([{ id: 'call_w', name: 'transfer_funds', arguments: { amount: 9, to: 'Bob' } }]),
      scripted.text('Sent 9 to Bob.'),
    );
    const started = await harness.zap.executeTask({ agentName: 'Webhooked', task: 'Send Bob 9' });
    const mine = (): Delivery[] => receiver.deliveries.filter((delivery) => (JSON.parse(delivery.body) as WebhookBody).taskId === started.id);
    await waitUntil('the approval delivery', () => (mine().length >= 1 ? true : undefined));
    const [approvalDelivery] = mine();
    const approvalBody = JSON.parse(approvalDelivery!.body) as WebhookBody;
    expect(approvalBody).toMatchObject({
      type: 'approval_requested',
      taskId: started.id,
      agentName: 'Webhooked',
      status: 'awaiting_approval',
      approval: { toolName: 'transfer_funds', toolArgs: { amount: 9, to: 'Bob' } },
    });
    // A receiver in chat or email approves through the usual surface.
    await harness.zap.approve(started.id, approvalBody.approval!.id, { approvedBy: 'chat:carol' });
    await waitForCompletion(harness.zap, started.id);
    await waitUntil('the completion delivery', () => (mine().length >= 2 ? true : undefined));

    const deliveries = mine();
    expect(deliveries.map((delivery) => (JSON.parse(delivery.body) as WebhookBody).type)).toEqual(['approval_requested', 'completed']);
    for (const delivery of deliveries) {
      const body = JSON.parse(delivery.body) as WebhookBody;
      expect(verifyWebhookSignature({ body: delivery.body, signature: delivery.headers['x-zap-signature'] as string, secret: SECRET })).toBe(true);
      expect(verifyWebhookSignature({ body: delivery.body, signature: delivery.headers['x-zap-signature'] as string, secret: 'another-secret-entirely' })).toBe(false);
      expect(delivery.headers['x-zap-delivery']).toBe(body.deliveryId);
      expect(delivery.headers['x-zap-event']).toBe(body.type);
      expect(delivery.headers['content-type']).toBe('application/json');
    }
    expect(JSON.parse(deliveries[1]!.body)).toMatchObject({ type: 'completed', status: 'completed', result: 'Sent 9 to Bob.' });
  });
});

describe('a completion hook slower than the idle timeout', () => {
  const finished: LifecycleHookEvent[] = [];
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Slow',
          prompt: 'Slow hooks.',
          model: 'scripted-model',
          hooks: {
            onComplete: async (event) => {
              await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
              finished.push(event);
            },
          },
        }),
      ],
      zap: { idleTimeout: '200 ms' },
      llm: { script: [scripted.text('quick answer')] },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('is not lost: the run waits for it before it ends', async () => {
    const started = await harness.zap.executeTask({ agentName: 'Slow', task: 'Answer and close' });
    const result = await harness.zap.client.workflow.getHandle(started.id).result();
    expect(result).toMatchObject({ status: 'completed', result: 'quick answer' });
    expect(finished).toEqual([expect.objectContaining({ taskId: started.id, result: 'quick answer' })]);
  });
});

describe('completion hooks of a task that continues as new', () => {
  const completions: LifecycleHookEvent[] = [];
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      agents: [
        new ZapAgent({
          name: 'Chatty',
          prompt: 'Chatty hooks.',
          model: 'scripted-model',
          hooks: { onComplete: (event) => void completions.push(event) },
        }),
      ],
      zap: { continueAsNewAfterEvents: 20 },
      llm: { handler: (request) => scripted.text(`answer ${request.body.messages.length / 2}`) },
    });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  test('run once per answer, none lost with a run', async () => {
    const started = await harness.zap.executeTask({ agentName: 'Chatty', task: 'Chat 1' });
    for (let turn = 2; turn <= 5; turn += 1) {
      await waitForTask(harness.zap, started.id, (task) => task.result === `answer ${turn - 1}` && task.status === 'completed');
      await harness.zap.executeTask({ followUpOnTask: started.id, task: `Chat ${turn}` });
    }
    await waitForTask(harness.zap, started.id, (task) => task.result === 'answer 5');
    await waitUntil('five completion hooks', () => (completions.length >= 5 ? true : undefined));
    const runs = [];
    for await (const run of harness.zap.client.workflow.list({ query: `WorkflowId = '${started.id}'` })) runs.push(run);
    expect(runs.length).toBeGreaterThan(1);
    expect(completions.map((event) => event.result)).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
    expect(new Set(completions.map((event) => event.deliveryId)).size).toBe(5);
  });
});

describe('a lifecycle hook whose worker is killed mid-delivery', () => {
  let llm: ScriptedLlmServer;
  let receiver: WebhookReceiver;
  let options: HooksZapOptions;
  let client: Zap;
  const workers: WorkerProcess[] = [];
  const HOOKS_ZAP_MODULE = resolve(__dirname, '../fixtures/hooks-zap.ts');

  async function startWorker(): Promise<WorkerProcess> {
    const worker = await spawnWorker(HOOKS_ZAP_MODULE, hooksWorkerEnvironment(options));
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start();
    receiver = await WebhookReceiver.start();
    options = { taskQueue: uniqueTaskQueue('hooks-crash'), temporalAddress: temporalAddress(), webhookUrl: receiver.url, secret: SECRET, llmBaseURL: llm.baseURL };
    client = createHooksZap(options);
    await client.start();
  });

  afterAll(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await client?.stop();
    await receiver?.close();
    await llm?.close();
  });

  test('another worker delivers it again, with the same delivery id and body (at least once)', async () => {
    llm.enqueue(scripted.text('Done.'));
    // The first delivery is received but never answered: the worker dies with it in flight.
    receiver.hold = (_delivery, index) => index === 0;
    const first = await startWorker();
    const started = await client.executeTask({ agentName: HOOKS_AGENT, task: 'Report when done' });
    await waitUntil('the first delivery', () => (receiver.deliveries.length > 0 ? true : undefined), 60_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const second = await startWorker();

    await waitUntil('a delivery the receiver answered', () => (receiver.deliveries.some((delivery) => delivery.answered) ? true : undefined), 60_000);
    const deliveries = receiver.deliveries;
    const deliveryIds = new Set(deliveries.map((delivery) => delivery.headers['x-zap-delivery']));
    // Reported by the test run: how many times the one event was delivered, and under which id.
    console.info(`[lifecycle-hooks] onComplete deliveries across the kill: ${deliveries.length}, delivery ids: ${[...deliveryIds].join(', ')}`);
    // At least once: the first delivery died unanswered with its worker, so there is at least one more.
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    expect(deliveryIds.size).toBe(1);
    expect(new Set(deliveries.map((delivery) => delivery.body)).size).toBe(1);
    const body = JSON.parse(deliveries[0]!.body) as WebhookBody;
    expect(body).toMatchObject({ type: 'completed', taskId: started.id, result: 'Done.', deliveryId: [...deliveryIds][0] });
    expect(body.deliveryId).toMatch(new RegExp(`^${started.id}/onComplete/\\d+$`));
    for (const delivery of deliveries) {
      expect(verifyWebhookSignature({ body: delivery.body, signature: delivery.headers['x-zap-signature'] as string, secret: SECRET })).toBe(true);
    }

    // One hook activity, finished by the second worker on a later attempt.
    await waitUntil('the hook activity to complete', async () => {
      const hook = (await activityExecutions(client.client, started.id)).find((activity) => activity.type === 'runHook');
      return hook?.outcome === 'completed' ? hook : undefined;
    });
    const hooks = (await activityExecutions(client.client, started.id)).filter((activity) => activity.type === 'runHook');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.attempt).toBeGreaterThanOrEqual(2);
    expect(hooks[0]!.identity).toContain(`${second.child.pid}@`);
  });
});
