import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApprovalNotFoundError, TaskNotFoundError } from '../core/errors';
import { decideApprovalUpdate, type DecideApprovalInput, type DecideApprovalResult } from '../workflows/definitions';
import { errorFromFailure } from './error-from-failure';
import { describeWorkflowStatus } from './task-reader';

/**
 * Records a human decision on a pending approval (a Temporal update with a validator). The
 * validator refuses unknown ids and malformed decisions before anything is recorded; both
 * become typed errors here. Deciding twice returns the decision that holds.
 */
export async function decideApproval(client: Client, taskId: string, input: DecideApprovalInput): Promise<DecideApprovalResult> {
  const handle = client.workflow.getHandle(taskId);
  try {
    return await handle.executeUpdate(decideApprovalUpdate, { args: [input] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      // APPROVAL_NOT_FOUND → ApprovalNotFoundError, INVALID_DECISION → ZapValidationError.
      const mapped = errorFromFailure(error, { taskId, approvalId: input.approvalId });
      if (mapped) throw mapped;
    }
    if (error instanceof WorkflowNotFoundError) {
      if ((await describeWorkflowStatus(handle)) === undefined) throw new TaskNotFoundError({ taskId, cause: error });
      throw new ApprovalNotFoundError({ approvalId: input.approvalId, taskId });
    }
    throw error;
  }
}
