import type { Client } from '@temporalio/client';

/** Which implementation ran a task. */
export type SideName = 'zap' | 'bare';

/** A task whose workflow has been started. */
export interface StartedTask {
  workflowId: string;
  /**
   * Settles when the workflow closes: resolves if it answered the scripted final answer, rejects
   * otherwise (failed, cancelled, or another answer).
   */
  closed: Promise<void>;
}

/** One side of the comparison: a client, a running worker, and a way to start a task. */
export interface BenchSide {
  readonly name: SideName;
  /** The client the side starts its workflows with. */
  readonly client: Client;
  /** Starts a task with this user message; resolves once the server has accepted it. */
  startTask(message: string): Promise<StartedTask>;
  /** Drains the worker and closes connections. */
  stop(): Promise<void>;
}
