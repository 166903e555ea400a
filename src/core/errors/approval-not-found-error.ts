import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ApprovalNotFound;

/** Options of {@link ApprovalNotFoundError}: the unknown id, or (a batch) every unknown id. */
export type ApprovalNotFoundErrorOptions = (
  | { approvalId: string; approvalIds?: readonly string[] }
  | { approvalId?: string; approvalIds: readonly [string, ...string[]] }
) & {
  taskId: string;
  /**
   * @default "Approval '<approvalId>' is not pending on task '<taskId>'." (several ids:
   *   "Approvals 'a', 'b' are not known to task '<taskId>'; no decision of the batch was applied.")
   */
  message?: string;
  cause?: unknown;
};

/** The approval id (or, for a batch decision, some of the ids) is unknown to the task. */
export class ApprovalNotFoundError extends ZapError {
  /** The first unknown id. */
  readonly approvalId: string;
  /** Every unknown id (for a single decision, that one id). */
  readonly approvalIds: readonly string[];
  readonly taskId: string;

  constructor({ approvalId, approvalIds, taskId, message, cause }: ApprovalNotFoundErrorOptions) {
    const ids = approvalIds && approvalIds.length > 0 ? [...approvalIds] : [approvalId as string];
    super({ code: CODE, message: message ?? defaultMessage(ids, taskId), cause });
    this.approvalId = approvalId ?? (ids[0] as string);
    this.approvalIds = Object.freeze(ids);
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is ApprovalNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}

function defaultMessage(ids: readonly string[], taskId: string): string {
  if (ids.length === 1) return `Approval '${ids[0]}' is not pending on task '${taskId}'.`;
  return `Approvals ${ids.map((id) => `'${id}'`).join(', ')} are not known to task '${taskId}'; no decision of the batch was applied.`;
}
