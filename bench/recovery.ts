/**
 * Recovery: how long a task stands still after its worker process is SIGKILLed in the middle of a
 * tool call, until it makes progress on a fresh worker, with the heartbeat timeout at its default
 * (20 s) and at 2 s, and with two settings that shorten what follows the heartbeat timeout.
 *
 *   npx tsx bench/recovery.ts     # BENCH_RECOVERY_REPETITIONS=5
 *
 * Each repetition: a task of the `Operator` agent calls `slow_step` (idempotent; its first attempt
 * blocks), the benchmark sees the call running (describe: pending activity started), waits a kill
 * delay spread over 0.2–2 s across repetitions (where the kill falls between two heartbeats),
 * SIGKILLs the worker and at once starts a new worker process. Progress = the task's next model
 * request reaching the scripted server, i.e. the retried tool call finished on the new worker and
 * the workflow scheduled the next model call. The task's history then tells what the time went to:
 * the heartbeat timeout (the retried attempt's start), and the workflow task that had to wait for
 * the dead worker's sticky queue to time out.
 *
 * Baseline: the heartbeat timeout itself, the floor Temporal puts under any recovery of a call in
 * flight; `recovery / heartbeat` says how much is added to it.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createBenchZap, OPERATOR_AGENT } from './lib/bench-zap';
import { readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { eventTimeMs, HistoryFollower } from './lib/history';
import { fixed, formatTable, ratio, summaryCells, summaryRow, writeResults } from './lib/report';
import { formatTaskMessage } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';
import { startWorkerProcess, type WorkerProcess } from './lib/worker-process';

const EventType = temporal.api.enums.v1.EventType;
const PendingActivityState = temporal.api.enums.v1.PendingActivityState;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Kill delays after the tool call is seen running, spread evenly over this range. */
const KILL_DELAY_RANGE_MS: readonly [number, number] = [200, 2_000];
const TOOL_STARTED_POLL_MS = 20;
const TOOL_STARTED_TIMEOUT_MS = 60_000;
/** Longest wait for progress after a kill (the default heartbeat is 20 s). */
const PROGRESS_TIMEOUT_MS = 120_000;

interface RecoveryConfig {
  label: string;
  heartbeat: string;
  heartbeatMs: number;
  /** Worker options of every worker of the configuration. */
  workerOptions: Record<string, unknown>;
  toolRetryInitialInterval?: string;
}

/** One kill and what followed, in ms after the kill. */
interface RecoverySample {
  killDelayMs: number;
  /** The new worker process polls. */
  workerReadyMs: number;
  /** The retried tool call started on the new worker (server time, from history). */
  toolRetryStartedMs: number;
  /** The next model request reached the scripted server: the task made progress. */
  progressMs: number;
  /** Workflow task after the tool result: scheduled → started (waiting for a worker). */
  workflowTaskWaitMs: number;
  /** Workflow tasks that timed out (the dead worker's sticky queue). */
  workflowTaskTimeouts: number;
}

interface ConfigResult {
  config: RecoveryConfig;
  samples: RecoverySample[];
  progressMs: Summary;
  ratioToHeartbeat: number;
}

const results: ConfigResult[] = [];

const CONFIGS: readonly RecoveryConfig[] = [
  { label: 'heartbeat 20 s (default)', heartbeat: '20 seconds', heartbeatMs: 20_000, workerOptions: {} },
  { label: 'heartbeat 2 s', heartbeat: '2 seconds', heartbeatMs: 2_000, workerOptions: {} },
  { label: 'heartbeat 2 s, sticky queue timeout 1 s', heartbeat: '2 seconds', heartbeatMs: 2_000, workerOptions: { stickyQueueScheduleToStartTimeout: '1s' } },
  {
    label: 'heartbeat 2 s, sticky 1 s, tool retry after 200 ms',
    heartbeat: '2 seconds',
    heartbeatMs: 2_000,
    workerOptions: { stickyQueueScheduleToStartTimeout: '1s' },
    toolRetryInitialInterval: '200 ms',
  },
];

async function main(settings: { repetitions: number }, cleanups: Cleanups): Promise<void> {
  const { temporal: server, model, client } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);
  for (const config of CONFIGS) {
    const taskQueue = `bench-recovery-${randomBytes(4).toString('hex')}`;
    const { workerOptions, heartbeat, toolRetryInitialInterval } = config;
    const startWorker = (): Promise<WorkerProcess> =>
      startWorkerProcess({ taskQueue, temporalAddress: server.address, llmBaseURL: model.baseURL, workflowBundlePath: bundle.path, workerOptions });
    const zap = createBenchZap({ taskQueue, temporalAddress: server.address, temporalClient: client, heartbeat, toolRetryInitialInterval });
    await zap.start();
    const result: ConfigResult = { config, samples: [], progressMs: summarize([]), ratioToHeartbeat: Number.NaN };
    results.push(result);
    // The worker that survives one repetition is the one killed in the next.
    let worker = await startWorker();
    try {
      for (let repetition = 0; repetition < settings.repetitions; repetition += 1) {
        const [low, high] = KILL_DELAY_RANGE_MS;
        const killDelayMs = Math.round(low + ((high - low) * (repetition + 0.5)) / settings.repetitions);
        const taskKey = `recovery-${taskQueue}-${repetition}`;
        const task = await zap.executeTask({ agentName: OPERATOR_AGENT, task: formatTaskMessage({ taskKey, scenario: 'slow' }) });
        await waitForToolRunning(client, task.id);
        await sleep(killDelayMs);

        const killedAt = Date.now();
        process.kill(worker.pid, 'SIGKILL');
        await worker.stop();
        worker = await startWorker();
        const workerReadyMs = Date.now() - killedAt;
        await Promise.race([
          model.whenRequested(taskKey, 2),
          sleep(PROGRESS_TIMEOUT_MS).then(() => Promise.reject(new Error(`No progress ${PROGRESS_TIMEOUT_MS / 1000} s after the kill.`))),
        ]);
        const progressMs = Date.now() - killedAt;
        await new HistoryFollower(client, task.id).waitForTimers(1);
        const history = await client.workflow.getHandle(task.id).fetchHistory();
        const sample: RecoverySample = { killDelayMs, workerReadyMs, progressMs, ...readRecoverySteps(history.events ?? [], killedAt) };
        result.samples.push(sample);
        model.forget(taskKey);
        console.error(
          `${config.label}: progress ${(progressMs / 1000).toFixed(1)} s after the kill (retry started ${(sample.toolRetryStartedMs / 1000).toFixed(1)} s, ` +
            `worker ready ${(workerReadyMs / 1000).toFixed(1)} s, workflow task waited ${(sample.workflowTaskWaitMs / 1000).toFixed(1)} s)`,
        );
        await zap.cancelTask(task.id, 'recovery benchmark done').catch(() => undefined);
      }
    } finally {
      result.progressMs = summarize(result.samples.map((sample) => sample.progressMs));
      result.ratioToHeartbeat = result.progressMs.median / config.heartbeatMs;
      await worker.stop();
      await zap.stop();
    }
  }
}

/** Resolves once the task's tool call is running on a worker. */
async function waitForToolRunning(client: Client, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + TOOL_STARTED_TIMEOUT_MS;
  for (;;) {
    const { raw } = await handle.describe();
    const running = (raw.pendingActivities ?? []).some(
      (activity) => activity.activityType?.name === 'callTool' && activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    if (running) return;
    if (Date.now() > deadline) throw new Error(`The tool call of ${workflowId} did not start.`);
    await sleep(TOOL_STARTED_POLL_MS);
  }
}

/** From the history: when the retried tool call started, and how the workflow task after it waited. */
function readRecoverySteps(
  events: readonly HistoryEvent[],
  killedAt: number,
): Pick<RecoverySample, 'toolRetryStartedMs' | 'workflowTaskWaitMs' | 'workflowTaskTimeouts'> {
  const byId = (id: unknown): HistoryEvent | undefined => events.find((event) => Number(event.eventId) === Number(id));
  const timeOf = (event: HistoryEvent | undefined): number => (event ? eventTimeMs(event) : Number.NaN);
  const toolCompletedIndex = events.findIndex((event) => {
    const completed = event.activityTaskCompletedEventAttributes;
    return completed && byId(completed.scheduledEventId)?.activityTaskScheduledEventAttributes?.activityType?.name === 'callTool';
  });
  const toolStarted = byId(events[toolCompletedIndex]?.activityTaskCompletedEventAttributes?.startedEventId);
  const after = events.slice(toolCompletedIndex + 1);
  // The first workflow task started after the tool result, and the first one scheduled before it.
  const startedIndex = after.findIndex((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const scheduled = after.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  const beforeStart = after.slice(0, startedIndex < 0 ? after.length : startedIndex);
  return {
    toolRetryStartedMs: timeOf(toolStarted) - killedAt,
    workflowTaskWaitMs: timeOf(after[startedIndex]) - timeOf(scheduled),
    workflowTaskTimeouts: beforeStart.filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length,
  };
}

async function report(settings: { repetitions: number }, complete: boolean): Promise<void> {
  const seconds = (value: number): string => fixed(value / 1000, 1);
  const medianOf = (samples: readonly RecoverySample[], pick: (sample: RecoverySample) => number): string => seconds(median(samples.map(pick)));
  console.log(
    `\nRecovery: worker SIGKILLed during a tool call (kill ${KILL_DELAY_RANGE_MS[0]}–${KILL_DELAY_RANGE_MS[1]} ms into it), ` +
      `a new worker process started at once; seconds after the kill, ${settings.repetitions} repetition(s) per configuration.`,
  );
  console.log(
    formatTable(
      ['configuration', 'progress median', 'p95', 'min–max', 'vs heartbeat', 'new worker ready', 'tool retried', 'workflow task wait', 'sticky timeouts'],
      results.map(({ config, samples, progressMs, ratioToHeartbeat }) => [
        config.label,
        ...summaryCells(progressMs, 1, 1000),
        ratio(ratioToHeartbeat),
        medianOf(samples, (sample) => sample.workerReadyMs),
        medianOf(samples, (sample) => sample.toolRetryStartedMs),
        medianOf(samples, (sample) => sample.workflowTaskWaitMs),
        String(samples.reduce((total, sample) => total + sample.workflowTaskTimeouts, 0)),
      ]),
    ),
  );
  console.log('(medians; "tool retried" and "workflow task wait" come from the task history, server clock of the same machine)');
  const path = await writeResults('recovery', {
    complete,
    summary: results.map((result) =>
      summaryRow(
        { benchmark: 'recovery', figure: `SIGKILL → progress: ${result.config.label}`, unit: 's', ratio: result.ratioToHeartbeat, baseline: 'heartbeat timeout' },
        result.progressMs,
        1000,
      ),
    ),
    settings: { ...settings, killDelayRangeMs: KILL_DELAY_RANGE_MS },
    configs: results,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({ repetitions: readInteger(environment, 'BENCH_RECOVERY_REPETITIONS', 5, 1) }),
  // The default heartbeat makes a repetition last ~25 s; the others a few seconds plus a worker start.
  hardTimeoutMs: (settings) => 120_000 + settings.repetitions * CONFIGS.length * 60_000,
  main,
  report,
});
