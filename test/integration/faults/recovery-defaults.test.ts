/**
 * Recovery with zap's default timeouts: a worker process SIGKILLed in the middle of a local tool
 * and in the middle of a model call. The call moves to a second worker after the (default) heartbeat
 * timeout, and the retried attempt hands the workflow's stickiness over: the workflow task after it
 * goes to the task queue itself, not to the dead worker's sticky queue. A tool that is not
 * idempotent is not run again: its second attempt only reports the outcome unknown, from the
 * second worker, and hands the stickiness over the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Zap } from '../../../src';
import { scripted, ScriptedLlmServer } from '../../../src/testing/scripted-llm-server';
import { activityExecutions, waitUntil } from '../../fixtures/faults/activity-history';
import { openGate, readEffects } from '../../fixtures/faults/effects';
import { createFaultZap, FAULT_AGENT, faultWorkerEnvironment, type FaultZapOptions } from '../../fixtures/faults/fault-zap';
import { temporalAddress, uniqueTaskQueue, waitForCompletion } from '../../support/harness';
import { spawnWorker, type WorkerProcess } from '../../support/spawn-worker';

const FAULT_ZAP_MODULE = resolve(__dirname, '../../fixtures/faults/fault-zap.ts');
/** Heartbeat timeout + retry backoff + a worker start on a busy 2-core machine, with a wide margin (not an assertion). */
const TAKEOVER_TIMEOUT_MS = 60_000;
const { EventType, TaskQueueKind } = temporal.api.enums.v1;

jest.setTimeout(120_000);

/**
 * The queue kind of the first workflow task scheduled after the last `activityType` activity
 * completed or failed (only failed, with `failedOnly`): NORMAL once a takeover reset the sticky
 * queue, STICKY while the run still points at a worker.
 */
async function queueKindAfterLast(
  client: Client,
  workflowId: string,
  activityType: string,
  failedOnly = false,
): Promise<temporal.api.enums.v1.TaskQueueKind | null | undefined> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduledTypes = new Map<string, string>();
  let completedIndex = -1;
  events.forEach((event, index) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) scheduledTypes.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const closed = failedOnly ? event.activityTaskFailedEventAttributes : (event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes);
    if (closed && scheduledTypes.get(String(closed.scheduledEventId)) === activityType) completedIndex = index;
  });
  const next = events.slice(completedIndex + 1).find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  return next?.workflowTaskScheduledEventAttributes?.taskQueue?.kind;
}

describe('recovery with the default heartbeat timeouts', () => {
  let llm: ScriptedLlmServer;
  let directory: string;
  let options: FaultZapOptions;
  let client: Zap;
  const workers: WorkerProcess[] = [];

  async function startWorker(): Promise<WorkerProcess> {
    const worker = await spawnWorker(FAULT_ZAP_MODULE, faultWorkerEnvironment(options));
    workers.push(worker);
    return worker;
  }

  function effects(tool: string, event: string) {
    return readEffects(options.effectsFile).filter((effect) => effect.tool === tool && effect.event === event);
  }

  beforeEach(async () => {
    llm = await ScriptedLlmServer.start();
    directory = mkdtempSync(join(tmpdir(), 'zap-recovery-defaults-'));
    options = {
      taskQueue: uniqueTaskQueue('recovery'),
      temporalAddress: temporalAddress(),
      effectsFile: join(directory, 'effects.jsonl'),
      gateDirectory: directory,
      llmBaseURL: llm.baseURL,
      heartbeat: 'default',
    };
    client = createFaultZap(options);
    await client.start();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await client?.stop();
    await llm?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  test('a worker killed mid local tool: the tool is retried on the second worker, applied once, and the task goes on from the normal queue', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_charge', name: 'charge_card', arguments: { amount: 25, gate: 'charge' } }]),
      scripted.text('Charged 25.'),
    );
    const first = await startWorker();
    const started = await client.executeTask({ agentName: FAULT_AGENT, task: 'Charge 25' });
    await waitUntil('the charge to be applied', () => (effects('charge_card', 'applied').length > 0 ? true : undefined));
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    openGate(options.gateDirectory, 'charge');
    const second = await startWorker();

    const task = await waitForCompletion(client, started.id, TAKEOVER_TIMEOUT_MS);
    expect(task.result).toBe('Charged 25.');
    expect(effects('charge_card', 'attempt').map((effect) => effect.pid)).toEqual([first.child.pid, second.child.pid]);
    expect(effects('charge_card', 'applied')).toHaveLength(1);
    expect(llm.requests).toHaveLength(2);
    const activities = await activityExecutions(client.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callTool', attempt: 2, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
    ]);
    // The retried attempt reset the sticky queue: the next workflow task did not wait for the dead worker's.
    expect(await queueKindAfterLast(client.client, started.id, 'callTool')).toBe(TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
  });

  test('a worker killed mid non-idempotent tool: the second worker reports the outcome unknown without running it, and the task goes on from the normal queue', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_pay', name: 'send_payment', arguments: { amount: 30, gate: 'pay' } }]),
      scripted.text('The payment may have gone through.'),
    );
    const first = await startWorker();
    const started = await client.executeTask({ agentName: FAULT_AGENT, task: 'Pay 30' });
    await waitUntil('the payment to start', () => (readEffects(options.effectsFile).some((effect) => effect.tool === 'send_payment') ? true : undefined));
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const second = await startWorker();

    const task = await waitForCompletion(client, started.id, TAKEOVER_TIMEOUT_MS);
    expect(task.result).toBe('The payment may have gone through.');
    expect(llm.requests[1]!.body.messages.at(-1).content).toBe(
      '[Tool call outcome unknown: Tool send_payment did not report back: the attempt running it timed out (its worker may have stopped). ' +
        'It may or may not have taken effect; send_payment is not idempotent, so it was not retried. Check before calling it again.]',
    );
    expect(readEffects(options.effectsFile).filter((effect) => effect.tool === 'send_payment').map((effect) => effect.pid)).toEqual([first.child.pid]);
    const activities = await activityExecutions(client.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 2, outcome: 'failed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
    ]);
    expect(activities[1]!.identity).toContain(`${second.child.pid}@`);
    expect(await queueKindAfterLast(client.client, started.id, 'callToolAtMostOnce')).toBe(TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
  });

  test('a worker killed mid model call: only that call is paid again, on the second worker', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_lookup', name: 'lookup_order', arguments: { orderId: 'C3' } }]),
      scripted.hang(),
      scripted.text('Order C3 has shipped.'),
    );
    const first = await startWorker();
    const started = await client.executeTask({ agentName: FAULT_AGENT, task: 'Where is order C3?' });
    await llm.waitForRequests(2, 30_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const second = await startWorker();

    const task = await waitForCompletion(client, started.id, TAKEOVER_TIMEOUT_MS);
    expect(task.result).toBe('Order C3 has shipped.');
    // The first call once, the hanging one twice (killed, then retried); the tool once, before the kill.
    expect(llm.requests).toHaveLength(3);
    expect(llm.requests[2]!.body.messages).toEqual(llm.requests[1]!.body.messages);
    expect(readEffects(options.effectsFile).filter((effect) => effect.tool === 'lookup_order').map((effect) => effect.pid)).toEqual([first.child.pid]);
    const activities = await activityExecutions(client.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 2, outcome: 'completed' },
    ]);
    expect(activities[2]!.identity).toContain(`${second.child.pid}@`);
    expect(await queueKindAfterLast(client.client, started.id, 'invokeModel')).toBe(TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
  });

  test('a worker killed mid model call of a task with a budget: the second worker reports the lost call without calling the model, and the task goes on from the normal queue', async () => {
    llm.enqueue(
      scripted.toolCalls([{ id: 'call_lookup', name: 'lookup_order', arguments: { orderId: 'D4' } }], { usage: { promptTokens: 300, completionTokens: 100 } }),
      scripted.hang(),
      scripted.text('Order D4 has shipped.', { usage: { promptTokens: 400, completionTokens: 100 } }),
    );
    const first = await startWorker();
    const started = await client.executeTask({ agentName: FAULT_AGENT, task: 'Where is order D4?', budget: { maxUsd: 0.1 } });
    await llm.waitForRequests(2, 30_000);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    const second = await startWorker();

    const task = await waitForCompletion(client, started.id, TAKEOVER_TIMEOUT_MS);
    expect(task.result).toBe('Order D4 has shipped.');
    // The lost call is charged at its worst case: from its heartbeat, or planned again by the
    // second attempt when the kill came before the heartbeat reached the server. Either way the
    // same figure: 4096 completion tokens of the fault agent's model ($0.008192).
    expect(task.budget).toMatchObject({ spent: { modelCalls: 3 }, estimatedUsd: 0.008192 });
    expect(llm.requests).toHaveLength(3);
    const activities = await activityExecutions(client.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModelWithinBudget', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModelWithinBudget', attempt: 2, outcome: 'failed' },
      { type: 'invokeModelWithinBudget', attempt: 1, outcome: 'completed' },
    ]);
    expect(activities[2]!.identity).toContain(`${second.child.pid}@`);
    // The report reset the sticky queue: the workflow task that charged it and retried the call did not wait for the dead worker's.
    expect(await queueKindAfterLast(client.client, started.id, 'invokeModelWithinBudget', true)).toBe(TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
  });
});
