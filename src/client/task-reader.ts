import { ServiceError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { isDeadlineExceeded } from '../core/deadline-exceeded';
import { isNotStartedQueryError } from '../core/not-started-query';
import { AgentStuckError, NoWorkerError, OutputValidationError, TaskNotFoundError } from '../core/errors';
import type { ChatMessage } from '../core/messages';
import type { AgentWorkflowResult } from '../core/task-state';
import type { TaskSnapshot, TaskStatusSnapshot } from '../core/task-snapshot';
import { TaskStatus } from '../core/task-status';
import { getMessagesQuery, getTaskStateQuery, getTaskStatusQuery } from '../workflows/definitions';
import { errorFromFailure } from './error-from-failure';
import { notStartedSnapshot } from './delayed-start';

/**
 * A poller that accessed the task queue longer ago than this is gone: a live worker's long poll
 * returns and polls again within about a minute.
 */
const LIVE_POLLER_WINDOW_MS = 90_000;
/** How long a "workers are polling" answer is reused by `executeTask`'s check. */
const POLLERS_CACHE_MS = 30_000;
/** What a read answers for a task whose start delay has not passed: no worker can answer for it yet. */
const NOT_STARTED = Symbol('not started');

/** What a {@link TaskReader} needs. */
export interface TaskReaderOptions {
  client: () => Client;
  namespace: string;
  /** The Zap's task queue (where its tasks' workers poll). */
  taskQueue: string;
  /** How long a read waits for a worker's answer before checking that one polls at all. */
  noWorkerTimeoutMs: number;
}

/**
 * Reads tasks from their workflows with the fewest round trips a read needs: the cheap status
 * query for questions that need no conversation, the state query plus pages for a whole task. A
 * read that no worker answers fails fast with `NoWorkerError` instead of hanging, and a closed
 * task is read from its workflow result when no worker answers (status, result, error, usage;
 * its conversation needs a worker, so `history` is then empty).
 */
export class TaskReader {
  private pollersSeenAt = 0;
  /** A read aborted by its caller may retry until its deadline; `settle()` waits for that. */
  private abandonedUntil = 0;

  constructor(private readonly options: TaskReaderOptions) {}

  /** The whole task: the state query, then the rest of a long conversation in pages. */
  async snapshot(taskId: string): Promise<TaskSnapshot> {
    const handle = this.options.client().workflow.getHandle(taskId);
    const answer = await this.ask(taskId, handle, undefined, async () => {
      const snapshot = await handle.query(getTaskStateQuery);
      while (snapshot.history.length < snapshot.messageCount) {
        const page = await handle.query(getMessagesQuery, { from: snapshot.history.length, to: snapshot.messageCount });
        if (page.length === 0) break;
        snapshot.history.push(...page);
      }
      return snapshot;
    });
    if (answer === NOT_STARTED) return this.notStarted(taskId, handle);
    return answer ?? { ...(await this.closedTaskStatus(taskId, handle)), history: [] };
  }

  /**
   * Messages [from, to) of the conversation, in as many pages as the workflow answers with (a
   * page is bounded in bytes). Empty for a closed task that no worker can replay.
   */
  async messages(taskId: string, from: number, to: number): Promise<ChatMessage[]> {
    const handle = this.options.client().workflow.getHandle(taskId);
    const answer = await this.ask(taskId, handle, undefined, async () => {
      const messages: ChatMessage[] = [];
      while (from + messages.length < to) {
        const page = await handle.query(getMessagesQuery, { from: from + messages.length, to });
        if (page.length === 0) break;
        messages.push(...page);
      }
      return messages;
    });
    if (answer === NOT_STARTED) return (await this.notStarted(taskId, handle)).history.slice(from, to);
    return answer ?? [];
  }

  /**
   * The task without its conversation (one small query; workers of 0.1.0 answer with the full
   * state). Undefined only when `signal` aborted the read.
   */
  async status(taskId: string): Promise<TaskStatusSnapshot>;
  async status(taskId: string, signal: AbortSignal | undefined): Promise<TaskStatusSnapshot | undefined>;
  async status(taskId: string, signal?: AbortSignal): Promise<TaskStatusSnapshot | undefined> {
    const handle = this.options.client().workflow.getHandle(taskId);
    const answer = await this.ask(taskId, handle, signal, async () => {
      try {
        return await handle.query(getTaskStatusQuery);
      } catch (error) {
        if (!isUnknownQuery(error)) throw error;
        const { history: _history, ...status } = await handle.query(getTaskStateQuery);
        return status;
      }
    });
    if (signal?.aborted) return undefined;
    if (answer === NOT_STARTED) {
      const { history: _history, receivedEvents: _events, ...status } = await this.notStarted(taskId, handle);
      return status;
    }
    return answer ?? (await this.closedTaskStatus(taskId, handle));
  }

  /** Resolves once no retry of a read its caller aborted can still be pending (at most the no-worker timeout). */
  async settle(): Promise<void> {
    const remaining = this.abandonedUntil - Date.now();
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining + 100));
  }

  /**
   * Whether a worker polls the Zap's task queue now. Used by `executeTask` to warn (or refuse)
   * when a task would wait for a worker. A positive answer is reused for a while.
   */
  async workersPolling(): Promise<boolean> {
    if (Date.now() - this.pollersSeenAt < POLLERS_CACHE_MS) return true;
    const polling = await this.hasLivePollers(this.options.taskQueue);
    if (polling) this.pollersSeenAt = Date.now();
    return polling;
  }

  /**
   * Runs a read against the workflow under a deadline of the no-worker timeout. gRPC retries of a
   * call share its deadline, so a read given up on leaves nothing running behind it. If the
   * deadline passes, looks at the task: still running with no live poller → `NoWorkerError`;
   * closed with no live poller → undefined (the caller reads the closed task's result instead);
   * a worker polling (just busy) → the read again, without a deadline. A task whose start delay
   * has not passed → {@link NOT_STARTED} at once (Temporal refuses its queries).
   */
  private async ask<T>(
    taskId: string,
    handle: WorkflowHandle,
    signal: AbortSignal | undefined,
    read: () => Promise<T>,
  ): Promise<T | undefined | typeof NOT_STARTED> {
    const client = this.options.client();
    if (signal?.aborted) return undefined;
    const deadline = Date.now() + this.options.noWorkerTimeoutMs;
    const attempt = (bounded: boolean): Promise<T> => {
      const run = bounded ? () => client.withDeadline(deadline, read) : read;
      return signal ? client.withAbortSignal(signal, run) : run();
    };
    try {
      return await attempt(true);
    } catch (error) {
      if (signal?.aborted) {
        this.abandonedUntil = Math.max(this.abandonedUntil, deadline);
        return undefined;
      }
      if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
      if (isNotStartedQueryError(error)) return NOT_STARTED;
      // Past the deadline, or the server gave up on the query itself (its own timeout, busy):
      // either way, find out whether anyone can answer.
      if (!isDeadlineExceeded(error) && !(error instanceof ServiceError)) throw error;
    }
    const verdict = await this.diagnoseStall(handle);
    if (verdict === 'wait') {
      try {
        return await attempt(false);
      } catch (error) {
        if (signal?.aborted) return undefined;
        if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
        throw error;
      }
    }
    if (verdict.closed) return undefined;
    throw new NoWorkerError({
      namespace: this.options.namespace,
      taskQueue: verdict.taskQueue,
      action: `task '${taskId}' cannot be read until a worker runs it`,
    });
  }

  /**
   * A live worker answers a query in milliseconds, so a stalled one means no worker (or one too
   * busy). A closed task is then read from its result at once; a running one is reported as
   * having no worker unless a worker polled its task queue recently (then: keep waiting).
   */
  private async diagnoseStall(handle: WorkflowHandle): Promise<'wait' | { closed: boolean; taskQueue: string }> {
    try {
      const description = await handle.describe();
      const closed = description.status.name !== 'RUNNING';
      if (!closed && (await this.hasLivePollers(description.taskQueue))) return 'wait';
      return { closed, taskQueue: description.taskQueue };
    } catch {
      return 'wait'; // Cannot tell (Temporal busy): keep waiting for the answer.
    }
  }

  private async hasLivePollers(taskQueue: string): Promise<boolean> {
    const response = await this.options.client().workflowService.describeTaskQueue({
      namespace: this.options.namespace,
      taskQueue: { name: taskQueue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
      taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
    });
    const now = Date.now();
    return (response.pollers ?? []).some((poller) => {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < LIVE_POLLER_WINDOW_MS;
    });
  }

  /** A task whose start delay has not passed, from Temporal alone (see `delayed-start.ts`). */
  private async notStarted(taskId: string, handle: WorkflowHandle): Promise<TaskSnapshot> {
    return notStartedSnapshot(this.options.client(), this.options.namespace, taskId, await handle.describe());
  }

  /** A closed task's final state without a worker: the workflow's result, or its failure. */
  private async closedTaskStatus(taskId: string, handle: WorkflowHandle): Promise<TaskStatusSnapshot> {
    const description = await handle.describe();
    const memo = description.memo ?? {};
    const agentName = typeof memo.agentName === 'string' ? memo.agentName : '';
    const base: TaskStatusSnapshot = {
      taskId,
      agentName,
      ...(typeof memo.tenantId === 'string' ? { tenantId: memo.tenantId } : {}),
      ...(typeof memo.userId === 'string' ? { userId: memo.userId } : {}),
      status: TaskStatus.Completed,
      messageCount: 0,
      subTasks: [],
      usage: { promptTokens: 0, completionTokens: 0 },
      pendingApprovals: [],
      approvals: [],
      lastEventSeq: 0,
      createdAt: description.startTime.toISOString(),
      updatedAt: (description.closeTime ?? description.startTime).toISOString(),
    };
    try {
      const result = (await handle.result()) as AgentWorkflowResult;
      return { ...base, status: result.status, result: result.result, ...(result.output !== undefined ? { output: result.output } : {}), usage: result.usage };
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
      if (description.status.name === 'CANCELLED') {
        return { ...base, status: TaskStatus.Cancelled, cancelReason: cause?.message || 'Cancelled' };
      }
      // A task that failed its output schema keeps the answer and the issues in the failure's details.
      const outputError = errorFromFailure(error, { taskId });
      const outputFailure = OutputValidationError.isInstance(outputError)
        ? { outputFailure: { rawAnswer: outputError.rawAnswer, issues: [...outputError.issues] } }
        : {};
      // …and a task stuck detection stopped, what it found.
      const stuckFailure = AgentStuckError.isInstance(outputError)
        ? {
            stuckFailure: {
              reason: outputError.reason,
              toolName: outputError.toolName,
              repeats: outputError.repeats,
              ...(outputError.escalation ? { escalation: outputError.escalation } : {}),
            },
          }
        : {};
      return {
        ...base,
        status: TaskStatus.Failed,
        error: cause?.message ?? `Its workflow is ${description.status.name.toLowerCase()}.`,
        ...outputFailure,
        ...stuckFailure,
      };
    }
  }
}

/** The workflow has no handler for this query (a worker of an older zap-agents). */
function isUnknownQuery(error: unknown): boolean {
  return error instanceof Error && /did not register a handler|unknown query|QueryNotRegistered/i.test(error.message);
}

/** The Temporal status name of the task's latest run (`RUNNING`, `COMPLETED`, …), or undefined if it does not exist. */
export async function describeWorkflowStatus(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    return (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
