import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApprovalNotFoundError, TaskNotFoundError, ZapValidationError } from '../core/errors';
import {
  decideApprovalsUpdate,
  type BatchApprovalDecision,
  decideApprovalUpdate,
  type DecideApprovalInput,
  type DecideApprovalResult,
  type DecideApprovalsInput,
  type DecideApprovalsResult,
} from '../workflows/definitions';
import { isStartDelayed } from './delayed-start';
import { errorFromFailure } from './error-from-failure';
import { describeWorkflowStatus } from './task-reader';

/**
 * Records a human decision on a pending approval (a Temporal update with a validator). The
 * validator refuses unknown ids and malformed decisions before anything is recorded; both
 * become typed errors here. Deciding twice returns the decision that holds.
 */
export async function decideApproval(client: Client, taskId: string, input: DecideApprovalInput): Promise<DecideApprovalResult> {
  const handle = client.workflow.getHandle(taskId);
  if (await startIsDelayed(handle, taskId)) throw new ApprovalNotFoundError({ approvalId: input.approvalId, taskId });
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

/**
 * Records several decisions on one task in one update, atomically: the validator checks every id
 * and decision before any is applied, and refuses the whole batch (`ApprovalNotFoundError` with
 * every unknown id in `approvalIds`, `ZapValidationError` for a malformed decision).
 */
export async function decideApprovals(client: Client, taskId: string, input: DecideApprovalsInput): Promise<DecideApprovalsResult> {
  const handle = client.workflow.getHandle(taskId);
  if (await startIsDelayed(handle, taskId)) {
    throw new ApprovalNotFoundError({ approvalIds: Object.keys(input.decisions) as [string, ...string[]], taskId });
  }
  try {
    return await handle.executeUpdate(decideApprovalsUpdate, { args: [input] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const mapped = errorFromFailure(error, { taskId });
      if (mapped) throw mapped;
    }
    if (error instanceof WorkflowNotFoundError) {
      if ((await describeWorkflowStatus(handle)) === undefined) throw new TaskNotFoundError({ taskId, cause: error });
      // A closed task decides nothing: every id of the batch is unknown to it.
      throw new ApprovalNotFoundError({ approvalIds: Object.keys(input.decisions) as [string, ...string[]], taskId });
    }
    throw error;
  }
}

/**
 * True while the task's start is still delayed (`startAt` / `startDelay`): nothing can be pending
 * yet, and an update would make Temporal start the workflow at once, so a decision is refused
 * without being sent (as `sendEvent` refuses an event). `TaskNotFoundError` for an unknown task.
 */
async function startIsDelayed(handle: WorkflowHandle, taskId: string): Promise<boolean> {
  try {
    return isStartDelayed(await handle.describe());
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
    throw error;
  }
}

/**
 * A batch of decisions checked on the client, before anything is read or sent: at least one, each
 * `approve` or `reject` with an optional string reason (`ZapValidationError` naming the ids
 * otherwise). Returns a copy with only those fields.
 */
export function validateBatchDecisions(decisions: unknown): Record<string, BatchApprovalDecision> {
  if (typeof decisions !== 'object' || decisions === null || Array.isArray(decisions) || Object.keys(decisions).length === 0) {
    throw new ZapValidationError({ message: 'decideApprovals needs at least one decision: { [approvalId]: { decision, reason? } }.' });
  }
  const batch: Record<string, BatchApprovalDecision> = {};
  const malformed: string[] = [];
  for (const [approvalId, entry] of Object.entries(decisions as Record<string, unknown>)) {
    const { decision, reason } = (typeof entry === 'object' && entry !== null ? entry : {}) as { decision?: unknown; reason?: unknown };
    if (approvalId === '' || (decision !== 'approve' && decision !== 'reject') || (reason !== undefined && typeof reason !== 'string')) {
      malformed.push(approvalId);
      continue;
    }
    batch[approvalId] = { decision, ...(reason !== undefined ? { reason } : {}) };
  }
  if (malformed.length > 0) {
    throw new ZapValidationError({
      message: `Decisions for ${malformed.map((id) => `'${id}'`).join(', ')} need decision 'approve' or 'reject' (and a string reason, if any).`,
    });
  }
  return batch;
}
