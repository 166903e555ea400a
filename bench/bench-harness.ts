import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where every benchmark writes its JSON. */
export const RESULTS_DIRECTORY = join(__dirname, 'results');
/** How long shutdown may take after the hard timeout before the process exits anyway. */
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
  /** Measures; registers what it starts in `cleanups` (the harness closes them afterwards). */
  main(settings: TSettings, cleanups: Cleanups): Promise<void>;
  /** Prints the tables and writes the JSON; `complete` is false when the run was cut short. */
  report(settings: TSettings, complete: boolean): Promise<void>;
}

/**
 * Runs a benchmark as the overhead benchmark does: report and exit 0 when it finishes; report what
 * was measured and exit 1 on an error or after the hard timeout; never leave anything running.
 */
export function runBenchmark<TSettings>(program: BenchmarkProgram<TSettings>): void {
  const cleanups = new Cleanups();
  const run = async (): Promise<void> => {
    const settings = program.readSettings(process.env);
    const fail = async (reason: unknown): Promise<never> => {
      console.error(reason);
      try {
        await program.report(settings, false);
      } catch (error) {
        console.error(error);
      }
      await Promise.race([cleanups.closeAll(), sleep(ABORT_CLEANUP_MS)]);
      process.exit(1);
    };
    const hardTimeout = setTimeout(
      () => void fail(`Hard timeout: ${program.hardTimeoutMs(settings) / 1000} s passed; reporting what was measured.`),
      program.hardTimeoutMs(settings),
    );
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

/** Writes `bench/results/<name>.json` with the run's environment; returns its path. */
export async function writeResults(name: string, complete: boolean, body: Record<string, unknown>): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const cpuList = cpus();
  const path = join(RESULTS_DIRECTORY, `${name}.json`);
  const document = {
    generatedAt: new Date().toISOString(),
    complete,
    environment: { node: process.version, platform: process.platform, cpus: cpuList.length, cpuModel: cpuList[0]?.model },
    ...body,
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

/** Whether BENCH_QUICK asks for a smoke run. */
export function isQuick(environment: NodeJS.ProcessEnv): boolean {
  return environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
}

/** A positive integer from the environment, or `fallback`. */
export function readInteger(environment: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const raw = environment[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer of at least ${minimum}, not ${raw}.`);
  return value;
}

/** A comma-separated list of positive integers from the environment, or `fallback`. */
export function readIntegerList(environment: NodeJS.ProcessEnv, name: string, fallback: readonly number[]): number[] {
  const raw = environment[name];
  if (raw === undefined || raw === '') return [...fallback];
  const values = raw.split(',').map((item) => Number(item.trim()));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new Error(`${name} must be a comma-separated list of positive integers, not ${raw}.`);
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

/** Bytes as MiB with one decimal. */
export function mebibytes(bytes: number): string {
  return Number.isNaN(bytes) ? '–' : (bytes / (1024 * 1024)).toFixed(1);
}
