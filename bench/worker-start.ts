/**
 * Worker start: how long a worker process takes from its spawn until it polls, when it bundles
 * the workflow code at start (`workflowsPath`, what `zap.createWorker()` does by default) and when
 * it loads a bundle built once ahead of time (`workflowBundle: { codePath }`, the `zap-worker`
 * process's ZAP_WORKFLOW_BUNDLE), in the same run, alternating.
 *
 *   npx tsx bench/worker-start.ts     # BENCH_WORKER_START_RUNS=5
 *
 * Each start is a fresh `workers/zap-worker.ts` process with the benchmark Zap, on a task queue of
 * its own that already holds one task. Timed from the spawn: the worker's ready line (built and
 * about to poll), and the task's first model request reaching the scripted server (the worker has
 * polled, run a workflow task and an activity). Inside the process: the wall time of
 * `createWorker()` and the process's CPU time (user + system, `process.cpuUsage()`) at the moment
 * the worker is built. The bundle of the prebuilt side is built once, before the runs, and that
 * one-time cost is reported too.
 */
import { performance } from 'node:perf_hooks';
import { BENCH_AGENT, createBenchZap } from './lib/bench-zap';
import { readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, ZAP_WORKFLOWS_PATH, type Cleanups } from './lib/harness';
import { fixed, formatTable, ratio, summaryCells, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage } from './lib/scripted-model';
import { summarize, type Summary } from './lib/statistics';
import { startWorkerProcess } from './lib/worker-process';

/** A bundling start on a loaded 2-core machine can take half a minute; give it room. */
const READY_TIMEOUT_MS = 180_000;

type Variant = 'bundling' | 'prebuilt';
const VARIANT_LABELS: Record<Variant, string> = {
  bundling: 'workflowsPath (webpack at every start)',
  prebuilt: 'workflowBundle: { codePath } (built once)',
};

/** One start, in ms after the spawn (CPU in seconds). */
interface StartSample {
  variant: Variant;
  /** The worker's ready line. */
  readyMs: number;
  /** The waiting task's first model request reached the scripted server. */
  firstTaskMs: number;
  /** Wall time of `createWorker()` inside the process. */
  createWorkerMs: number;
  /** The process's CPU time when its worker was built. */
  cpuSeconds: number;
}

const samples: StartSample[] = [];
/** The one-time `bundleWorkflowCode` of the prebuilt side, in this process. */
let bundleBuild: { wallMs: number; cpuSeconds: number } | undefined;

async function main(settings: { runs: number }, cleanups: Cleanups): Promise<void> {
  const { temporal, model, client } = await startBenchServers(cleanups);
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const bundle = await writeWorkflowBundle('zap', cleanups);
  const cpu = process.cpuUsage(cpuBefore);
  bundleBuild = { wallMs: performance.now() - startedAt, cpuSeconds: (cpu.user + cpu.system) / 1e6 };

  for (let run = 0; run < settings.runs; run += 1) {
    // Alternating pairs (bundling, prebuilt, prebuilt, bundling, …): both see the same drift of a shared machine.
    const order: Variant[] = run % 2 === 0 ? ['bundling', 'prebuilt'] : ['prebuilt', 'bundling'];
    for (const variant of order) {
      const taskQueue = `bench-worker-start-${variant}-${run}`;
      const taskKey = `worker-start-${variant}-${run}`;
      const zap = createBenchZap({ taskQueue, temporalAddress: temporal.address, temporalClient: client });
      await zap.start();
      const task = await zap.executeTask({ agentName: BENCH_AGENT, task: formatTaskMessage({ taskKey, scenario: 'answer' }) });
      const worker = await startWorkerProcess({
        taskQueue,
        temporalAddress: temporal.address,
        llmBaseURL: model.baseURL,
        readyTimeoutMs: READY_TIMEOUT_MS,
        // Explicit either way: what a worker does when given neither is the library's choice. Both
        // preload zap's modules, as zap's own workflow code does.
        ...(variant === 'prebuilt'
          ? { workflowBundlePath: bundle.path }
          : { workerOptions: { workflowsPath: ZAP_WORKFLOWS_PATH, bundlerOptions: { preloadModules: [ZAP_WORKFLOWS_PATH] } } }),
      });
      try {
        await model.whenRequested(taskKey, 1);
        const sample: StartSample = {
          variant,
          readyMs: worker.readyMs,
          firstTaskMs: model.arrivals(taskKey)[0]! - worker.startedAt,
          createWorkerMs: worker.startReport.createWorkerMs,
          cpuSeconds: worker.startReport.cpuSeconds,
        };
        samples.push(sample);
        console.error(`${variant} #${run + 1}: polling after ${fixed(sample.readyMs)} ms, first task after ${fixed(sample.firstTaskMs)} ms, ${fixed(sample.cpuSeconds, 2)} CPU s`);
      } finally {
        await worker.stop();
        await client.workflow.getHandle(task.id).terminate('worker-start benchmark done').catch(() => undefined);
        await zap.stop();
        model.forget(taskKey);
      }
    }
  }
}

/** Each figure of each variant, and the ratio bundling / prebuilt of the medians. */
function summarizeSamples() {
  const figures = ['readyMs', 'firstTaskMs', 'createWorkerMs', 'cpuSeconds'] as const;
  type Figure = (typeof figures)[number];
  const of = (variant: Variant): Record<Figure, Summary> => {
    const mine = samples.filter((sample) => sample.variant === variant);
    return Object.fromEntries(figures.map((figure) => [figure, summarize(mine.map((sample) => sample[figure]))])) as Record<Figure, Summary>;
  };
  const bundling = of('bundling');
  const prebuilt = of('prebuilt');
  const ratios = Object.fromEntries(figures.map((figure) => [figure, bundling[figure].median / prebuilt[figure].median])) as Record<Figure, number>;
  return { bundling, prebuilt, ratios };
}

async function report(settings: { runs: number }, complete: boolean): Promise<void> {
  const summary = summarizeSamples();
  console.log(
    `\nWorker start: a fresh worker process per start, ${settings.runs} start(s) per variant, alternating; ms after the spawn ` +
      '(median, p95, min–max); CPU = user + system seconds of the process when its worker was built.',
  );
  const rows: Array<[string, keyof typeof summary.ratios, number, number]> = [
    ['spawn → worker polling, ms', 'readyMs', 0, 1],
    ['spawn → first task served, ms', 'firstTaskMs', 0, 1],
    ['createWorker(), ms', 'createWorkerMs', 0, 1],
    ['CPU at polling, s', 'cpuSeconds', 2, 1],
  ];
  console.log(
    formatTable(
      ['figure', 'bundling median', 'p95', 'min–max', 'prebuilt median', 'p95', 'min–max', 'bundling/prebuilt'],
      rows.map(([label, figure, digits, scale]) => [
        label,
        ...summaryCells(summary.bundling[figure], digits, scale),
        ...summaryCells(summary.prebuilt[figure], digits, scale),
        ratio(summary.ratios[figure]),
      ]),
    ),
  );
  console.log(`(bundling: ${VARIANT_LABELS.bundling}; prebuilt: ${VARIANT_LABELS.prebuilt})`);
  if (bundleBuild) console.log(`One-time bundleWorkflowCode of the prebuilt side: ${fixed(bundleBuild.wallMs)} ms, ${fixed(bundleBuild.cpuSeconds, 2)} CPU s.`);
  const summaryRows: SummaryRow[] = [
    summaryRow(
      {
        benchmark: 'worker-start',
        figure: 'spawn → polling, bundling at start',
        unit: 's',
        ratio: summary.ratios.readyMs,
        baseline: `prebuilt bundle: ${fixed(summary.prebuilt.readyMs.median / 1000, 2)} s`,
        note:
          `CPU ${fixed(summary.bundling.cpuSeconds.median, 1)} s vs ${fixed(summary.prebuilt.cpuSeconds.median, 1)} s; ` +
          `createWorker() ${fixed(summary.bundling.createWorkerMs.median)} vs ${fixed(summary.prebuilt.createWorkerMs.median)} ms`,
      },
      summary.bundling.readyMs,
      1000,
    ),
  ];
  const path = await writeResults('worker-start', { complete, summary: summaryRows, settings, bundleBuild: bundleBuild ?? null, ...summary, samples });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({ runs: readInteger(environment, 'BENCH_WORKER_START_RUNS', 5, 3) }),
  hardTimeoutMs: (settings) => 120_000 + settings.runs * 2 * (READY_TIMEOUT_MS + 10_000),
  main,
  report,
});
