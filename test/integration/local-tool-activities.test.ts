/**
 * Idempotent local tools declared `localActivity: true` run as Temporal local activities: a marker
 * in the workflow task instead of an activity task. Everything else about a call (retries,
 * approvals, events, the context, crash recovery, replay) behaves as for ordinary tool calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ClaimCheckCodec, CLAIM_CHECK_ENCODING, FileSystemPayloadStore } from '../../src/payload-store';
import { scripted } from '../../src/testing/scripted-llm-server';
import type { InvokeModelResult } from '../../src/core/activity-contracts';
import { getEventsQuery } from '../../src/workflows/definitions';
import { Patch, RUN_PATCHES } from '../../src/workflows/patches';
import { readEffects, openGate } from '../fixtures/faults/effects';
import { payloadsIn, serializedPayloadSize } from '../fixtures/history-payloads';
import { waitUntil } from '../fixtures/faults/activity-history';
import { createLocalToolAgent, LOCAL_TOOL_AGENT } from '../fixtures/local-tool-zap';
import { startHarness, temporalAddress, testWorkerOptions, waitForCompletion, waitForTask, type Harness } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

const LOCAL_TOOL_ZAP_MODULE = resolve(__dirname, '../fixtures/local-tool-zap.ts');
/** The workflow task timeout (10 s) + the sticky queue's timeout + a worker start on a busy machine, with margin. */
const TAKEOVER_TIMEOUT_MS = 90_000;

jest.setTimeout(150_000);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

async function historyOf(harness: Harness, taskId: string): Promise<temporal.api.history.v1.IHistory> {
  return harness.zap.client.workflow.getHandle(taskId).fetchHistory();
}

function scheduledActivityTypes(events: HistoryEvent[]): string[] {
  return events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
}

function localActivityMarkers(events: HistoryEvent[]): HistoryEvent[] {
  return events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
}

function patchMarkers(events: HistoryEvent[]): string[] {
  return events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((event) => {
      const data = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
      return data ? defaultPayloadConverter.fromPayload<{ id: string }>(data).id : '?';
    });
}

/** The model activity results recorded in the history (what the workflow decided on). */
function modelResults(events: HistoryEvent[]): InvokeModelResult[] {
  return events.flatMap((event) => {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    return payload ? [defaultPayloadConverter.fromPayload<InvokeModelResult>(payload)] : [];
  });
}

describe('local tool activities', () => {
  let directory: string;
  let effectsFile: string;
  let harness: Harness;

  const effects = (toolName: string) => readEffects(effectsFile).filter((effect) => effect.tool === toolName);

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'zap-local-tools-'));
    effectsFile = join(directory, 'effects.jsonl');
    harness = await startHarness({ agents: [createLocalToolAgent({ effectsFile, gateDirectory: directory })] });
  });

  afterAll(async () => {
    await harness?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  beforeEach(() => harness.llm.reset());

  test('a call runs as a local activity: a marker, no activity task; the context, events and the result as usual', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_lookup', name: 'lookup_order', arguments: { orderId: 'A1' } }]),
      scripted.text('Order A1 has shipped.'),
    );
    const started = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Where is A1?', context: { customer: 'ada' } });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.result).toBe('Order A1 has shipped.');
    expect(task.getToolCalls()).toEqual([expect.objectContaining({ name: 'lookup_order', result: 'order A1: shipped' })]);
    expect(harness.llm.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_lookup', content: 'order A1: shipped' });
    // The context reached the tool inline (the local activity cannot query its own workflow).
    expect(effects('lookup_order').filter((effect) => effect.key === `${started.id}/call_lookup`)).toEqual([
      expect.objectContaining({ customer: 'ada' }),
    ]);

    const events = (await historyOf(harness, started.id)).events ?? [];
    expect(scheduledActivityTypes(events)).toEqual(['invokeModel', 'invokeModel']);
    expect(localActivityMarkers(events)).toHaveLength(1);
    // The run's one marker is its run patch, which covers local tool activities.
    expect(patchMarkers(events)).toEqual([RUN_PATCHES[0]!.id]);
    expect(RUN_PATCHES[0]!.covers).toContain(Patch.LocalToolActivities);
    expect(modelResults(events)[0]!.toolHints).toEqual({ lookup_order: { idempotent: true, localActivity: true } });
    // One workflow task fewer than with an activity: model call, tool marker and next model call share one.
    const taskEvents = (await harness.zap.client.workflow.getHandle(started.id).query(getEventsQuery, 0)).events;
    expect(taskEvents.map((event) => event.type)).toEqual(['thinking', 'tool_call', 'tool_result', 'thinking', 'completed']);
  });

  test('a local tool that throws is retried with the tool retry policy, then its result goes to the model', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_flaky', name: 'flaky_lookup', arguments: { orderId: 'B2' } }]),
      scripted.text('Order B2 has shipped.'),
    );
    const started = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Where is B2?' });
    const task = await waitForCompletion(harness.zap, started.id);
    expect(task.getToolCalls()).toEqual([expect.objectContaining({ name: 'flaky_lookup', result: 'order B2: shipped (run 2)' })]);
    expect(effects('flaky_lookup').filter((effect) => effect.key === `${started.id}/call_flaky`)).toHaveLength(2);
    const events = (await historyOf(harness, started.id)).events ?? [];
    expect(scheduledActivityTypes(events)).toEqual(['invokeModel', 'invokeModel']);
    expect(localActivityMarkers(events)).toHaveLength(1);
  });

  test('approvals still gate a local tool: it runs only after the decision, and not at all when rejected', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_refund', name: 'refund', arguments: { orderId: 'C3' } }]),
      scripted.text('Refunded.'),
      scripted.toolCalls([{ id: 'call_refund_2', name: 'refund', arguments: { orderId: 'C4' } }]),
      scripted.text('Not refunded.'),
    );
    const approved = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Refund C3' });
    const waiting = await waitForTask(harness.zap, approved.id, (task) => task.status === 'awaiting_approval');
    const [pending] = await waiting.getPendingApprovals();
    expect(pending).toMatchObject({ toolName: 'refund', toolArgs: { orderId: 'C3' } });
    expect(effects('refund')).toEqual([]);
    await waiting.approve(pending!.id, { approvedBy: 'alice' });
    const done = await waitForCompletion(harness.zap, approved.id);
    expect(done.getToolCalls()).toEqual([expect.objectContaining({ name: 'refund', result: 'refunded C3' })]);
    expect(effects('refund').map((effect) => effect.key)).toEqual([`${approved.id}/call_refund`]);
    expect(localActivityMarkers((await historyOf(harness, approved.id)).events ?? [])).toHaveLength(1);

    const rejected = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Refund C4' });
    const waitingAgain = await waitForTask(harness.zap, rejected.id, (task) => task.status === 'awaiting_approval');
    const [second] = await waitingAgain.getPendingApprovals();
    await harness.zap.reject(rejected.id, second!.id, 'not eligible');
    const refused = await waitForCompletion(harness.zap, rejected.id);
    expect(refused.getToolCalls()).toEqual([expect.objectContaining({ name: 'refund', result: '[Tool call rejected: not eligible]' })]);
    expect(effects('refund').map((effect) => effect.key)).toEqual([`${approved.id}/call_refund`]);
    expect(localActivityMarkers((await historyOf(harness, rejected.id)).events ?? [])).toHaveLength(0);
  });

  test('a closed history with local tool calls replays against the workflow code', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([
        { id: 'call_a', name: 'lookup_order', arguments: { orderId: 'D1' } },
        { id: 'call_b', name: 'flaky_lookup', arguments: { orderId: 'D2' } },
      ]),
      scripted.text('Both shipped.'),
    );
    const started = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Where are D1 and D2?' });
    await waitForCompletion(harness.zap, started.id);
    await harness.zap.client.workflow.getHandle(started.id).terminate('closed for the replay test');
    const history = await historyOf(harness, started.id);
    expect(localActivityMarkers(history.events ?? [])).toHaveLength(2);
    await expect(
      Worker.runReplayHistory({ workflowBundle: testWorkerOptions().worker.workflowBundle }, history, started.id),
    ).resolves.toBeUndefined();
  });
});

describe('local tool activities with a payload store', () => {
  let directory: string;
  let harness: Harness;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'zap-local-store-'));
    const store = new FileSystemPayloadStore({ directory: join(directory, 'store') });
    harness = await startHarness({
      agents: [createLocalToolAgent({ effectsFile: join(directory, 'effects.jsonl'), gateDirectory: directory })],
      zap: { payloadCodec: new ClaimCheckCodec({ store, thresholdBytes: 16 * 1024 }) },
    });
  });

  afterAll(async () => {
    await harness?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  test("a large result goes to the store like an activity's: the marker holds a reference, the model the whole result", async () => {
    harness.llm.enqueue(scripted.toolCalls([{ id: 'call_big', name: 'big_report', arguments: { bytes: 40_000 } }]), scripted.text('Done.'));
    const started = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Write the report' });
    await waitForCompletion(harness.zap, started.id);
    expect(harness.llm.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'tool', content: 'r'.repeat(40_000) });
    const [marker] = localActivityMarkers((await historyOf(harness, started.id)).events ?? []);
    const encodings = payloadsIn(marker).map((payload: Payload) => Buffer.from(payload.metadata?.encoding ?? []).toString());
    expect(encodings).toContain(CLAIM_CHECK_ENCODING);
    expect(payloadsIn(marker).reduce((bytes, payload: Payload) => bytes + serializedPayloadSize(payload), 0)).toBeLessThan(4096);
  });
});

describe('a worker killed during a local tool call', () => {
  let directory: string;
  let effectsFile: string;
  let harness: Harness;
  const workers: WorkerProcess[] = [];

  async function startWorker(): Promise<WorkerProcess> {
    const worker = await spawnWorker(LOCAL_TOOL_ZAP_MODULE, {
      ZAP_TASK_QUEUE: harness.taskQueue,
      TEMPORAL_ADDRESS: temporalAddress(),
      ZAP_LOCAL_EFFECTS_FILE: effectsFile,
      ZAP_LOCAL_GATE_DIR: directory,
      OPENAI_BASE_URL: harness.llm.baseURL,
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
    });
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'zap-local-crash-'));
    effectsFile = join(directory, 'effects.jsonl');
    harness = await startHarness({ agents: [createLocalToolAgent({ effectsFile, gateDirectory: directory })], worker: false });
  });

  afterAll(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await harness?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  test('is noticed after the workflow task timeout; the call runs again on another worker and the task completes', async () => {
    harness.llm.enqueue(
      scripted.toolCalls([{ id: 'call_slow', name: 'slow_lookup', arguments: { orderId: 'E5', gate: 'slow-e5' } }]),
      scripted.text('Order E5 has shipped.'),
    );
    const first = await startWorker();
    const started = await harness.zap.executeTask({ agentName: LOCAL_TOOL_AGENT, task: 'Where is E5?' });
    await waitUntil('the first run of slow_lookup', () => (readEffects(effectsFile).some((effect) => effect.tool === 'slow_lookup') ? true : undefined));
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    openGate(directory, 'slow-e5');
    const second = await startWorker();

    const task = await waitForCompletion(harness.zap, started.id, TAKEOVER_TIMEOUT_MS);
    expect(task.result).toBe('Order E5 has shipped.');
    expect(task.getToolCalls()).toEqual([expect.objectContaining({ name: 'slow_lookup', result: 'order E5: shipped' })]);
    // At least once: the run on the killed worker, then the run on the new one.
    expect(readEffects(effectsFile).filter((effect) => effect.tool === 'slow_lookup').map((effect) => effect.pid)).toEqual([
      first.child.pid,
      second.child.pid,
    ]);
    const events = (await historyOf(harness, started.id)).events ?? [];
    expect(scheduledActivityTypes(events)).toEqual(['invokeModel', 'invokeModel']);
    expect(localActivityMarkers(events)).toHaveLength(1);
    expect(events.some((event) => event.workflowTaskTimedOutEventAttributes)).toBe(true);
  });
});
