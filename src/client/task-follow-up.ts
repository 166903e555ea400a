import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ZapAgent } from '../agent/zap-agent';
import { TaskClosedError, ZapValidationError } from '../core/errors';
import type { MessageContent } from '../core/messages';
import { TaskStatus } from '../core/task-status';
import { followUpSignal } from '../workflows/definitions';
import { Task, type TaskOperations } from './task';
import type { TaskReader } from './task-reader';
import { assertVisionSupported } from './task-request';

/** What {@link sendFollowUp} needs from its Zap. */
export interface FollowUpDependencies {
  client: Client;
  reader: TaskReader;
  agents: ReadonlyMap<string, ZapAgent<any>>;
  /** Takes a failed task up again with the message (`zap.retryTask`). */
  retry(taskId: string, message: MessageContent): Promise<Task>;
  /** What the returned `Task` uses for its async helpers. */
  operations: TaskOperations;
}

/**
 * Sends a follow-up message to a task: one status read (is it open, is it a pipeline run, can its
 * model see images) and one signal. A failed task is taken up again with the message; a cancelled
 * one, or one closed after its idle timeout, is `TaskClosedError`. Returns the task as the signal
 * left it, without reading its conversation (`zap.getTask` does).
 */
export async function sendFollowUp(dependencies: FollowUpDependencies, taskId: string, content: MessageContent): Promise<Task> {
  const current = await dependencies.reader.status(taskId);
  if (current.pipeline) throw new ZapValidationError({ message: `Task '${taskId}' is a pipeline run; a run takes no follow-up messages.` });
  const agent = dependencies.agents.get(current.agentName);
  if (agent) assertVisionSupported(agent, content);
  // A failed task keeps its conversation: the follow-up takes it up again.
  if (current.status === TaskStatus.Failed) return dependencies.retry(taskId, content);
  if (current.status === TaskStatus.Cancelled) {
    throw new TaskClosedError({ taskId, reason: `it is ${current.status}` });
  }
  const handle = dependencies.client.workflow.getHandle(taskId);
  try {
    await handle.signal(followUpSignal, { content });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new TaskClosedError({ taskId, reason: 'it ended after its idle timeout; start a new task', cause: error });
    }
    throw error;
  }
  // The status read above, as the signal left it (a completed task is working again).
  const working = current.status === TaskStatus.Completed ? TaskStatus.Thinking : current.status;
  return new Task({ ...current, status: working, history: [] }, dependencies.operations);
}
