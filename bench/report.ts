import type { SideName } from './bench-side';
import type { QueryProbeResult } from './query-probe';
import type { HistoryTimings } from './history-timings';
import type { ConfigRun, TaskSample } from './run-config';
import { median, summarize, type Summary } from './statistics';

/** Medians of one side's tasks in one configuration. */
export interface SideSummary {
  latencyMs: Summary;
  phasesMs: { firstModelRequest: number; toolRound: number | undefined; answerRecorded: number; close: number };
  history: { events: number; bytes: number; workflowTasks: number } | undefined;
  /** Server timestamps: mean per workflow task, activity, model call or tool call of a task (medians over tasks). */
  perStepMs: {
    workflowTaskWait: number;
    workflowTaskRun: number;
    activityWait: number;
    modelActivityRun: number;
    toolActivityRun: number | undefined;
  };
}

/** The comparison for one configuration. */
export interface ConfigSummary {
  rounds: number;
  /** K model calls and K tool calls, then the final model call. */
  activitiesPerTask: number;
  zap: SideSummary;
  bare: SideSummary;
  /** Median zap latency over median bare latency. */
  ratio: number;
  /** (zap median − bare median) / activities per task. */
  overheadPerActivityMs: number;
}

/** Summaries of the probe's calls. */
export interface QueryProbeSummary {
  conversationQueryMs: Summary;
  frontendCallMs: Summary;
}

/** Summarizes what a configuration measured so far. */
export function summarizeConfig(run: ConfigRun): ConfigSummary {
  const activitiesPerTask = 2 * run.rounds + 1;
  const zap = summarizeSide(run.samples.zap, run.rounds);
  const bare = summarizeSide(run.samples.bare, run.rounds);
  return {
    rounds: run.rounds,
    activitiesPerTask,
    zap,
    bare,
    ratio: zap.latencyMs.median / bare.latencyMs.median,
    overheadPerActivityMs: (zap.latencyMs.median - bare.latencyMs.median) / activitiesPerTask,
  };
}

/** Summarizes the query probe. */
export function summarizeProbe(probe: QueryProbeResult): QueryProbeSummary {
  return { conversationQueryMs: summarize(probe.conversationQueryMs), frontendCallMs: summarize(probe.frontendCallMs) };
}

/** The tables printed at the end of a run. */
export function formatReport(configs: readonly ConfigSummary[], probe: QueryProbeSummary | undefined): string {
  const sections = [
    'Task latency, ms (start call → final answer recorded in workflow history)',
    formatTable(
      ['tool rounds', 'activities', 'tasks z/b', 'zap median', 'zap p95', 'bare median', 'bare p95', 'zap/bare', 'overhead/activity'],
      configs.map((config) => [
        String(config.rounds),
        String(config.activitiesPerTask),
        `${config.zap.latencyMs.count}/${config.bare.latencyMs.count}`,
        milliseconds(config.zap.latencyMs.median),
        milliseconds(config.zap.latencyMs.p95),
        milliseconds(config.bare.latencyMs.median),
        milliseconds(config.bare.latencyMs.p95),
        `${config.ratio.toFixed(2)}x`,
        `${milliseconds(config.overheadPerActivityMs)} ms`,
      ]),
    ),
    '',
    'Where the time goes, medians in ms (phases bounded by the model requests the scripted server saw)',
    formatTable(
      ['tool rounds', 'side', 'start → 1st model request', 'per tool round', 'last model request → answer recorded', '(untimed) → closed'],
      configs.flatMap((config) =>
        sides.map((side) => [
          String(config.rounds),
          side,
          milliseconds(config[side].phasesMs.firstModelRequest),
          config[side].phasesMs.toolRound === undefined ? '–' : milliseconds(config[side].phasesMs.toolRound),
          milliseconds(config[side].phasesMs.answerRecorded),
          milliseconds(config[side].phasesMs.close),
        ]),
      ),
    ),
    '',
    'Server-side steps, mean ms per step (history timestamps; medians over tasks)',
    formatTable(
      ['tool rounds', 'side', 'workflow task wait', 'workflow task run', 'activity wait', 'model activity run', 'tool activity run'],
      configs.flatMap((config) =>
        sides.map((side) => {
          const steps = config[side].perStepMs;
          return [
            String(config.rounds),
            side,
            milliseconds(steps.workflowTaskWait),
            milliseconds(steps.workflowTaskRun),
            milliseconds(steps.activityWait),
            milliseconds(steps.modelActivityRun),
            steps.toolActivityRun === undefined ? '–' : milliseconds(steps.toolActivityRun),
          ];
        }),
      ),
    ),
    '',
    'History per task (medians)',
    formatTable(
      ['tool rounds', 'zap events', 'bare events', 'zap bytes', 'bare bytes', 'zap workflow tasks', 'bare workflow tasks'],
      configs.map((config) => [
        String(config.rounds),
        count(config.zap.history?.events),
        count(config.bare.history?.events),
        count(config.zap.history?.bytes),
        count(config.bare.history?.bytes),
        count(config.zap.history?.workflowTasks),
        count(config.bare.history?.workflowTasks),
      ]),
    ),
  ];
  if (probe) {
    sections.push(
      '',
      'Direct probe (zap-agents makes one conversation query per model call)',
      formatTable(
        ['call', 'median ms', 'p95 ms', 'min ms', 'samples'],
        probeRows(probe).map(([label, summary]) => [
          label,
          milliseconds(summary.median),
          milliseconds(summary.p95),
          milliseconds(summary.min),
          String(summary.count),
        ]),
      ),
    );
  }
  return sections.join('\n');
}

const sides: readonly SideName[] = ['zap', 'bare'];

function probeRows(probe: QueryProbeSummary): [string, Summary][] {
  return [
    ['getMessages query, open task', probe.conversationQueryMs],
    ['GetSystemInfo (gRPC floor)', probe.frontendCallMs],
  ];
}

function summarizeSide(samples: readonly TaskSample[], rounds: number): SideSummary {
  const timings = samples.flatMap((sample) => (sample.timings ? [sample.timings] : []));
  // In the measured window: the first workflow task, then one after each activity.
  const workflowTasks = 2 * rounds + 2;
  const activities = 2 * rounds + 1;
  const perStep = (pick: (timing: HistoryTimings) => number, steps: number): number =>
    median(timings.map((timing) => pick(timing) / steps));
  const histories = samples.flatMap((sample) => (sample.history ? [sample.history] : []));
  const toolRounds = samples.flatMap((sample) => (sample.toolRoundMs === undefined ? [] : [sample.toolRoundMs]));
  return {
    latencyMs: summarize(samples.map((sample) => sample.latencyMs)),
    phasesMs: {
      firstModelRequest: median(samples.map((sample) => sample.firstModelRequestMs)),
      toolRound: toolRounds.length > 0 ? median(toolRounds) : undefined,
      answerRecorded: median(samples.map((sample) => sample.answerRecordedMs)),
      close: median(samples.map((sample) => sample.closeMs)),
    },
    history:
      histories.length > 0
        ? {
            events: median(histories.map((history) => history.events)),
            bytes: median(histories.map((history) => history.bytes)),
            workflowTasks: median(histories.map((history) => history.workflowTasks)),
          }
        : undefined,
    perStepMs: {
      workflowTaskWait: perStep((timing) => timing.workflowTaskWaitMs, workflowTasks),
      workflowTaskRun: perStep((timing) => timing.workflowTaskRunMs, workflowTasks),
      activityWait: perStep((timing) => timing.activityWaitMs, activities),
      modelActivityRun: perStep((timing) => timing.modelActivityRunMs, rounds + 1),
      toolActivityRun: rounds > 0 ? perStep((timing) => timing.toolActivityRunMs, rounds) : undefined,
    },
  };
}

/** A plain-text table: the first `leftAligned` columns (text) left-aligned, the others right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], leftAligned = 1): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column < leftAligned ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function milliseconds(value: number): string {
  return Number.isNaN(value) ? '–' : value.toFixed(1);
}

function count(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '–' : String(Math.round(value));
}
