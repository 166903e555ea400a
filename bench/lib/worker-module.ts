/**
 * What `workers/zap-worker.ts` loads in a benchmark's worker process (see `worker-process.ts`):
 * the benchmark Zap, or with BENCH_WORKER_SIDE=bare the bare baseline, configured by the
 * environment the benchmark gives it (ZAP_TASK_QUEUE, TEMPORAL_ADDRESS, OPENAI_BASE_URL,
 * OPENAI_API_KEY, BENCH_WAIT_STEP_MS), with BENCH_WORKER_OPTIONS (a JSON object) added to the
 * worker options. Once the worker is built it prints one START_REPORT_PREFIX line: how long
 * `createWorker` took, and the process's age and CPU time at that moment.
 */
import { performance } from 'node:perf_hooks';
import type { WorkerHost } from '../../src/worker/run-worker';
import { createBareWorkerHost } from './bare-activities';
import { createBenchAgent, createBenchZap } from './bench-zap';
import { START_REPORT_PREFIX, type WorkerStartReport } from './worker-process';

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
    : createBenchZap({ ...settings, ...(process.env.BENCH_WAIT_STEP_MS ? { waitStepMs: Number(process.env.BENCH_WAIT_STEP_MS) } : {}) });
const workerOptions = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Record<string, unknown>;

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
    return worker;
  },
  stop: () => host.stop(),
};
