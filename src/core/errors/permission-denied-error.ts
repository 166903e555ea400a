import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PermissionDenied;

/** Options of {@link PermissionDeniedError}. */
export interface PermissionDeniedErrorOptions {
  /** The operation refused, e.g. `approve`. */
  operation: string;
  /** The task whose approvals a refused decision was about. @default undefined */
  taskId?: string;
  /** Approvals the caller may not decide (the Zap's `authorize` hook refused them). @default [] */
  approvalIds?: readonly string[];
  /** @default "Not allowed to <operation>." */
  message?: string;
  cause?: unknown;
}

/**
 * The caller may not run this operation: its principal lacks the role (`start`, `approve`,
 * `read`), the Zap's `authorize` hook refused the approver (`approvalIds` names the approvals), or
 * it is a model deciding an approval of its own task. A task of another tenant is never reported
 * this way (that is `TaskNotFoundError`, so ids do not leak).
 */
export class PermissionDeniedError extends ZapError {
  readonly operation: string;
  /** The task of the refused approvals, when a decision was refused. */
  readonly taskId: string | undefined;
  /** The approvals the caller may not decide (empty when the refusal is not about approvals). */
  readonly approvalIds: readonly string[];

  constructor({ operation, taskId, approvalIds, message, cause }: PermissionDeniedErrorOptions) {
    super({ code: CODE, message: message ?? `Not allowed to ${operation}.`, cause });
    this.operation = operation;
    this.taskId = taskId;
    this.approvalIds = Object.freeze([...(approvalIds ?? [])]);
  }

  static override isInstance(error: unknown): error is PermissionDeniedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
