import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/activity-contracts';
import { ApprovalNotFoundError, TaskNotFoundError, ZapValidationError } from '../core/errors';
import { decideApprovalUpdate, type DecideApprovalInput, type DecideApprovalResult } from '../workflows/definitions';
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
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
      if (error.cause.type === FailureType.ApprovalNotFound) throw new ApprovalNotFoundError(input.approvalId, taskId);
      if (error.cause.type === FailureType.InvalidDecision) {
        throw new ZapValidationError(`Invalid decision for approval '${input.approvalId}' of task '${taskId}': ${error.cause.message}`);
      }
    }
    if (error instanceof WorkflowNotFoundError) {
      if ((await describeWorkflowStatus(handle)) === undefined) throw new TaskNotFoundError(taskId, { cause: error });
      throw new ApprovalNotFoundError(input.approvalId, taskId);
    }
    throw error;
  }
}
