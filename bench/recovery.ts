/**
 * Recovery: how long a task stands still after its worker process is SIGKILLed in the middle of a
 * call, until it makes progress on a fresh worker; and the other side of short heartbeat timeouts,
 * how often healthy long calls time out anyway when the worker's event loop stalls or the server
 * pauses (must be never).
 *
 *   npx tsx bench/recovery.ts     # BENCH_RECOVERY_REPETITIONS=3 BENCH_RECOVERY_CALL_SECONDS=30 BENCH_RECOVERY_HEALTHY_TASKS=4
 *                                 # BENCH_RECOVERY_STICKY_TASKS=400 BENCH_RECOVERY_STICKY_CONCURRENCY=200 BENCH_RECOVERY_STICKY_ROUNDS=1
 *                                 # BENCH_RECOVERY_PARTS=kills,rpcs,sticky,fragility
 *                                 # BENCH_RECOVERY_KILLED_CALLS='model call,budgeted model call' (kill rows of these calls only)
 *
 * Kills. Each repetition: a task of the `Operator` agent is in a call (`slow_step`, idempotent and
 * local, blocking on its first attempt; or a model call whose first request hangs, in a task with
 * and without a budget; or `unsafe_step`, not idempotent), the benchmark waits a kill delay spread
 * over 0.2–2 s across repetitions (where the kill falls between two heartbeats), SIGKILLs the one
 * of the two worker processes that runs the call; the other takes over, and a replacement starts
 * once the task made progress (on this busy machine a worker start takes seconds of most of its
 * CPU, which would otherwise hide what the timeouts do). Progress = the task's next model request
 * reaching the scripted server: the retried call finished on the other worker (or, for a tool that
 * is not idempotent and for a budgeted model call, the other worker reported the outcome unknown and
 * the workflow told the model, or charged the lost call and made it again). The history then tells
 * what the time went to: the heartbeat timeout (the retried attempt's start, or the timeout the
 * workflow handled), and the workflow task after it (its wait, its queue, sticky timeouts).
 * Configurations: zap's defaults (4 s heartbeats, 2 s throttling, stickiness handed over on
 * takeover) against 0.2.0's 20 s heartbeat and the SDK's throttling, in the same run; and the
 * non-idempotent path with a 3 s sticky queue timeout, the one setting that path depended on before
 * its at-most-once activity (whose second attempt reports the outcome unknown from the other worker
 * and resets the sticky queue). Budgeted model calls have had the same second attempt since 0.3.0.
 *
 * Fragility. BENCH_RECOVERY_HEALTHY_TASKS tasks, half in one `long_step` tool call and half in a
 * model call, each BENCH_RECOVERY_CALL_SECONDS long, with default settings, while the worker's
 * event loop is blocked for 1.5 s (SIGHUP to the worker: a busy loop) or the dev server is
 * SIGSTOPped for 1.5 s, every 7 s. Counted from the histories: heartbeat timeouts and retried
 * attempts. Also counted (server metrics): heartbeat RPCs per short task and per second of a long call.
 *
 * Sticky timeout under load. BENCH_RECOVERY_STICKY_TASKS tasks of 3 echo rounds, that many in
 * flight at once as BENCH_RECOVERY_STICKY_CONCURRENCY, on one worker process, with the sticky
 * queue timeout at the SDK's 10 s and at 3 s: tasks/s and sticky timeouts per task (a busy but live
 * worker's sticky task that waits past the timeout moves to the normal queue and is replayed).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { BENCH_AGENT, createBenchZap, OPERATOR_AGENT } from './lib/bench-zap';
import { mapConcurrently, range, readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { eventTimeMs, HistoryFollower } from './lib/history';
import { fixed, formatTable, ratio, summaryCells, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage, type Scenario } from './lib/scripted-model';
import { countersBetween, findFreePort, metricsArguments, scrapeServerMetrics } from './lib/server-metrics';
import { median, summarize, type Summary } from './lib/statistics';
import { startWorkerProcess, type WorkerProcess } from './lib/worker-process';

const EventType = temporal.api.enums.v1.EventType;
const TaskQueueKind = temporal.api.enums.v1.TaskQueueKind;
const PendingActivityState = temporal.api.enums.v1.PendingActivityState;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Kill delays after the call is seen running, spread evenly over this range. */
const KILL_DELAY_RANGE_MS: readonly [number, number] = [200, 2_000];
const CALL_STARTED_POLL_MS = 20;
const WORKER_READY_TIMEOUT_MS = 120_000;
const CALL_STARTED_TIMEOUT_MS = 60_000;
/** Longest wait for progress after a kill (the 0.2.0 heartbeat is 20 s). */
const PROGRESS_TIMEOUT_MS = 120_000;
/** How long each disruption of the fragility rows lasts, and how often one starts. */
const DISRUPTION_MS = 1_500;
const DISRUPTION_EVERY_MS = 7_000;
/** Heartbeat timeout of zap's defaults (`DEFAULT_HEARTBEAT_TIMEOUT`), for the ratio column. */
const DEFAULT_HEARTBEAT_MS = 4_000;
/** 0.2.0's default heartbeat timeout and the SDK's heartbeat throttling, as that release ran them. */
const OLD_DEFAULT = { heartbeat: '20 seconds', workerOptions: { maxHeartbeatThrottleInterval: '60 seconds' } } as const;

/** The call a kill lands in. */
type KilledCall = 'idempotent tool' | 'model call' | 'budgeted model call' | 'non-idempotent tool';
const SCENARIO_OF: Record<KilledCall, Scenario> = { 'idempotent tool': 'slow', 'model call': 'hang', 'budgeted model call': 'hang', 'non-idempotent tool': 'unsafe' };
const ACTIVITY_OF: Record<KilledCall, string> = {
  'idempotent tool': 'callTool',
  'model call': 'invokeModel',
  'budgeted model call': 'invokeModelWithinBudget',
  'non-idempotent tool': 'callToolAtMostOnce',
};
/** The budget of the budgeted model call's task: any budget makes its model calls the workflow's own (no price needed for a call count). */
const KILL_BUDGET = { maxModelCalls: 50 } as const;

interface KillConfig {
  label: string;
  call: KilledCall;
  /** The agents' heartbeat timeout (model, MCP and local tools); undefined: zap's defaults. */
  heartbeat?: string;
  heartbeatMs: number;
  /** Worker options of every worker of the configuration. */
  workerOptions: Record<string, unknown>;
  /** At most this many repetitions (the slow configurations). */
  maxRepetitions?: number;
}

/** One kill and what followed, in ms after the kill. */
interface KillSample {
  killDelayMs: number;
  /** The replacement worker process polls (started after the progress; the other worker took over). */
  workerReadyMs: number;
  /** The call moved on (server time, from history): the retried attempt started, or the workflow got the timeout. */
  callMovedMs: number;
  /** The next model request reached the scripted server: the task made progress. */
  progressMs: number;
  /** Workflow task after the call: scheduled → started (waiting for a worker). */
  workflowTaskWaitMs: number;
  /** That workflow task was scheduled on the task queue itself (not a sticky queue). */
  normalQueue: boolean;
  /** Workflow tasks that timed out (the dead worker's sticky queue). */
  workflowTaskTimeouts: number;
}

interface KillResult {
  config: KillConfig;
  samples: KillSample[];
  progressMs: Summary;
  ratioToHeartbeat: number;
}

interface FragilityResult {
  label: string;
  disruption: 'event-loop stall' | 'server SIGSTOP';
  tasks: number;
  callSeconds: number;
  disruptions: number;
  /** The control row: the SDK's heartbeat throttling instead of zap's (what the throttle default prevents). */
  control: boolean;
  /** Heartbeat timeouts and retried attempts of the healthy calls: spurious, all of them. */
  spuriousTimeouts: number;
  heartbeatRpcsPerCallSecond: number;
}

/** One round of the sticky-timeout load test. */
interface StickyLoadResult {
  stickyTimeout: string;
  tasks: number;
  concurrency: number;
  tasksPerSecond: number;
  /** Workflow tasks that timed out on a (live, busy) worker's sticky queue, per task. */
  stickyTimeoutsPerTask: number;
}

interface Settings {
  repetitions: number;
  callSeconds: number;
  healthyTasks: number;
  /** Tasks, tasks in flight and alternating rounds of the sticky-timeout load test. */
  stickyTasks: number;
  stickyConcurrency: number;
  stickyRounds: number;
  /** What to run (BENCH_RECOVERY_PARTS, comma-separated): `kills`, `rpcs`, `sticky`, `fragility`. @default all */
  parts: ReadonlySet<string>;
  /** Which kill rows to run, by the call killed (BENCH_RECOVERY_KILLED_CALLS, comma-separated). @default all */
  killedCalls: ReadonlySet<KilledCall>;
}

const killResults: KillResult[] = [];
const fragilityResults: FragilityResult[] = [];
const rpcCounts: { heartbeatRpcsPerShortTask?: number; shortTasks?: number } = {};
const stickyLoadResults: StickyLoadResult[] = [];
/** The sticky queue timeouts compared under load, alternating: the SDK's default and a shorter one. */
const STICKY_TIMEOUTS = ['10s', '3s'] as const;
/** The fragility rows: zap's defaults under each disruption, and a control with the SDK's heartbeat throttling. */
const FRAGILITY_CONFIGS: readonly { disruption: FragilityResult['disruption']; control: boolean }[] = [
  { disruption: 'event-loop stall', control: false },
  { disruption: 'server SIGSTOP', control: false },
  { disruption: 'event-loop stall', control: true },
];

const KILL_CONFIGS: readonly KillConfig[] = [
  { label: 'default (4 s): idempotent local tool', call: 'idempotent tool', heartbeatMs: DEFAULT_HEARTBEAT_MS, workerOptions: {} },
  {
    label: '0.2.0 default (20 s): idempotent local tool',
    call: 'idempotent tool',
    heartbeat: OLD_DEFAULT.heartbeat,
    heartbeatMs: 20_000,
    workerOptions: OLD_DEFAULT.workerOptions,
    maxRepetitions: 2,
  },
  { label: 'default (4 s): model call', call: 'model call', heartbeatMs: DEFAULT_HEARTBEAT_MS, workerOptions: {} },
  { label: 'default (4 s): model call of a budgeted task', call: 'budgeted model call', heartbeatMs: DEFAULT_HEARTBEAT_MS, workerOptions: {} },
  { label: 'default (4 s): non-idempotent tool', call: 'non-idempotent tool', heartbeatMs: DEFAULT_HEARTBEAT_MS, workerOptions: {} },
  {
    label: 'default + sticky timeout 3 s: non-idempotent tool',
    call: 'non-idempotent tool',
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    workerOptions: { stickyQueueScheduleToStartTimeout: '3s' },
  },
];

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const metricsPort = await findFreePort();
  const { temporal: server, model, client } = await startBenchServers(cleanups, metricsArguments(metricsPort));
  const bundle = await writeWorkflowBundle('zap', cleanups);
  const workerFor = (taskQueue: string, workerOptions: Record<string, unknown>) => (): Promise<WorkerProcess> =>
    // A worker start takes seconds on this shared machine, more when several start at once.
    startWorkerProcess({ taskQueue, temporalAddress: server.address, llmBaseURL: model.baseURL, workflowBundlePath: bundle.path, workerOptions, readyTimeoutMs: WORKER_READY_TIMEOUT_MS });

  for (const config of settings.parts.has('kills') ? KILL_CONFIGS.filter((config) => settings.killedCalls.has(config.call)) : []) {
    const taskQueue = `bench-recovery-${randomBytes(4).toString('hex')}`;
    const startWorker = workerFor(taskQueue, config.workerOptions);
    const zap = createBenchZap({ taskQueue, temporalAddress: server.address, temporalClient: client, ...(config.heartbeat ? { heartbeat: config.heartbeat } : {}) });
    await zap.start();
    const result: KillResult = { config, samples: [], progressMs: summarize([]), ratioToHeartbeat: Number.NaN };
    killResults.push(result);
    const repetitions = Math.min(settings.repetitions, config.maxRepetitions ?? settings.repetitions);
    // Two workers, as in any deployment that can fail over: the one running the call is killed, the
    // other takes over, and a replacement starts after the progress (its start is not what is measured).
    const workers = [await startWorker(), await startWorker()];
    try {
      for (let repetition = 0; repetition < repetitions; repetition += 1) {
        const [low, high] = KILL_DELAY_RANGE_MS;
        const killDelayMs = Math.round(low + ((high - low) * (repetition + 0.5)) / repetitions);
        const taskKey = `recovery-${taskQueue}-${repetition}`;
        const task = await zap.executeTask({
          agentName: OPERATOR_AGENT,
          task: formatTaskMessage({ taskKey, scenario: SCENARIO_OF[config.call] }),
          ...(config.call === 'budgeted model call' ? { budget: KILL_BUDGET } : {}),
        });
        const identity = await waitForCallRunning(client, task.id, ACTIVITY_OF[config.call]);
        const victimIndex = workers.findIndex((worker) => identity.startsWith(`${worker.pid}@`));
        if (victimIndex < 0) throw new Error(`The call of ${task.id} runs on ${identity}, not on a worker of this benchmark.`);
        await sleep(killDelayMs);

        const killedAt = Date.now();
        const killedAtPerf = performance.now();
        const victim = workers[victimIndex]!;
        process.kill(victim.pid, 'SIGKILL');
        await victim.stop();
        await Promise.race([
          model.whenRequested(taskKey, 2),
          sleep(PROGRESS_TIMEOUT_MS).then(() => Promise.reject(new Error(`No progress ${PROGRESS_TIMEOUT_MS / 1000} s after the kill.`))),
        ]);
        const progressMs = Date.now() - killedAt;
        // The replacement starts once the task made progress: a worker start takes most of this
        // machine's CPU for seconds, which would slow the surviving worker that takes over.
        workers[victimIndex] = await startWorker();
        const workerReadyMs = workers[victimIndex]!.startedAt + workers[victimIndex]!.readyMs - killedAtPerf;
        await new HistoryFollower(client, task.id).waitForTimers(1);
        const history = await client.workflow.getHandle(task.id).fetchHistory();
        const sample: KillSample = { killDelayMs, workerReadyMs, progressMs, ...readRecoverySteps(history.events ?? [], ACTIVITY_OF[config.call], killedAt) };
        result.samples.push(sample);
        model.forget(taskKey);
        console.error(
          `${config.label}: progress ${(progressMs / 1000).toFixed(1)} s after the kill (call moved ${(sample.callMovedMs / 1000).toFixed(1)} s, ` +
            `workflow task waited ${(sample.workflowTaskWaitMs / 1000).toFixed(1)} s on the ${sample.normalQueue ? 'normal' : 'sticky'} queue, ` +
            `replacement worker ready ${(workerReadyMs / 1000).toFixed(1)} s)`,
        );
        await zap.cancelTask(task.id, 'recovery benchmark done').catch(() => undefined);
      }
    } finally {
      result.progressMs = summarize(result.samples.map((sample) => sample.progressMs));
      result.ratioToHeartbeat = result.progressMs.median / config.heartbeatMs;
      await Promise.all(workers.map((worker) => worker.stop()));
      await zap.stop();
    }
  }

  // Heartbeat RPCs of short calls: 0.2.0 sent one as each activity started.
  if (settings.parts.has('rpcs')) {
    const taskQueue = `bench-recovery-rpcs-${randomBytes(4).toString('hex')}`;
    const zap = createBenchZap({ taskQueue, temporalAddress: server.address, temporalClient: client });
    await zap.start();
    const worker = await workerFor(taskQueue, {})();
    try {
      const shortTasks = 10;
      const before = await scrapeServerMetrics(metricsPort);
      await mapConcurrently(range(shortTasks), 2, async (index) => {
        const taskKey = `rpcs-${taskQueue}-${index}`;
        const task = await zap.executeTask({ agentName: BENCH_AGENT, task: formatTaskMessage({ taskKey, scenario: 'echo', rounds: 3 }) });
        await new HistoryFollower(client, task.id).waitForTimers(1);
        model.forget(taskKey);
        await zap.cancelTask(task.id, 'recovery benchmark done').catch(() => undefined);
      });
      const counted = countersBetween(before, await scrapeServerMetrics(metricsPort), shortTasks);
      rpcCounts.shortTasks = shortTasks;
      rpcCounts.heartbeatRpcsPerShortTask = counted.get('rpc:RecordActivityTaskHeartbeat') ?? 0;
    } finally {
      await worker.stop();
      await zap.stop();
    }
  }

  // Does a shorter sticky queue timeout cost at high concurrency? Busy live workers pick up sticky
  // tasks late; past the timeout they move to the normal queue and replay there.
  for (const round of settings.parts.has('sticky') ? range(settings.stickyRounds) : []) {
    for (const stickyTimeout of STICKY_TIMEOUTS) {
      const taskQueue = `bench-recovery-sticky-${randomBytes(4).toString('hex')}`;
      const zap = createBenchZap({ taskQueue, temporalAddress: server.address, temporalClient: client });
      await zap.start();
      const worker = await workerFor(taskQueue, { stickyQueueScheduleToStartTimeout: stickyTimeout })();
      try {
        const ids: string[] = [];
        const startedAt = performance.now();
        await mapConcurrently(range(settings.stickyTasks), settings.stickyConcurrency, async (index) => {
          const taskKey = `sticky-${taskQueue}-${index}`;
          const task = await zap.executeTask({ agentName: BENCH_AGENT, task: formatTaskMessage({ taskKey, scenario: 'echo', rounds: 3 }) });
          ids.push(task.id);
          await new HistoryFollower(client, task.id).waitForTimers(1, 300_000);
          model.forget(taskKey);
        });
        const elapsedSeconds = (performance.now() - startedAt) / 1000;
        let stickyTimeouts = 0;
        await mapConcurrently(ids, 20, async (id) => {
          const history = await client.workflow.getHandle(id).fetchHistory();
          stickyTimeouts += (history.events ?? []).filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
          await zap.cancelTask(id, 'recovery benchmark done').catch(() => undefined);
        });
        const result: StickyLoadResult = {
          stickyTimeout,
          tasks: settings.stickyTasks,
          concurrency: settings.stickyConcurrency,
          tasksPerSecond: settings.stickyTasks / elapsedSeconds,
          stickyTimeoutsPerTask: stickyTimeouts / settings.stickyTasks,
        };
        stickyLoadResults.push(result);
        console.error(
          `sticky timeout ${stickyTimeout}, round ${round + 1}: ${result.tasksPerSecond.toFixed(1)} tasks/s, ${result.stickyTimeoutsPerTask.toFixed(3)} sticky timeouts per task`,
        );
      } finally {
        await worker.stop();
        await zap.stop();
      }
    }
  }

  for (const { disruption, control } of settings.parts.has('fragility') ? FRAGILITY_CONFIGS : []) {
    const taskQueue = `bench-recovery-healthy-${randomBytes(4).toString('hex')}`;
    const zap = createBenchZap({ taskQueue, temporalAddress: server.address, temporalClient: client });
    await zap.start();
    const worker = await workerFor(taskQueue, control ? OLD_DEFAULT.workerOptions : {})();
    try {
      const before = await scrapeServerMetrics(metricsPort);
      const tasks = await Promise.all(
        range(settings.healthyTasks).map((index) =>
          zap.executeTask({
            agentName: OPERATOR_AGENT,
            task: formatTaskMessage({ taskKey: `healthy-${taskQueue}-${index}`, scenario: index % 2 === 0 ? 'long' : 'think', rounds: settings.callSeconds }),
          }),
        ),
      );
      const answered = Promise.all(
        tasks.map((task) =>
          new HistoryFollower(client, task.id).waitForTimers(1, settings.callSeconds * 1000 + 120_000).catch(async (error: unknown) => {
            const history = await client.workflow.getHandle(task.id).fetchHistory();
            const types = (history.events ?? []).map((event) => EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', ''));
            throw new Error(`${String(error)}; history: ${types.join(' ')}; worker output: ${worker.output().slice(-2000)}`);
          }),
        ),
      );
      let finished = false;
      void answered.finally(() => (finished = true));
      let disruptions = 0;
      // The calls start within a second or so; the last disruption ends well before they do.
      for (let at = 2_000; at + DISRUPTION_MS < settings.callSeconds * 1000 - 1_000 && !finished; at += DISRUPTION_EVERY_MS) {
        await sleep(disruptions === 0 ? at : DISRUPTION_EVERY_MS - DISRUPTION_MS);
        if (disruption === 'event-loop stall') {
          process.kill(worker.pid, 'SIGHUP');
          await sleep(DISRUPTION_MS);
        } else {
          process.kill(server.pid, 'SIGSTOP');
          await sleep(DISRUPTION_MS);
          process.kill(server.pid, 'SIGCONT');
        }
        disruptions += 1;
      }
      await answered;
      const counted = countersBetween(before, await scrapeServerMetrics(metricsPort));
      let spuriousTimeouts = 0;
      for (const task of tasks) {
        const history = await client.workflow.getHandle(task.id).fetchHistory();
        spuriousTimeouts += countRetriedAttempts(history.events ?? []);
        await zap.cancelTask(task.id, 'recovery benchmark done').catch(() => undefined);
      }
      const result: FragilityResult = {
        label:
          `${settings.healthyTasks} healthy ${settings.callSeconds} s calls (tool and model), ${disruption} ${DISRUPTION_MS / 1000} s every ${DISRUPTION_EVERY_MS / 1000} s` +
          (control ? ', control: the SDK heartbeat throttling (0.2.0)' : ''),
        control,
        disruption,
        tasks: settings.healthyTasks,
        callSeconds: settings.callSeconds,
        disruptions,
        spuriousTimeouts,
        heartbeatRpcsPerCallSecond: (counted.get('rpc:RecordActivityTaskHeartbeat') ?? 0) / (settings.healthyTasks * settings.callSeconds),
      };
      fragilityResults.push(result);
      console.error(`${result.label}: ${disruptions} disruptions, ${spuriousTimeouts} spurious heartbeat timeouts`);
    } finally {
      await worker.stop();
      await zap.stop();
    }
  }
}

/** Resolves once the task's `activityType` call runs on a worker, with that worker's identity. */
async function waitForCallRunning(client: Client, workflowId: string, activityType: string): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + CALL_STARTED_TIMEOUT_MS;
  for (;;) {
    const { raw } = await handle.describe();
    const running = (raw.pendingActivities ?? []).find(
      (activity) => activity.activityType?.name === activityType && activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    if (running?.lastWorkerIdentity) return running.lastWorkerIdentity;
    if (Date.now() > deadline) throw new Error(`The ${activityType} call of ${workflowId} did not start.`);
    await sleep(CALL_STARTED_POLL_MS);
  }
}

/**
 * From the history: when the killed call (the first `activityType` activity) moved on — its
 * retried attempt started, or it timed out and the workflow took over — and how the workflow task
 * after it waited, and on which queue.
 */
function readRecoverySteps(
  events: readonly HistoryEvent[],
  activityType: string,
  killedAt: number,
): Pick<KillSample, 'callMovedMs' | 'workflowTaskWaitMs' | 'normalQueue' | 'workflowTaskTimeouts'> {
  const byId = (id: unknown): HistoryEvent | undefined => events.find((event) => Number(event.eventId) === Number(id));
  const timeOf = (event: HistoryEvent | undefined): number => (event ? eventTimeMs(event) : Number.NaN);
  const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const closedIndex = events.findIndex((event) => {
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskFailedEventAttributes;
    return closed !== undefined && closed !== null && Number(closed.scheduledEventId) === Number(scheduled?.eventId);
  });
  const closed = events[closedIndex];
  const movedAt = closed?.activityTaskCompletedEventAttributes ? timeOf(byId(closed.activityTaskCompletedEventAttributes.startedEventId)) : timeOf(closed);
  const after = events.slice(closedIndex + 1);
  // The first workflow task started after the call, and the first one scheduled before it.
  const startedIndex = after.findIndex((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const workflowTask = after.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  const beforeStart = after.slice(0, startedIndex < 0 ? after.length : startedIndex);
  return {
    callMovedMs: movedAt - killedAt,
    workflowTaskWaitMs: timeOf(after[startedIndex]) - timeOf(workflowTask),
    normalQueue: workflowTask?.workflowTaskScheduledEventAttributes?.taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    workflowTaskTimeouts: beforeStart.filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length,
  };
}

/** Attempts beyond the first of every activity, and activity timeouts: none for healthy calls. */
function countRetriedAttempts(events: readonly HistoryEvent[]): number {
  let count = 0;
  for (const event of events) {
    const attempt = event.activityTaskStartedEventAttributes?.attempt;
    if (attempt && attempt > 1) count += attempt - 1;
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT) count += 1;
  }
  return count;
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const seconds = (value: number): string => fixed(value / 1000, 1);
  const medianOf = (samples: readonly KillSample[], pick: (sample: KillSample) => number): string => seconds(median(samples.map(pick)));
  console.log(
    `\nRecovery: of two workers, the one running a call SIGKILLed (kill ${KILL_DELAY_RANGE_MS[0]}–${KILL_DELAY_RANGE_MS[1]} ms into it), ` +
      `the other takes over (a replacement starts after); seconds after the kill, up to ${settings.repetitions} repetition(s) per configuration.`,
  );
  console.log(
    formatTable(
      ['configuration', 'progress median', 'p95', 'min–max', 'vs heartbeat', 'replacement ready', 'call moved', 'workflow task wait', 'normal queue', 'sticky timeouts'],
      killResults.map(({ config, samples, progressMs, ratioToHeartbeat }) => [
        config.label,
        ...summaryCells(progressMs, 1, 1000),
        ratio(ratioToHeartbeat),
        medianOf(samples, (sample) => sample.workerReadyMs),
        medianOf(samples, (sample) => sample.callMovedMs),
        medianOf(samples, (sample) => sample.workflowTaskWaitMs),
        `${samples.filter((sample) => sample.normalQueue).length}/${samples.length}`,
        String(samples.reduce((total, sample) => total + sample.workflowTaskTimeouts, 0)),
      ]),
    ),
  );
  console.log(
    '(medians; "call moved" = the retried attempt started, or the workflow got the timeout of a call it must not retry; it and "workflow task wait" ' +
      'come from the task history, server clock of the same machine; "normal queue" = the workflow task after the call went to the task queue, not a sticky queue)',
  );
  console.log('\nFragility: healthy calls with default settings under disruptions; heartbeat timeouts and retried attempts (spurious, must be 0).');
  console.log(
    formatTable(
      ['configuration', 'disruptions', 'spurious timeouts', 'heartbeat RPCs per call-second'],
      fragilityResults.map((result) => [result.label, String(result.disruptions), String(result.spuriousTimeouts), fixed(result.heartbeatRpcsPerCallSecond, 2)]),
    ),
  );
  if (stickyLoadResults.length > 0) {
    console.log(
      `\nSticky queue timeout under load: ${stickyLoadResults[0]!.tasks} tasks of 3 echo rounds, ${stickyLoadResults[0]!.concurrency} in flight, ` +
        'one worker process; rounds alternate.',
    );
    console.log(
      formatTable(
        ['stickyQueueScheduleToStartTimeout', 'tasks/s median', 'vs 10s', 'sticky timeouts per task'],
        STICKY_TIMEOUTS.map((stickyTimeout) => {
          const rounds = stickyLoadResults.filter((result) => result.stickyTimeout === stickyTimeout);
          const baseline = median(stickyLoadResults.filter((result) => result.stickyTimeout === '10s').map((result) => result.tasksPerSecond));
          const tasksPerSecond = median(rounds.map((result) => result.tasksPerSecond));
          return [stickyTimeout, fixed(tasksPerSecond, 1), ratio(tasksPerSecond / baseline), fixed(median(rounds.map((result) => result.stickyTimeoutsPerTask)), 3)];
        }),
      ),
    );
  }
  if (rpcCounts.heartbeatRpcsPerShortTask !== undefined) {
    console.log(
      `\nHeartbeat RPCs per task of 3 echo rounds (7 short activities; server metrics, ${rpcCounts.shortTasks} tasks): ${fixed(rpcCounts.heartbeatRpcsPerShortTask, 2)} ` +
        '(0.2.0: 7, one as each activity started; perf-plan finding 2)',
    );
  }
  const oldDefault = killResults.find((result) => result.config.heartbeat === OLD_DEFAULT.heartbeat);
  const summary: SummaryRow[] = killResults.map((result, index) =>
    index === 0 && oldDefault
      ? summaryRow(
          {
            benchmark: 'recovery',
            figure: `SIGKILL → progress: ${result.config.label}`,
            unit: 's',
            ratio: result.progressMs.median / oldDefault.progressMs.median,
            baseline: `${oldDefault.config.label}, same run: ${fixed(oldDefault.progressMs.median / 1000, 1)} s`,
          },
          result.progressMs,
          1000,
        )
      : summaryRow(
          { benchmark: 'recovery', figure: `SIGKILL → progress: ${result.config.label}`, unit: 's', ratio: result.ratioToHeartbeat, baseline: 'heartbeat timeout' },
          result.progressMs,
          1000,
        ),
  );
  for (const result of fragilityResults) {
    summary.push({
      benchmark: 'recovery',
      figure: `spurious heartbeat timeouts: ${result.label}`,
      unit: 'count',
      median: result.spuriousTimeouts,
      note: result.control ? 'control: shows what the throttle default prevents' : 'must be 0',
    });
  }
  if (rpcCounts.heartbeatRpcsPerShortTask !== undefined) {
    summary.push({
      benchmark: 'recovery',
      figure: 'heartbeat RPCs per task of 3 echo rounds (7 activities)',
      unit: 'RPCs',
      median: rpcCounts.heartbeatRpcsPerShortTask,
      note: '0.2.0: 7 (a heartbeat as each activity started; not same-run, perf-plan finding 2)',
    });
  }
  const shortSticky = stickyLoadResults.filter((result) => result.stickyTimeout === '3s');
  const defaultSticky = stickyLoadResults.filter((result) => result.stickyTimeout === '10s');
  if (shortSticky.length > 0 && defaultSticky.length > 0) {
    const tasksPerSecond = summarize(shortSticky.map((result) => result.tasksPerSecond));
    summary.push(
      summaryRow(
        {
          benchmark: 'recovery',
          figure: `throughput with stickyQueueScheduleToStartTimeout 3s, ${shortSticky[0]!.concurrency} tasks in flight`,
          unit: 'tasks/s',
          ratio: tasksPerSecond.median / median(defaultSticky.map((result) => result.tasksPerSecond)),
          baseline: '10s (the SDK default), same run',
          note: `sticky timeouts per task: ${fixed(median(shortSticky.map((result) => result.stickyTimeoutsPerTask)), 3)} vs ${fixed(median(defaultSticky.map((result) => result.stickyTimeoutsPerTask)), 3)}`,
        },
        tasksPerSecond,
      ),
    );
  }
  const path = await writeResults('recovery', {
    complete,
    summary,
    settings: { ...settings, parts: [...settings.parts], killedCalls: [...settings.killedCalls], killDelayRangeMs: KILL_DELAY_RANGE_MS, disruptionMs: DISRUPTION_MS, disruptionEveryMs: DISRUPTION_EVERY_MS },
    configs: killResults,
    fragility: fragilityResults,
    rpcCounts,
    stickyLoad: stickyLoadResults,
  });
  console.log(`\nJSON: ${path}`);
}

/** BENCH_RECOVERY_KILLED_CALLS: the calls whose kill rows run (all when unset); an unknown one is an error. */
function readKilledCalls(value: string | undefined): ReadonlySet<KilledCall> {
  const known = Object.keys(SCENARIO_OF) as KilledCall[];
  if (!value) return new Set(known);
  const calls = value.split(',').map((call) => call.trim());
  for (const call of calls) {
    if (!known.includes(call as KilledCall)) throw new Error(`BENCH_RECOVERY_KILLED_CALLS: unknown call '${call}' (known: ${known.join(', ')}).`);
  }
  return new Set(calls as KilledCall[]);
}

runBenchmark({
  readSettings: (environment): Settings => ({
    repetitions: readInteger(environment, 'BENCH_RECOVERY_REPETITIONS', 3, 2),
    callSeconds: readInteger(environment, 'BENCH_RECOVERY_CALL_SECONDS', 30, 12),
    healthyTasks: readInteger(environment, 'BENCH_RECOVERY_HEALTHY_TASKS', 4, 2),
    stickyTasks: readInteger(environment, 'BENCH_RECOVERY_STICKY_TASKS', 400, 100),
    stickyConcurrency: readInteger(environment, 'BENCH_RECOVERY_STICKY_CONCURRENCY', 200, 50),
    stickyRounds: readInteger(environment, 'BENCH_RECOVERY_STICKY_ROUNDS', 1, 1),
    parts: new Set((environment.BENCH_RECOVERY_PARTS || 'kills,rpcs,sticky,fragility').split(',').map((part) => part.trim())),
    killedCalls: readKilledCalls(environment.BENCH_RECOVERY_KILLED_CALLS),
  }),
  // A repetition lasts a worker start (tens of seconds on a loaded machine) plus 5–25 s.
  hardTimeoutMs: (settings) =>
    180_000 +
    settings.repetitions * KILL_CONFIGS.length * 60_000 +
    FRAGILITY_CONFIGS.length * (settings.callSeconds * 1000 + 120_000) +
    settings.stickyRounds * STICKY_TIMEOUTS.length * (60_000 + settings.stickyTasks * 2_000),
  main,
  report,
});
