/**
 * The benchmark suite, one after another, then a combined summary and the charts.
 *
 *   npm run bench                 # everything at full size (about 45 minutes on 2 cores)
 *   BENCH_QUICK=1 npm run bench   # small sizes: a smoke run of a few minutes
 *   BENCH_ONLY=throughput,recovery npx tsx bench/run-all.ts   # re-run some; the summary keeps the others' latest
 *
 * Each benchmark runs in its own process (`node --import tsx bench/<name>.ts`, its own process
 * group) and starts its own Temporal dev server and scripted model: a server that has just run
 * 5,000 tasks for the memory benchmark is not the one the throughput benchmark should measure,
 * a crash in one benchmark does not take the others down, and a benchmark that overruns its time
 * is stopped with everything it started. Each one prints its own tables and writes
 * `bench/results/<name>.json` (raw, not committed), with its rows of the suite's summary; this
 * runner prints those rows as one table (median, p95, min–max, and the ratio against the baseline
 * measured in the same run), writes `bench/results/summary.json` and draws `throughput.svg` and
 * `history-growth.svg` (committed). A quick run writes all of it under `bench/results/quick/`.
 *
 * Exits 0 when every benchmark succeeded, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderCharts } from './charts';
import { formatSummaryRows, formatTable, isQuick, RESULTS_DIRECTORY, writeResults, type SummaryRow } from './lib/report';

const REPOSITORY_ROOT = resolve(__dirname, '..');
/** Between SIGTERM to a benchmark's process group and SIGKILL. */
const KILL_GRACE_MS = 20_000;

interface BenchmarkEntry {
  /** `bench/<name>.ts`, writing `bench/results/<name>.json`; its summary rows name it as their benchmark. */
  name: string;
  /** Longest run at full size and quick (BENCH_QUICK=1), beyond the benchmark's own hard timeout. */
  fullTimeoutMs: number;
  quickTimeoutMs: number;
}

const BENCHMARKS: readonly BenchmarkEntry[] = [
  { name: 'overhead', fullTimeoutMs: 9 * 60_000, quickTimeoutMs: 4 * 60_000 },
  { name: 'streaming', fullTimeoutMs: 7 * 60_000, quickTimeoutMs: 4 * 60_000 },
  { name: 'http-api', fullTimeoutMs: 9 * 60_000, quickTimeoutMs: 4 * 60_000 },
  { name: 'budgets', fullTimeoutMs: 4 * 60_000, quickTimeoutMs: 3 * 60_000 },
  { name: 'tenant-budgets', fullTimeoutMs: 4 * 60_000, quickTimeoutMs: 3 * 60_000 },
  { name: 'throughput', fullTimeoutMs: 40 * 60_000, quickTimeoutMs: 9 * 60_000 },
  { name: 'workflow-promises', fullTimeoutMs: 8 * 60_000, quickTimeoutMs: 4 * 60_000 },
  { name: 'memory', fullTimeoutMs: 45 * 60_000, quickTimeoutMs: 8 * 60_000 },
  { name: 'recovery', fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 8 * 60_000 },
  { name: 'history-growth', fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 6 * 60_000 },
  { name: 'worker-start', fullTimeoutMs: 25 * 60_000, quickTimeoutMs: 15 * 60_000 },
];

interface Outcome {
  name: string;
  exitCode: number | string;
  seconds: number;
  quick: boolean;
  finishedAt: string;
}

let current: { pid: number; exited: Promise<void> } | undefined;

async function main(): Promise<void> {
  const quick = isQuick(process.env);
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = only.filter((name) => !BENCHMARKS.some((entry) => entry.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')}.`);
  const outcomes: Outcome[] = [];
  for (const entry of BENCHMARKS.filter((candidate) => only.length === 0 || only.includes(candidate.name))) {
    console.log(`\n=== ${entry.name} ${quick ? '(quick)' : ''} ===`);
    outcomes.push(await runOne(entry, quick));
  }

  // Benchmarks not run this time keep the outcome and the rows of their latest run: their own JSON
  // when this checkout has it (raw results are not committed), else the committed summary.
  const ranNow = new Set(outcomes.map((outcome) => outcome.name));
  const previous = readResult('summary');
  const previousOutcomes = (previous?.outcomes ?? []) as Outcome[];
  const previousRows = (previous?.rows ?? []) as SummaryRow[];
  for (const outcome of previousOutcomes) if (!outcomes.some((ran) => ran.name === outcome.name)) outcomes.push(outcome);
  outcomes.sort((left, right) => BENCHMARKS.findIndex((entry) => entry.name === left.name) - BENCHMARKS.findIndex((entry) => entry.name === right.name));
  const rows = BENCHMARKS.flatMap(({ name }): SummaryRow[] => {
    const latest = readResult(name)?.summary as SummaryRow[] | undefined;
    return latest ?? (ranNow.has(name) ? [] : previousRows.filter((row) => row.benchmark === name));
  });

  console.log('\n=== Summary (each benchmark against its own baseline, measured in the same run) ===');
  console.log(formatSummaryRows(rows));
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
  const succeeded = outcomes.every((outcome) => outcome.exitCode === 0);
  const path = await writeResults('summary', { complete: succeeded, quick, outcomes, rows });
  console.log(`\nJSON: ${path}`);
  for (const chart of await renderCharts()) console.log(`chart: ${chart}`);
  process.exit(succeeded ? 0 : 1);
}

/** Runs one benchmark in its own process group; stops the group when it overruns. */
async function runOne(entry: BenchmarkEntry, quick: boolean): Promise<Outcome> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPOSITORY_ROOT, 'bench', `${entry.name}.ts`)], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...(quick ? { BENCH_QUICK: '1' } : {}) },
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

function readResult(name: string): any {
  const path = join(RESULTS_DIRECTORY, `${name}.json`);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
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
