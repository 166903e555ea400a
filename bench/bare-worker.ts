/**
 * The baseline's worker process: `workers/zap-worker.ts` loads this module like a Zap module, so
 * both sides run under the same process entry (tsx, a pre-built bundle from ZAP_WORKFLOW_BUNDLE,
 * drain on SIGTERM). It serves the baseline workflows (`bare-workflows.ts`) and their activities
 * on ZAP_TASK_QUEUE, calling the model at OPENAI_BASE_URL; BENCH_WORKER_OPTIONS adds worker
 * options as for `load-worker.ts`.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { runWorker } from 'zap-agents';
import { createBareActivities } from './bare-activities';
import { BENCH_MODEL } from './bench-task';
import { echoTool } from './echo-tool';

type WorkerHost = Parameters<typeof runWorker>[0];

/** zap-agents' default temperature and model-call timeout, which the bare activities copy. */
const TEMPERATURE = 0.7;
const MODEL_TIMEOUT_MS = 2 * 60 * 1000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the load benchmarks start this worker with it.`);
  return value;
}

const workerOptions = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}') as Record<string, unknown>;
let connection: NativeConnection | undefined;

/** A worker host whose worker runs the bare workflow. */
export const zap: WorkerHost = {
  async createWorker(options = {}) {
    connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
    return Worker.create({
      ...(options.worker?.workflowBundle ? {} : { workflowsPath: require.resolve('./bare-workflows') }),
      ...options.worker,
      ...workerOptions,
      connection,
      taskQueue: required('ZAP_TASK_QUEUE'),
      activities: createBareActivities({
        baseURL: required('OPENAI_BASE_URL'),
        apiKey: required('OPENAI_API_KEY'),
        model: BENCH_MODEL,
        temperature: TEMPERATURE,
        timeoutMs: MODEL_TIMEOUT_MS,
        tool: echoTool,
      }),
    });
  },
  async stop() {
    await connection?.close();
    connection = undefined;
  },
};
