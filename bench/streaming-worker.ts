/**
 * What `workers/zap-worker.ts` loads in the streaming benchmark's worker process. Configured by
 * the environment the benchmark gives it: ZAP_TASK_QUEUE, TEMPORAL_ADDRESS, OPENAI_BASE_URL,
 * OPENAI_API_KEY and BENCH_WAIT_STEP_MS.
 */
import { createStreamingZap, DEFAULT_WAIT_STEP_MS } from './streaming-agent';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the streaming benchmark starts this worker with it.`);
  return value;
}

/** The worker side's Zap. */
export const zap = createStreamingZap({
  taskQueue: required('ZAP_TASK_QUEUE'),
  temporalAddress: required('TEMPORAL_ADDRESS'),
  waitStepMs: Number(process.env.BENCH_WAIT_STEP_MS ?? DEFAULT_WAIT_STEP_MS),
  llm: { baseURL: required('OPENAI_BASE_URL'), apiKey: required('OPENAI_API_KEY') },
});
