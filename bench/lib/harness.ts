/**
 * What every benchmark does around its measurements: settings from the environment, a Temporal
 * dev server and the scripted model, workflow bundles built before anything is timed, workers in
 * this process, and a run that reports what was measured and leaves nothing running, whether it
 * finishes, fails or overruns its hard timeout.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type RuntimeOptions, type Worker } from '@temporalio/worker';
import { TemporalDevServer } from 'zap-agents/testing';
import type { WorkerHost } from '../../src/worker/run-worker';
import { zapWorkflowPreloadModules } from '../../src/worker/workflow-code';
import { isQuick } from './report';
import { ScriptedModel } from './scripted-model';

/** zap-agents' workflow sources, which a worker bundles at start unless given a bundle. */
export const ZAP_WORKFLOWS_PATH = require.resolve('../../src/workflows/index');
/** How long shutdown may take after a failure or the hard timeout before the process exits anyway. */
const ABORT_CLEANUP_MS = 20_000;

/** Things to stop at the end of a run, stopped last first. */
export class Cleanups {
  private readonly steps: Array<() => Promise<unknown>> = [];

  push(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Runs every step once, last first; a failing step is reported and the others still run. */
  async closeAll(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step().catch((error: unknown) => console.error('cleanup failed:', error));
    }
  }
}

/** One benchmark program: settings from the environment, a measuring phase, a report. */
export interface BenchmarkProgram<TSettings> {
  /** Reads and validates the settings (BENCH_* variables); throws on nonsense. */
  readSettings(environment: NodeJS.ProcessEnv): TSettings;
  /** The whole run, servers included, after which what was measured is reported and the process exits 1. */
  hardTimeoutMs(settings: TSettings): number;
  /** Measures; registers what it starts in `cleanups` (closed afterwards, whatever happens). */
  main(settings: TSettings, cleanups: Cleanups): Promise<void>;
  /** Prints the tables and writes the JSON; `complete` is false when the run was cut short. */
  report(settings: TSettings, complete: boolean): Promise<void>;
  /** Options of Temporal's runtime (logging of the workers in this process). @default WARN and above to the console */
  runtime?: RuntimeOptions;
}

/**
 * Runs a benchmark: report and exit 0 when it finishes; report what was measured and exit 1 on an
 * error or after the hard timeout; never leave anything running.
 */
export function runBenchmark<TSettings>(program: BenchmarkProgram<TSettings>): void {
  Runtime.install(program.runtime ?? { logger: new DefaultLogger('WARN') });
  const cleanups = new Cleanups();
  const run = async (): Promise<void> => {
    const settings = program.readSettings(process.env);
    const fail = async (reason: unknown): Promise<never> => {
      console.error(reason);
      await program.report(settings, false).catch((error: unknown) => console.error(error));
      await Promise.race([cleanups.closeAll(), sleep(ABORT_CLEANUP_MS)]);
      process.exit(1);
    };
    const timeoutMs = program.hardTimeoutMs(settings);
    const hardTimeout = setTimeout(() => void fail(`Hard timeout: ${timeoutMs / 1000} s passed; reporting what was measured.`), timeoutMs);
    try {
      await program.main(settings, cleanups);
      await cleanups.closeAll();
    } catch (error) {
      clearTimeout(hardTimeout);
      await fail(error);
    }
    clearTimeout(hardTimeout);
    await program.report(settings, true);
    process.exit(0);
  };
  run().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/** An integer of at least `minimum` from the environment, or `full` (`quick` in a smoke run). */
export function readInteger(environment: NodeJS.ProcessEnv, name: string, full: number, quick = full, minimum = 1): number {
  const raw = environment[name];
  const value = raw === undefined || raw === '' ? (isQuick(environment) ? quick : full) : Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer of at least ${minimum}, not ${raw}.`);
  return value;
}

/** A comma-separated list of integers of at least `minimum` from the environment, or `full` (`quick` in a smoke run). */
export function readIntegerList(environment: NodeJS.ProcessEnv, name: string, full: readonly number[], quick = full, minimum = 1): number[] {
  const raw = environment[name];
  if (raw === undefined || raw === '') return [...(isQuick(environment) ? quick : full)];
  const values = raw.split(',').map((item) => Number(item.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < minimum)) {
    throw new Error(`${name} must be a comma-separated list of integers of at least ${minimum}, not ${raw}.`);
  }
  return values;
}

/** Runs `work` on each item with at most `concurrency` at a time; results in item order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** The numbers 0 … count − 1. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** What every benchmark starts first. */
export interface BenchServers {
  temporal: TemporalDevServer;
  model: ScriptedModel;
  /** A client on its own connection. */
  client: Client;
  /** Another client on a connection of its own (closed with the rest). */
  connect(options?: Omit<ConnectionOptions, 'address'>): Promise<Client>;
}

/**
 * Starts a Temporal dev server (headless, in memory) and the scripted model, and connects a client.
 * `temporalArguments` go to `temporal server start-dev` (e.g. `--metrics-port`). @default []
 */
export async function startBenchServers(cleanups: Cleanups, temporalArguments: readonly string[] = []): Promise<BenchServers> {
  const temporal = await TemporalDevServer.start({ uiPort: false, extraArgs: [...temporalArguments] });
  cleanups.push(() => temporal.stop());
  const model = await ScriptedModel.start();
  cleanups.push(() => model.close());
  const connect = async (options: Omit<ConnectionOptions, 'address'> = {}): Promise<Client> => {
    const connection = await Connection.connect({ ...options, address: temporal.address });
    cleanups.push(() => connection.close());
    return new Client({ connection });
  };
  return { temporal, model, client: await connect(), connect };
}

/** A workflow bundle written to a file: for workers in this process (`code`) and in others (`path`). */
export interface WorkflowBundle {
  path: string;
  code: string;
}

/**
 * Bundles zap-agents' workflows or the bare baseline's with `bundleWorkflowCode`, before anything
 * is timed, so no worker pays for webpack (but the worker-start benchmark's bundling side). zap's
 * bundle preloads its modules as zap's workers do (`zapWorkflowPreloadModules`) unless `preload`
 * is false (every run evaluates its own copy, as in zap-agents 0.2.0); the bare baseline's
 * preloads nothing, as a plain Temporal worker's.
 */
export async function writeWorkflowBundle(side: 'zap' | 'bare', cleanups: Cleanups, options: { preload?: boolean } = {}): Promise<WorkflowBundle> {
  const preload = side === 'zap' && options.preload !== false;
  const directory = await mkdtemp(join(tmpdir(), `zap-bench-${side}${preload ? '' : '-per-run'}-`));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  const silent = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: side === 'zap' ? ZAP_WORKFLOWS_PATH : require.resolve('./bare-workflow'),
    preloadModules: preload ? zapWorkflowPreloadModules() : [],
    logger: { trace: silent, debug: silent, info: silent, log: silent, warn: console.warn, error: console.error },
  });
  const path = join(directory, 'workflow-bundle.js');
  await writeFile(path, code);
  return { path, code };
}

/**
 * Builds a worker of a `Zap` (or of the bare baseline) in this process on a prebuilt bundle and
 * runs it. `stop` (also registered in `cleanups`; once is enough) stops the host, then awaits the
 * end of `run()`.
 */
export async function runWorkerInProcess(
  host: WorkerHost,
  bundle: WorkflowBundle,
  cleanups: Cleanups,
): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const worker = await host.createWorker({ worker: { workflowBundle: { code: bundle.code } } });
  const running = worker.run();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= host.stop().then(() => running));
  cleanups.push(stop);
  return { worker, stop };
}
