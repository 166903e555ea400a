import { performance } from 'node:perf_hooks';
import { waitForAnswerRecorded } from './answer-recorded';
import type { BenchModel } from './bench-model';
import type { BenchSide, SideName } from './bench-side';
import { formatTaskMessage } from './bench-task';
import { measureHistorySize, type HistorySize } from './history-size';
import { measureHistoryTimings, type HistoryTimings } from './history-timings';

/**
 * One measured task. Times are on the benchmark's clock; the phases come from when the scripted
 * model saw the task's requests.
 */
export interface TaskSample {
  workflowId: string;
  /** From the call that starts the task to its answer being recorded in workflow history. */
  latencyMs: number;
  /** From the start call to the arrival of the first model request. */
  firstModelRequestMs: number;
  /**
   * Mean time between consecutive model requests: one model answer and one tool call, with the
   * workflow tasks that schedule them. Undefined without tool rounds.
   */
  toolRoundMs: number | undefined;
  /** From the arrival of the last model request to the answer being recorded. */
  answerRecordedMs: number;
  /** From the answer being recorded to the workflow's close (the final timer). Not part of the latency. */
  closeMs: number;
  /** Filled in once all tasks of the configuration have run: fetching histories is not timed. */
  history: HistorySize | undefined;
  /** Server-side phases, from the same history. */
  timings: HistoryTimings | undefined;
}

/** The measurements of one configuration (a number of tool rounds per task). */
export interface ConfigRun {
  rounds: number;
  samples: Record<SideName, TaskSample[]>;
}

/** What {@link measureConfig} needs. */
export interface MeasureConfigOptions {
  sides: readonly [BenchSide, BenchSide];
  model: BenchModel;
  /** Measured tasks per side. */
  tasks: number;
  /** Tasks per side run first and not measured. */
  warmUpTasks: number;
}

/** An empty run, to be filled by {@link measureConfig} (and readable even if it never finishes). */
export function createConfigRun(rounds: number): ConfigRun {
  return { rounds, samples: { zap: [], bare: [] } };
}

/**
 * Runs tasks one at a time, alternating sides in pairs whose order flips every pair (zap, bare,
 * bare, zap, …), so both sides see the same drift and noise of a shared machine.
 */
export async function measureConfig(run: ConfigRun, options: MeasureConfigOptions): Promise<void> {
  const { sides, model, tasks, warmUpTasks } = options;
  for (let index = 0; index < warmUpTasks + tasks; index += 1) {
    const ordered = index % 2 === 0 ? sides : [sides[1], sides[0]];
    for (const side of ordered) {
      const sample = await runOneTask(side, model, run.rounds, `k${run.rounds}-${side.name}-${index}`);
      if (index >= warmUpTasks) run.samples[side.name].push(sample);
    }
  }
  for (const side of sides) {
    for (const sample of run.samples[side.name]) {
      const history = await side.client.workflow.getHandle(sample.workflowId).fetchHistory();
      sample.history = measureHistorySize(history);
      sample.timings = measureHistoryTimings(history);
    }
  }
}

/**
 * Times one task up to its answer being recorded, then waits (untimed) for its workflow to close
 * so that nothing of it overlaps the next task.
 */
async function runOneTask(side: BenchSide, model: BenchModel, rounds: number, taskKey: string): Promise<TaskSample> {
  const startedAt = performance.now();
  const task = await side.startTask(formatTaskMessage({ taskKey, rounds }));
  // Marks a failed task's rejection as handled here; it is rethrown by the await below.
  task.closed.catch(() => undefined);
  const answered = model
    .whenRequested(taskKey, rounds + 1)
    .then(() => waitForAnswerRecorded(side.client, task.workflowId))
    .then(() => 'answered' as const);
  const first = await Promise.race([answered, task.closed.then(() => 'closed' as const)]);
  const answeredAt = performance.now();
  if (first === 'closed') throw new Error(`${side.name} task ${taskKey} closed before its answer was seen.`);
  await task.closed;
  const closedAt = performance.now();

  const arrivals = model.arrivals(taskKey);
  const firstRequest = arrivals[0];
  const lastRequest = arrivals[rounds];
  if (arrivals.length !== rounds + 1 || firstRequest === undefined || lastRequest === undefined) {
    throw new Error(`${side.name} task ${taskKey} made ${arrivals.length} model requests; ${rounds + 1} were expected.`);
  }
  return {
    workflowId: task.workflowId,
    latencyMs: answeredAt - startedAt,
    firstModelRequestMs: firstRequest - startedAt,
    toolRoundMs: rounds > 0 ? (lastRequest - firstRequest) / rounds : undefined,
    answerRecordedMs: answeredAt - lastRequest,
    closeMs: closedAt - answeredAt,
    history: undefined,
    timings: undefined,
  };
}
