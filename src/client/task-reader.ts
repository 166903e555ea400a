import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TaskNotFoundError } from '../core/errors';
import type { TaskSnapshot } from '../core/task-snapshot';
import { getMessagesQuery, getTaskStateQuery } from '../workflows/definitions';

/**
 * Reads a task's state from its workflow: the state query, then the rest of a long conversation
 * in pages, so no query result nears Temporal's payload limits.
 */
export async function readTaskSnapshot(client: Client, taskId: string): Promise<TaskSnapshot> {
  try {
    const handle = client.workflow.getHandle(taskId);
    const snapshot = await handle.query(getTaskStateQuery);
    while (snapshot.history.length < snapshot.messageCount) {
      const page = await handle.query(getMessagesQuery, { from: snapshot.history.length, to: snapshot.messageCount });
      if (page.length === 0) break;
      snapshot.history.push(...page);
    }
    return snapshot;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
    throw error;
  }
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
