import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ApprovalNotFound;

/** Options of {@link ApprovalNotFoundError}. */
export interface ApprovalNotFoundErrorOptions {
  approvalId: string;
  taskId: string;
  /** @default "Approval '<approvalId>' is not pending on task '<taskId>'." */
  message?: string;
  cause?: unknown;
}

/** The approval id is unknown to the task. */
export class ApprovalNotFoundError extends ZapError {
  readonly approvalId: string;
  readonly taskId: string;

  constructor({ approvalId, taskId, message, cause }: ApprovalNotFoundErrorOptions) {
    super({ code: CODE, message: message ?? `Approval '${approvalId}' is not pending on task '${taskId}'.`, cause });
    this.approvalId = approvalId;
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is ApprovalNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
