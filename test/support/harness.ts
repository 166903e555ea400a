import { randomBytes } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { Zap, type Task, type ZapAgent, type ZapOptions } from '../../src';
import { ScriptedLlmServer, type ScriptedLlmServerOptions } from '../../src/testing/scripted-llm-server';

/** Address of the run's shared Temporal dev server (started by global-setup). */
export function temporalAddress(): string {
  const address = process.env.ZAP_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('ZAP_TEST_TEMPORAL_ADDRESS is not set: run tests through jest (global-setup).');
  return address;
}

/** Worker options that reuse the workflow bundle built once by global-setup. */
export function testWorkerOptions(): { worker: { workflowBundle: { codePath: string } } } {
  const codePath = process.env.ZAP_TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('ZAP_TEST_WORKFLOW_BUNDLE is not set: run tests through jest (global-setup).');
  return { worker: { workflowBundle: { codePath } } };
}

/** A fresh task queue so tests never pick up each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export interface Harness {
  zap: Zap<any>;
  llm: ScriptedLlmServer;
  worker: Worker;
  taskQueue: string;
  stop(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  agents: ZapAgent<any>[];
  zap?: Partial<Omit<ZapOptions<any>, 'agents'>>;
  llm?: ScriptedLlmServerOptions;
  /** Start a worker in this process. @default true */
  worker?: boolean;
}

/**
 * A scripted LLM server, a Zap on a fresh task queue of the shared dev server, and (by default)
 * a running worker. `stop()` drains the worker and closes everything.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const llm = await ScriptedLlmServer.start(options.llm);
  const taskQueue = uniqueTaskQueue();
  const zap = new Zap<any>({
    agents: options.agents,
    taskQueue,
    temporal: { address: temporalAddress() },
    llm: { baseURL: llm.baseURL, apiKey: 'test-key' },
    ...options.zap,
  });
  await zap.start();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (options.worker !== false) {
    worker = await zap.createWorker(testWorkerOptions());
    running = worker.run();
  }
  return {
    zap,
    llm,
    get worker(): Worker {
      if (!worker) throw new Error('this harness has no worker');
      return worker;
    },
    taskQueue,
    async stop() {
      await zap.stop();
      await running;
      await llm.close();
    },
  };
}

/** Polls `getTask` until `predicate` holds; fails with the last state after `timeoutMs`. */
export async function waitForTask(
  zap: Zap<any>,
  taskId: string,
  predicate: (task: Task) => boolean,
  timeoutMs = 30_000,
): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  let last: Task | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await zap.getTask(taskId);
      if (predicate(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `Task ${taskId} did not reach the expected state in ${timeoutMs} ms; last status ${last?.status ?? 'unknown'}` +
      (last?.error ? ` (error: ${last.error})` : '') +
      (lastError ? `; last error: ${String(lastError)}` : ''),
  );
}

/** Waits until the task has answered (or failed, which fails the wait with the error). */
export async function waitForCompletion(zap: Zap<any>, taskId: string, timeoutMs?: number): Promise<Task> {
  const task = await waitForTask(zap, taskId, (t) => t.status === 'completed' || t.status === 'failed', timeoutMs);
  if (task.status === 'failed') throw new Error(`Task ${taskId} failed: ${task.error}`);
  return task;
}
