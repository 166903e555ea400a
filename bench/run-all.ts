/**
 * The benchmark suite, one after another, then a combined summary and the charts.
 *
 *   npm run bench                 # everything at full size (about half an hour on 2 cores)
 *   BENCH_QUICK=1 npm run bench   # small sizes: a smoke run of a few minutes
 *   BENCH_ONLY=throughput,recovery npx tsx bench/run-all.ts   # re-run some; the summary keeps the others' latest
 *
 * Each benchmark runs in its own process (`node --import tsx bench/<name>.ts`, its own process
 * group) and starts its own Temporal dev server and scripted model: a server that has just run
 * 5,000 tasks for the memory benchmark is not the one the throughput benchmark should measure,
 * a crash in one benchmark does not take the others down, and a benchmark that overruns its time
 * is stopped with everything it started. Each one prints its own tables and writes
 * `bench/results/<name>.json`; this runner reads those files, prints one summary table (median,
 * p95, min–max, and the ratio against the baseline measured in the same run) and writes
 * `bench/results/summary.json`, then draws `throughput.svg` and `history-growth.svg`.
 *
 * Exits 0 when every benchmark succeeded, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isQuick, RESULTS_DIRECTORY, writeResults } from './bench-harness';
import { renderCharts } from './charts';
import { formatTable } from './report';

const REPOSITORY_ROOT = resolve(__dirname, '..');
/** Between SIGTERM to a benchmark's process group and SIGKILL. */
const KILL_GRACE_MS = 20_000;

interface BenchmarkEntry {
  name: string;
  /** Environment of a quick run (BENCH_QUICK=1 is passed too). */
  quick: Record<string, string>;
  /** Longest run at full size, beyond the benchmark's own hard timeout. */
  fullTimeoutMs: number;
  quickTimeoutMs: number;
}

const BENCHMARKS: readonly BenchmarkEntry[] = [
  { name: 'overhead', quick: { BENCH_TASKS: '3', BENCH_ROUNDS: '0,3' }, fullTimeoutMs: 9 * 60_000, quickTimeoutMs: 4 * 60_000 },
  {
    name: 'streaming',
    quick: { BENCH_STREAM_TASKS: '2', BENCH_STREAM_ALONE_TASKS: '1', BENCH_STREAM_ROUNDS: '3', BENCH_IDLE_SUBSCRIBERS: '3', BENCH_IDLE_SECONDS: '5' },
    fullTimeoutMs: 7 * 60_000,
    quickTimeoutMs: 4 * 60_000,
  },
  { name: 'throughput', quick: {}, fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 6 * 60_000 },
  { name: 'memory', quick: {}, fullTimeoutMs: 20 * 60_000, quickTimeoutMs: 8 * 60_000 },
  { name: 'recovery', quick: {}, fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 8 * 60_000 },
  { name: 'history-growth', quick: {}, fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 6 * 60_000 },
];

interface Outcome {
  name: string;
  exitCode: number | string;
  seconds: number;
  quick: boolean;
  finishedAt: string;
}

/** One line of the summary. */
interface SummaryRow {
  benchmark: string;
  figure: string;
  unit: string;
  median: number;
  p95?: number;
  min?: number;
  max?: number;
  /** The figure over its baseline measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

let current: { pid: number; exited: Promise<void> } | undefined;

async function main(): Promise<void> {
  const quick = isQuick(process.env);
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = only.filter((name) => !BENCHMARKS.some((entry) => entry.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')}.`);
  const selected = BENCHMARKS.filter((entry) => only.length === 0 || only.includes(entry.name));
  const outcomes: Outcome[] = [];
  for (const entry of selected) {
    console.log(`\n=== ${entry.name} ${quick ? '(quick)' : ''} ===`);
    outcomes.push(await runOne(entry, quick));
  }

  // Benchmarks not run this time keep the outcome of their latest run (their JSON is the latest too).
  const previous = (readResult('summary')?.outcomes ?? []) as Outcome[];
  for (const outcome of previous) if (!outcomes.some((current) => current.name === outcome.name)) outcomes.push(outcome);
  outcomes.sort((left, right) => BENCHMARKS.findIndex((entry) => entry.name === left.name) - BENCHMARKS.findIndex((entry) => entry.name === right.name));

  const rows = summarize();
  console.log('\n=== Summary (this run; each benchmark against its own baseline) ===');
  console.log(formatSummary(rows));
  console.log(
    '\n' +
      formatTable(
        ['benchmark', 'exit', 'seconds', 'size', 'results written'],
        outcomes.map((outcome) => [
          outcome.name,
          String(outcome.exitCode),
          outcome.seconds.toFixed(0),
          outcome.quick ? 'quick' : 'full',
          readResult(outcome.name)?.generatedAt ?? outcome.finishedAt ?? '',
        ]),
      ),
  );
  const path = await writeResults('summary', outcomes.every((outcome) => outcome.exitCode === 0), { quick, outcomes, rows });
  console.log(`\nJSON: ${path}`);
  for (const chart of await renderCharts()) console.log(`chart: ${chart}`);
  process.exit(outcomes.every((outcome) => outcome.exitCode === 0) ? 0 : 1);
}

/** Runs one benchmark in its own process group; stops the group when it overruns. */
async function runOne(entry: BenchmarkEntry, quick: boolean): Promise<Outcome> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'bench', `${entry.name}.ts`)], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...(quick ? { BENCH_QUICK: '1', ...entry.quick } : {}) },
    stdio: 'inherit',
    detached: true,
  });
  const exited = new Promise<number | string>((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')));
  current = { pid: child.pid ?? -1, exited: exited.then(() => undefined) };
  const timeoutMs = quick ? entry.quickTimeoutMs : entry.fullTimeoutMs;
  const timer = setTimeout(() => {
    console.error(`${entry.name}: still running after ${timeoutMs / 1000} s; stopping it.`);
    void stopGroup(child.pid ?? -1, exited);
  }, timeoutMs);
  const exitCode = await exited;
  clearTimeout(timer);
  current = undefined;
  // Whatever the benchmark left in its group (it should have left nothing) goes too.
  signalGroup(child.pid ?? -1, 'SIGKILL');
  return { name: entry.name, exitCode, seconds: (Date.now() - startedAt) / 1000, quick, finishedAt: new Date().toISOString() };
}

async function stopGroup(pid: number, exited: Promise<unknown>): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
  if (!done) signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}

/** Rows of the summary, from whichever result files exist. */
function summarize(): SummaryRow[] {
  return [...overheadRows(), ...streamingRows(), ...throughputRows(), ...memoryRows(), ...recoveryRows(), ...historyRows()];
}

function readResult(name: string): any {
  const path = join(RESULTS_DIRECTORY, `${name}.json`);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function overheadRows(): SummaryRow[] {
  const document = readResult('overhead');
  return (document?.configs ?? []).map((config: any) => ({
    benchmark: 'overhead',
    figure: `task latency, ${config.rounds} tool round(s)`,
    unit: 'ms',
    median: config.zap.latencyMs.median,
    p95: config.zap.latencyMs.p95,
    min: config.zap.latencyMs.min,
    max: config.zap.latencyMs.max,
    ratio: config.ratio,
    baseline: 'bare workflow',
    note: `${config.overheadPerActivityMs.toFixed(1)} ms per activity`,
  }));
}

function streamingRows(): SummaryRow[] {
  const document = readResult('streaming');
  const delivery = document?.latency?.delivery;
  if (!delivery) return [];
  const rows: SummaryRow[] = [];
  for (const mode of Object.keys(delivery)) {
    const stream = delivery[mode]?.stream?.sinceRecorded;
    const polling = delivery[mode]?.polling?.sinceRecorded;
    if (!stream) continue;
    rows.push({
      benchmark: 'streaming',
      figure: `event delivery after it is recorded, ${mode}`,
      unit: 'ms',
      median: stream.p50,
      max: stream.max,
      ratio: polling ? stream.p50 / polling.p50 : undefined,
      baseline: 'query polling every 100 ms (p50)',
      note: `p90 ${fixed(stream.p90)}, p99 ${fixed(stream.p99)}`,
    });
  }
  const idle = document?.idle?.rows;
  if (Array.isArray(idle) && idle.length >= 2) {
    rows.push({
      benchmark: 'streaming',
      figure: 'idle subscriber: queries per minute',
      unit: 'queries/min',
      median: idle[0].queriesPerSubscriberPerMinute,
      baseline: `polling: ${fixed(idle[1].queriesPerSubscriberPerMinute)}`,
      note: `${fixed(idle[0].historyRequestsPerSubscriberPerMinute, 1)} history long polls/min`,
    });
  }
  return rows;
}

function throughputRows(): SummaryRow[] {
  const document = readResult('throughput');
  const levels: any[] = document?.levels ?? [];
  return levels
    .filter((level) => level.side !== 'bare')
    .sort((left, right) => left.concurrency - right.concurrency || left.side.localeCompare(right.side))
    .map((level) => {
      const bare = levels.find((other) => other.side === 'bare' && other.concurrency === level.concurrency);
      return {
        benchmark: 'throughput',
        figure: `tasks/s at C=${level.concurrency}${level.side === 'zap' ? '' : ` (${level.side})`}`,
        unit: 'tasks/s',
        median: level.tasksPerSecond.median,
        p95: level.tasksPerSecond.p95,
        min: level.tasksPerSecond.min,
        max: level.tasksPerSecond.max,
        ratio: bare ? level.tasksPerSecond.median / bare.tasksPerSecond.median : undefined,
        baseline: 'bare workflow',
        note: `latency p50 ${fixed(level.latencyMs.median)} ms; worker ${fixed(level.cpuPercent.worker)}% CPU, ${fixed(level.peakRssBytes.worker / 2 ** 20)} MiB`,
      };
    });
}

function memoryRows(): SummaryRow[] {
  const document = readResult('memory');
  const configs: any[] = document?.configs ?? [];
  const bare = configs.find((config) => config.side === 'bare');
  return configs
    .filter((config) => config.side !== 'bare')
    .map((config) => ({
      benchmark: 'memory',
      figure: `worker RSS per open task: ${config.label}`,
      unit: 'KiB',
      median: config.worker.perTaskBytes / 1024,
      ratio: bare && bare.worker.perTaskBytes > 0 ? config.worker.perTaskBytes / bare.worker.perTaskBytes : undefined,
      baseline: 'bare workflow, idle',
      note: config.wakeUpMs ? `wake-up p50 ${fixed(config.wakeUpMs.median)} ms` : undefined,
    }));
}

function recoveryRows(): SummaryRow[] {
  const document = readResult('recovery');
  return (document?.configs ?? []).map((result: any) => ({
    benchmark: 'recovery',
    figure: `SIGKILL → progress: ${result.config.label}`,
    unit: 's',
    median: result.progressMs.median / 1000,
    p95: result.progressMs.p95 / 1000,
    min: result.progressMs.min / 1000,
    max: result.progressMs.max / 1000,
    ratio: result.ratioToHeartbeat,
    baseline: 'heartbeat timeout',
  }));
}

function historyRows(): SummaryRow[] {
  const document = readResult('history-growth');
  const rows: SummaryRow[] = (document?.variants ?? []).map((variant: any) => ({
    benchmark: 'history',
    figure: `history per turn: ${variant.label}`,
    unit: 'KiB',
    median: variant.bytesFit.slope / 1024,
    ratio: variant.bytesFit.slope / variant.conversationBytesPerTurn,
    baseline: 'message text per turn',
    note:
      `R² ${variant.bytesFit.rSquared.toFixed(4)}; 50 MB at turn ${variant.extrapolation.sizeLimitTurn}, ` +
      `continue-as-new suggested at ${variant.extrapolation.suggestTurn}, its input > 2 MB from turn ${variant.extrapolation.payloadLimitTurn}`,
  }));
  const check = document?.continueAsNewCheck;
  if (check) {
    rows.push({
      benchmark: 'history',
      figure: `continue-as-new check (${check.messageBytes / 1024} KB messages)`,
      unit: 'turn',
      median: check.suggestedAtTurn ?? Number.NaN,
      note:
        check.result === 'continued'
          ? 'continued as new; the task went on'
          : check.result === 'kept-run'
            ? `state too large to carry (${fixed((check.keptRunStateBytes ?? Number.NaN) / 1024)} KiB): kept the run, answered ${check.turnsAfter} more turns`
            : `${String(check.result ?? 'stuck').toUpperCase()}: ${String(check.outcome).slice(0, 90)}`,
    });
  }
  return rows;
}

function formatSummary(rows: readonly SummaryRow[]): string {
  return formatTable(
    ['benchmark', 'figure', 'unit', 'median', 'p95', 'min–max', 'vs baseline', 'baseline', 'note'],
    rows.map((row) => [
      row.benchmark,
      row.figure,
      row.unit,
      fixed(row.median, row.median < 10 ? 2 : 1),
      row.p95 === undefined ? '' : fixed(row.p95, row.p95 < 10 ? 2 : 1),
      row.min === undefined || row.max === undefined ? '' : `${fixed(row.min, 1)}–${fixed(row.max, 1)}`,
      row.ratio === undefined || Number.isNaN(row.ratio) ? '' : `${row.ratio.toFixed(2)}x`,
      row.baseline ?? '',
      row.note ?? '',
    ]),
    2,
  );
}

function fixed(value: number | undefined, digits = 0): string {
  return value === undefined || value === null || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const running = current;
    if (!running) process.exit(130);
    void stopGroup(running.pid, running.exited).then(() => process.exit(130));
  });
}

// The whole suite, whatever happens: every benchmark's own limit, plus the summary.
const SUITE_TIMEOUT_MS = BENCHMARKS.reduce((total, entry) => total + entry.fullTimeoutMs, 0) + 5 * 60_000;
setTimeout(() => {
  console.error('run-all: suite timeout; stopping.');
  const running = current;
  void (running ? stopGroup(running.pid, running.exited) : Promise.resolve()).then(() => process.exit(1));
}, SUITE_TIMEOUT_MS).unref();

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
