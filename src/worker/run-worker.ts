import type { Worker } from '@temporalio/worker';
import type { ZapWorkerOptions } from './create-worker';

/** Options of {@link runWorker}. */
export interface RunWorkerOptions extends ZapWorkerOptions {
  /** Stops the worker (draining in-flight work) when aborted. @default undefined (SIGINT/SIGTERM only) */
  signal?: AbortSignal;
  /** Called once the worker is built and about to poll. @default undefined */
  onRunning?: (worker: Worker) => void;
}

/** The part of a `Zap` that {@link runWorker} uses. */
export interface WorkerHost {
  createWorker(options?: ZapWorkerOptions): Promise<Worker>;
  stop(): Promise<void>;
}

/**
 * Runs a worker for the Zap until SIGINT/SIGTERM (Temporal's runtime turns those into a graceful
 * shutdown: no new tasks are polled, in-flight activities get the shutdown grace time) or until
 * `signal` aborts, then releases MCP servers and connections.
 */
export async function runWorker(zap: WorkerHost, options: RunWorkerOptions = {}): Promise<void> {
  const { signal, onRunning, ...workerOptions } = options;
  const worker = await zap.createWorker(workerOptions);
  onRunning?.(worker);
  const onAbort = (): void => worker.shutdown();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) return;
    await worker.run();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await zap.stop();
  }
}
