/**
 * The Temporal server goes away while a task is in a tool call, and comes back with its state
 * (a persistent SQLite database). The worker and the client reconnect by themselves; the tool's
 * result is delivered and the task completes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Zap } from '../../../src';
import { scripted, ScriptedLlmServer } from '../../../src/testing/scripted-llm-server';
import { TemporalDevServer } from '../../../src/testing/temporal-dev-server';
import { activityExecutions, waitUntil } from '../../fixtures/faults/activity-history';
import { openGate, readEffects } from '../../fixtures/faults/effects';
import { createFaultZap, FAULT_AGENT } from '../../fixtures/faults/fault-zap';
import { runInProcessWorker, type InProcessWorker } from '../../fixtures/faults/in-process-worker';
import { uniqueTaskQueue, waitForCompletion } from '../../support/harness';

jest.setTimeout(180_000);

describe('the Temporal server restarted mid-task', () => {
  let directory: string;
  let server: TemporalDevServer | undefined;
  let llm: ScriptedLlmServer | undefined;
  let zap: Zap | undefined;
  let worker: InProcessWorker | undefined;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'zap-temporal-restart-'));
    // Our own server, so stopping it does not disturb the other test files' shared server.
    server = await TemporalDevServer.start({ uiPort: false, dbFilename: join(directory, 'temporal.db') });
    llm = await ScriptedLlmServer.start();
  });

  afterEach(async () => {
    // Not zap.stop() alone: it can race the worker's release of its connection (see in-process-worker).
    await (worker ? worker.stop() : zap?.stop());
    await llm?.close();
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
    zap = undefined;
    worker = undefined;
  });

  const released = (effectsFile: string) =>
    waitUntil('the tool to be released', () =>
      readEffects(effectsFile).some((effect) => effect.event === 'released') ? true : undefined,
    );

  test.each<[string, (devServer: TemporalDevServer, release: () => Promise<void>) => Promise<void>]>([
    [
      'stopped and started again, the tool released afterwards',
      async (devServer, release) => {
        await devServer.restart();
        await release();
      },
    ],
    [
      'killed (SIGKILL) and started again, the tool released afterwards',
      async (devServer, release) => {
        await devServer.kill();
        await devServer.restart();
        await release();
      },
    ],
    [
      'killed, the tool finishing while the server is down',
      async (devServer, release) => {
        await devServer.kill();
        // The worker must hold the tool's result until the server answers again.
        await release();
        await devServer.restart();
      },
    ],
  ])('%s: the task blocked in a tool completes', async (_name, bounce) => {
    const effectsFile = join(directory, 'effects.jsonl');
    zap = createFaultZap({
      taskQueue: uniqueTaskQueue('restart'),
      temporalAddress: server!.address,
      effectsFile,
      gateDirectory: directory,
      llmBaseURL: llm!.baseURL,
      // Longer than the outage: heartbeats cannot reach a stopped server.
      heartbeat: '30 seconds',
    });
    llm!.enqueue(
      scripted.toolCalls([{ id: 'call_pay', name: 'send_payment', arguments: { amount: 5, gate: 'release' } }]),
      scripted.text('Paid 5.'),
    );
    worker = await runInProcessWorker(zap);

    const started = await zap.executeTask({ agentName: FAULT_AGENT, task: 'Pay 5' });
    await waitUntil('the tool to start', () => (readEffects(effectsFile).length > 0 ? true : undefined));
    const pidBefore = server!.pid;
    await bounce(server!, async () => {
      openGate(directory, 'release');
      await released(effectsFile);
    });
    expect(server!.pid).not.toBe(pidBefore);

    const task = await waitForCompletion(zap, started.id, 90_000);
    expect(worker.error).toBeUndefined();
    expect(worker.worker.getState()).toBe('RUNNING');
    expect(task.result).toBe('Paid 5.');
    // The tool's own answer, delivered to the restarted server: not an unknown outcome.
    expect(task.getToolCalls()[0]?.result).toBe('sent 5');
    expect(readEffects(effectsFile).map((effect) => effect.event)).toEqual(['executed', 'released']);
    expect(llm!.requests).toHaveLength(2);
    const activities = await activityExecutions(zap.client, started.id);
    expect(activities.map(({ type, attempt, outcome }) => ({ type, attempt, outcome }))).toEqual([
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
      { type: 'callToolAtMostOnce', attempt: 1, outcome: 'completed' },
      { type: 'invokeModel', attempt: 1, outcome: 'completed' },
    ]);
  });
});
