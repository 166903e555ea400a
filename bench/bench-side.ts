import type { Client } from '@temporalio/client';

/** Which implementation ran a task. */
export type SideName = 'zap' | 'bare';

/** One task, timed on the benchmark's clock (`performance.now()`). */
export interface TaskRun {
  workflowId: string;
  startedAt: number;
  finishedAt: number;
}

/** One side of the comparison: a client, a running worker, and a way to run one task to its end. */
export interface BenchSide {
  readonly name: SideName;
  /** The client the side starts and awaits its workflows with. */
  readonly client: Client;
  /**
   * Starts a task with this user message and resolves when its workflow has closed, after checking
   * that it answered the scripted final answer.
   */
  runTask(message: string): Promise<TaskRun>;
  /** Drains the worker and closes connections. */
  stop(): Promise<void>;
}
