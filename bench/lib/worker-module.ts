/**
 * What `workers/zap-worker.ts` loads in a benchmark's worker process (see `worker-process.ts`):
 * the benchmark Zap, or with BENCH_WORKER_SIDE=bare the bare baseline, configured by the
 * environment the benchmark gives it (ZAP_TASK_QUEUE, TEMPORAL_ADDRESS, OPENAI_BASE_URL,
 * OPENAI_API_KEY, BENCH_WAIT_STEP_MS, BENCH_STREAMING), with BENCH_WORKER_OPTIONS (a JSON object) added to the
 * worker options. Once the worker is built it prints one START_REPORT_PREFIX line: how long
 * `createWorker` took, and the process's age and CPU time at that moment. On SIGWINCH it prints one
 * STATUS_REPORT_PREFIX line (the worker's status and memory, see `requestWorkerStatus`), after
 * writing a heap snapshot of the workflow thread to `BENCH_HEAP_SNAPSHOT_PREFIX-<n>.heapsnapshot`
 * when that is set, and one of the main thread to `BENCH_MAIN_SNAPSHOT_PREFIX-<n>.heapsnapshot`
 * (a snapshot forces a full GC of its thread, and writing it raises the process's RSS).
 */
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { writeHeapSnapshot } from 'node:v8';
import type { Worker as ThreadWorker } from 'node:worker_threads';
import type { Worker } from '@temporalio/worker';
import type { WorkerHost } from '../../src/worker/run-worker';
import { createBareWorkerHost } from './bare-activities';
import { createBenchAgent, createBenchZap } from './bench-zap';
import { START_REPORT_PREFIX, STATUS_REPORT_PREFIX, type WorkerStartReport, type WorkerStatusReport } from './worker-process';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the benchmarks start this worker with it.`);
  return value;
}

const settings = {
  taskQueue: required('ZAP_TASK_QUEUE'),
  temporalAddress: required('TEMPORAL_ADDRESS'),
  llm: { baseURL: required('OPENAI_BASE_URL'), apiKey: required('OPENAI_API_KEY') },
};
const host: WorkerHost =
  process.env.BENCH_WORKER_SIDE === 'bare'
    ? createBareWorkerHost({ ...settings, agent: createBenchAgent() })
    : createBenchZap({
        ...settings,
        ...(process.env.BENCH_WAIT_STEP_MS ? { waitStepMs: Number(process.env.BENCH_WAIT_STEP_MS) } : {}),
        // BENCH_STREAMING=1|0 sets the Bench agent's `streaming`; unset, the zap-agents default.
        ...(process.env.BENCH_STREAMING ? { streaming: process.env.BENCH_STREAMING === '1' } : {}),
      });
const workerOptions = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Record<string, unknown>;

// SIGHUP blocks this process's event loop for BENCH_STALL_MS (recovery.ts's fragility rows): what a
// synchronous, CPU-bound tool or a long garbage collection does to every call's heartbeats.
// (not SIGUSR2: Temporal's runtime shuts the worker down on it.)
process.on('SIGHUP', () => {
  const until = performance.now() + Number(process.env.BENCH_STALL_MS ?? 1500);
  while (performance.now() < until) {
    // Busy: nothing else in this process runs meanwhile.
  }
});

/** The host, with the benchmark's worker options added to whatever the worker entry passes. */
export const zap: WorkerHost = {
  async createWorker(options = {}) {
    const startedAt = performance.now();
    const worker = await host.createWorker({ ...options, worker: { ...options.worker, ...workerOptions } });
    const cpu = process.cpuUsage();
    const report: WorkerStartReport = {
      createWorkerMs: performance.now() - startedAt,
      uptimeMs: process.uptime() * 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
    console.log(`${START_REPORT_PREFIX}${JSON.stringify(report)}`);
    process.on('SIGWINCH', () => void printStatus(worker));
    return worker;
  },
  stop: () => host.stop(),
};

let statusReports = 0;

/** Prints the worker's status line (see the module comment). */
async function printStatus(worker: Worker): Promise<void> {
  const sequence = ++statusReports;
  const threads = workflowThreads(worker);
  const snapshotPrefix = process.env.BENCH_HEAP_SNAPSHOT_PREFIX;
  if (snapshotPrefix && threads[0]) {
    await pipeline(await threads[0].getHeapSnapshot(), createWriteStream(`${snapshotPrefix}-${sequence}.heapsnapshot`));
  }
  const mainSnapshotPrefix = process.env.BENCH_MAIN_SNAPSHOT_PREFIX;
  if (mainSnapshotPrefix) writeHeapSnapshot(`${mainSnapshotPrefix}-${sequence}.heapsnapshot`);
  const usage = process.memoryUsage();
  const threadHeaps = await Promise.all(threads.map((thread) => thread.getHeapStatistics?.().catch(() => undefined)));
  const sumOfThreads = (key: 'used_heap_size' | 'total_heap_size'): number | undefined =>
    threadHeaps.every((heap) => heap !== undefined) ? threadHeaps.reduce((sum, heap) => sum + heap![key], 0) : undefined;
  const report: WorkerStatusReport = {
    sequence,
    numCachedWorkflows: worker.getStatus().numCachedWorkflows,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
    workflowThreadHeapUsedBytes: sumOfThreads('used_heap_size'),
    workflowThreadHeapTotalBytes: sumOfThreads('total_heap_size'),
  };
  console.log(`${STATUS_REPORT_PREFIX}${JSON.stringify(report)}`);
}

/** The worker threads running workflows (the SDK's ThreadedVMWorkflowCreator; none in debug mode). Bench-only: SDK internals. */
function workflowThreads(worker: Worker): ThreadWorker[] {
  const creator = (worker as unknown as { workflowCreator?: { workerThreadClients?: { workerThread: ThreadWorker }[] } }).workflowCreator;
  return creator?.workerThreadClients?.map((client) => client.workerThread) ?? [];
}
