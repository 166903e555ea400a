import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CheckSubTaskInput, SubTaskCheck } from '../core/activity-contracts';

/** Workflow-task attempts after which a running sub-task counts as stuck (its code keeps failing). */
const STUCK_WORKFLOW_TASK_ATTEMPTS = 5;

/**
 * Builds the sub-task liveness check: a parent waiting on a child's answer asks now and then
 * whether the child can still give one (it may have been terminated by an operator, reset, killed
 * at Temporal's history limit, or be stuck in a failing workflow task).
 */
export function createCheckSubTask(client: Client) {
  return async function checkSubTask(input: CheckSubTaskInput): Promise<SubTaskCheck> {
    let description;
    try {
      // Aborted with the activity (worker shutdown, cancellation): no RPC outlives it.
      const { cancellationSignal } = Context.current();
      description = await client.withAbortSignal(cancellationSignal, () => client.workflow.getHandle(input.subTaskId).describe());
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { state: 'not_found' };
      throw error;
    }
    const status = description.status.name;
    if (status !== 'RUNNING') return { state: 'closed', detail: status.toLowerCase().replace(/_/g, ' ') };
    const attempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
    if (attempt >= STUCK_WORKFLOW_TASK_ATTEMPTS) {
      return { state: 'stuck', detail: `its workflow task has failed ${attempt - 1} times in a row` };
    }
    return { state: 'running' };
  };
}
