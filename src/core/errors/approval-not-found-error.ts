import { ZapError } from './zap-error';

const CODE = 'APPROVAL_NOT_FOUND';

/** The approval id is unknown to the task. */
export class ApprovalNotFoundError extends ZapError {
  readonly approvalId: string;

  constructor(approvalId: string, taskId: string) {
    super(CODE, `Approval '${approvalId}' is not pending on task '${taskId}'.`);
    this.approvalId = approvalId;
  }

  static override isInstance(error: unknown): error is ApprovalNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
