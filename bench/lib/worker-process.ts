import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const REPOSITORY_ROOT = resolve(__dirname, '..', '..');
/** What `workers/zap-worker.ts` prints once its worker is built and about to poll. */
const READY_LINE = '[zap-worker] running';
/** Output kept for error messages. */
const OUTPUT_LIMIT_CHARS = 64 * 1024;
const READY_POLL_INTERVAL_MS = 10;

/** Prefix of the line with the worker's {@link WorkerStartReport}. */
export const START_REPORT_PREFIX = '[bench-worker] ';

/** Prefix of the lines with a {@link WorkerStatusReport} (printed on SIGWINCH, see {@link requestWorkerStatus}). */
export const STATUS_REPORT_PREFIX = '[bench-status] ';

/** The worker's status and memory, as read inside its process. */
export interface WorkerStatusReport {
  /** 1 for the first report of the process, and so on. */
  sequence: number;
  /** `worker.getStatus().numCachedWorkflows`. */
  numCachedWorkflows: number;
  /** `process.memoryUsage()` of the process (heap, external and array buffers of its main thread). */
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Used heap of the worker threads that run workflows (where cached runs live), when Node can tell. */
  workflowThreadHeapUsedBytes: number | undefined;
  /** Heap the workflow threads' V8 has reserved: used, garbage not yet collected, fragmentation. */
  workflowThreadHeapTotalBytes?: number | undefined;
}

/** How the worker process started, as measured inside it. */
export interface WorkerStartReport {
  /** Wall time of `createWorker` (connecting, bundling unless prebuilt, building the worker). */
  createWorkerMs: number;
  /** Process age when the worker was built (`process.uptime()`). */
  uptimeMs: number;
  /** User + system CPU of the whole process up to then (`process.cpuUsage()`). */
  cpuSeconds: number;
}

/** Options of {@link startWorkerProcess}. */
export interface WorkerProcessOptions {
  /** @default 'zap' */
  side?: 'zap' | 'bare';
  taskQueue: string;
  temporalAddress: string;
  llmBaseURL: string;
  /** A bundle built ahead of time (ZAP_WORKFLOW_BUNDLE); without it the worker bundles at start. */
  workflowBundlePath?: string;
  /** Added to the worker options (BENCH_WORKER_OPTIONS). @default {} */
  workerOptions?: Record<string, unknown>;
  /** More environment, e.g. BENCH_WAIT_STEP_MS. @default {} */
  environment?: Record<string, string>;
  /** @default 30000 */
  readyTimeoutMs?: number;
  /** The module exporting the worker's Zap. @default `worker-module.ts` next to this file */
  modulePath?: string;
  /** Repository whose `workers/zap-worker.ts` runs, in its directory (another checkout: another version). @default this repository */
  root?: string;
}

/** A `workers/zap-worker.ts` process (the real worker entry, through tsx) loading `worker-module.ts`. */
export interface WorkerProcess {
  readonly pid: number;
  /** `performance.now()` at the spawn. */
  readonly startedAt: number;
  /** From the spawn to the worker's ready line, on this process's clock. */
  readonly readyMs: number;
  /** What the worker measured of its own start. */
  readonly startReport: WorkerStartReport;
  /** The process's recent stdout and stderr. */
  output(): string;
  /** SIGTERM (the worker drains and exits), then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a worker in its own process and resolves once it reports that it polls. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    // BENCH_WORKER_NODE_FLAGS: Node flags for the worker processes of an experiment (e.g. V8 heap flags).
    [...(process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', resolve(options.root ?? REPOSITORY_ROOT, 'workers/zap-worker.ts'), options.modulePath ?? resolve(__dirname, 'worker-module.ts')],
    {
      cwd: options.root ?? REPOSITORY_ROOT,
      env: {
        ...process.env,
        // The bare baseline is a Temporal worker as users run one: Node's V8 heap flags, not zap-worker's compact heap.
        ...(options.side === 'bare' ? { ZAP_WORKER_HEAP: 'node' } : {}),
        ...options.environment,
        BENCH_WORKER_SIDE: options.side ?? 'zap',
        ZAP_TASK_QUEUE: options.taskQueue,
        TEMPORAL_ADDRESS: options.temporalAddress,
        OPENAI_BASE_URL: options.llmBaseURL,
        OPENAI_API_KEY: 'bench',
        BENCH_WORKER_OPTIONS: JSON.stringify(options.workerOptions ?? {}),
        ...(options.workflowBundlePath ? { ZAP_WORKFLOW_BUNDLE: options.workflowBundlePath } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let readyAt: number | undefined;
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT_CHARS);
    if (readyAt === undefined && output.includes(READY_LINE)) readyAt = performance.now();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (hasExited()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };
  const deadline = startedAt + (options.readyTimeoutMs ?? 30_000);
  while (readyAt === undefined) {
    if (hasExited()) throw new Error(`The worker process exited before it was ready:\n${output}`);
    if (performance.now() > deadline) {
      await stop(1_000);
      throw new Error(`The worker process was not ready in time:\n${output}`);
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  const reportLine = output.split('\n').find((line) => line.startsWith(START_REPORT_PREFIX)) ?? '';
  const startReport = JSON.parse(reportLine.slice(START_REPORT_PREFIX.length) || '{}') as WorkerStartReport;
  return { pid: child.pid!, startedAt, readyMs: readyAt - startedAt, startReport, output: () => output, stop };
}

/** Asks a worker process for its status (SIGWINCH: SIGUSR2 stalls it, see worker-module.ts) and resolves with the report it prints. */
export async function requestWorkerStatus(worker: WorkerProcess, timeoutMs = 120_000): Promise<WorkerStatusReport> {
  const latest = (): WorkerStatusReport | undefined => {
    const line = worker
      .output()
      .split('\n')
      .findLast((candidate) => candidate.startsWith(STATUS_REPORT_PREFIX));
    return line === undefined ? undefined : (JSON.parse(line.slice(STATUS_REPORT_PREFIX.length)) as WorkerStatusReport);
  };
  const previous = latest()?.sequence ?? 0;
  process.kill(worker.pid, 'SIGWINCH');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const report = latest();
    if (report && report.sequence > previous) return report;
    if (performance.now() > deadline) throw new Error(`The worker process printed no status in time:\n${worker.output().slice(-2000)}`);
    await sleep(50);
  }
}
