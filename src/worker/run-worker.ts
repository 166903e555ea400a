import type { Worker } from '@temporalio/worker';
import type { ZapWorkerOptions } from './create-worker';
import { DEFAULT_WORKER_HEAP, useWorkerHeap, type ZapWorkerHeap } from './worker-heap';

/** Options of {@link runWorker}. */
export interface RunWorkerOptions extends ZapWorkerOptions {
  /** Stops the worker (draining in-flight work) when aborted. @default undefined (SIGINT/SIGTERM only) */
  signal?: AbortSignal;
  /** Called once the worker is built and about to poll. @default undefined */
  onRunning?: (worker: Worker) => void;
  /**
   * How this process sizes its V8 heaps, set before the worker's threads exist (see
   * `ZapWorkerHeap`; V8 flags are process-wide). `compact` keeps a worker holding thousands of open
   * tasks near its live memory, for a little more time in garbage collection.
   * @default 'compact'
   */
  heap?: ZapWorkerHeap;
}

/** The part of a `Zap` that {@link runWorker} uses. */
export interface WorkerHost {
  createWorker(options?: ZapWorkerOptions): Promise<Worker>;
  stop(): Promise<void>;
}

/**
 * Runs a worker for the Zap until SIGINT/SIGTERM (Temporal's runtime turns those into a graceful
 * shutdown: no new tasks are polled, in-flight activities get the shutdown grace time) or until
 * `signal` aborts, then releases MCP servers and connections. It owns the process: it sizes the
 * process's V8 heaps first (`heap`).
 */
export async function runWorker(zap: WorkerHost, options: RunWorkerOptions = {}): Promise<void> {
  const { signal, onRunning, heap = DEFAULT_WORKER_HEAP, ...workerOptions } = options;
  useWorkerHeap(heap);
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
