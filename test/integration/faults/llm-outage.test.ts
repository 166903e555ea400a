/**
 * The model endpoint goes down for a minute in the middle of a task (its in-flight call is cut,
 * then every connection is refused), and comes back on the same address. The default LLM retry
 * policy (10 attempts, 1 s → 30 s backoff: about 150 s) covers the outage; the task completes with
 * every message it had before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Zap } from '../../../src';
import { scripted, ScriptedLlmServer } from '../../../src/testing/scripted-llm-server';
import { captureActivityFailures, type ActivityFailureLog } from '../../fixtures/faults/activity-failure-log';
import { activityExecutions } from '../../fixtures/faults/activity-history';
import { readEffects } from '../../fixtures/faults/effects';
import { createFaultZap, FAULT_AGENT } from '../../fixtures/faults/fault-zap';
import { runInProcessWorker, type InProcessWorker } from '../../fixtures/faults/in-process-worker';
import { temporalAddress, uniqueTaskQueue, waitForCompletion } from '../../support/harness';

const OUTAGE_MS = 60_000;

jest.setTimeout(240_000);

describe('the model endpoint down for a minute', () => {
  let directory: string;
  let llm: ScriptedLlmServer | undefined;
  let restored: ScriptedLlmServer | undefined;
  let zap: Zap | undefined;
  let worker: InProcessWorker | undefined;
  let failures: ActivityFailureLog;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'zap-llm-outage-'));
    failures = captureActivityFailures();
  });

  afterAll(async () => {
    failures.restore();
    await (worker ? worker.stop() : zap?.stop());
    await llm?.close();
    await restored?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  test('the task waits it out with the default retry policy and loses no message', async () => {
    llm = await ScriptedLlmServer.start({
      script: [scripted.toolCalls([{ id: 'call_lookup', name: 'lookup_order', arguments: { orderId: 'B2' } }]), scripted.hang()],
    });
    const port = Number(new URL(llm.url).port);
    const effectsFile = join(directory, 'effects.jsonl');
    zap = createFaultZap({
      taskQueue: uniqueTaskQueue('llm-outage'),
      temporalAddress: temporalAddress(),
      effectsFile,
      gateDirectory: directory,
      llmBaseURL: llm.baseURL,
    });
    worker = await runInProcessWorker(zap);
    const started = await zap.executeTask({ agentName: FAULT_AGENT, task: 'Where is order B2?' });

    // The second model call is in flight when the endpoint goes away.
    await llm.waitForRequests(2, 30_000);
    const before = llm.requests;
    await llm.close();
    await sleep(OUTAGE_MS);

    // Still working through its retries at the end of the outage: not failed.
    const during = await zap.getTask(started.id);
    expect(during.status).toBe('thinking');
    const description = await zap.client.workflow.getHandle(started.id).describe();
    const pending = description.raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0]!.activityType?.name).toBe('invokeModel');
    // `attempt` is the attempt scheduled next (or running): the ones before it failed.
    const failedDuringOutage = (pending[0]!.attempt ?? 1) - 1;
    expect(failedDuringOutage).toBeGreaterThan(2);
    expect(pending[0]!.lastFailure?.message).toMatch(/connect|ECONNREFUSED|Connection error/i);

    restored = await ScriptedLlmServer.start({ port, script: [scripted.text('Order B2 has shipped.')] });
    const task = await waitForCompletion(zap, started.id, 120_000);

    expect(task.result).toBe('Order B2 has shipped.');
    // The call that succeeded after the outage carried the whole conversation, exactly as the
    // call cut by the outage did.
    expect(restored.requests).toHaveLength(1);
    expect(restored.requests[0]!.body.messages).toEqual(before[1]!.body.messages);
    expect(task.history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    expect(task.getToolCalls()).toEqual([expect.objectContaining({ toolCallId: 'call_lookup', result: 'order B2: shipped' })]);
    expect(readEffects(effectsFile)).toHaveLength(1);
    const activities = await activityExecutions(zap.client, started.id);
    expect(activities.map(({ type, outcome }) => ({ type, outcome }))).toEqual([
      { type: 'invokeModel', outcome: 'completed' },
      { type: 'callToolAtMostOnce', outcome: 'completed' },
      { type: 'invokeModel', outcome: 'completed' },
    ]);
    const finalAttempt = activities[2]!.attempt ?? 0;
    expect(finalAttempt).toBeGreaterThan(failedDuringOutage);
    expect(failures.counts).toEqual({ invokeModel: finalAttempt - 1 });
    console.log(
      `LLM outage of ${OUTAGE_MS / 1000} s: the model call succeeded on attempt ${finalAttempt} ` +
        `(${failedDuringOutage} attempts had failed when the endpoint came back).`,
    );
  });
});
