/**
 * What `workers/zap-worker.ts` loads in the load benchmarks' worker processes (see
 * `worker-process.ts`). Configured by the environment the benchmark gives it: ZAP_TASK_QUEUE,
 * TEMPORAL_ADDRESS, OPENAI_BASE_URL, OPENAI_API_KEY, and BENCH_WORKER_OPTIONS, a JSON object of
 * `@temporalio/worker` options (e.g. `{"maxCachedWorkflows":100}`) laid over the defaults — the
 * knob the benchmarks turn to compare worker settings.
 */
import type { runWorker } from 'zap-agents';
import { createLoadZap } from './load-agent';

type WorkerHost = Parameters<typeof runWorker>[0];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the load benchmarks start this worker with it.`);
  return value;
}

const loadZap = createLoadZap({
  taskQueue: required('ZAP_TASK_QUEUE'),
  temporalAddress: required('TEMPORAL_ADDRESS'),
  llm: { baseURL: required('OPENAI_BASE_URL'), apiKey: required('OPENAI_API_KEY') },
});
const workerOptions = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Record<string, unknown>;

/** The load Zap, with the benchmark's worker options added to whatever the worker entry passes. */
export const zap: WorkerHost = {
  createWorker: (options = {}) => loadZap.createWorker({ ...options, worker: { ...options.worker, ...workerOptions } }),
  stop: () => loadZap.stop(),
};

