import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ApprovalTimedOut;

/** Options of {@link ApprovalTimedOutError}. */
export interface ApprovalTimedOutErrorOptions {
  approvalId: string;
  /** The gated tool. */
  toolName: string;
  /** How long the approval waited in all (both waits when it was escalated first), in milliseconds. */
  waitedMs: number;
  /** The task, when known. @default undefined */
  taskId?: string;
  /** True when the approval had been escalated before it timed out. @default false */
  escalated?: boolean;
  /** @default "Approval '<approvalId>' of <toolName> got no decision within <waited>; its rules say onTimeout: 'fail'." */
  message?: string;
  cause?: unknown;
}

/**
 * A gated tool call got no decision in time and its approval rules say `onTimeout: 'fail'` (or
 * `escalation.then: 'fail'`): the task failed instead of telling the model. It keeps its
 * conversation, so `zap.retryTask` or a follow-up takes it up again.
 *
 * Inside Temporal it travels as an `ApplicationFailure` of type `APPROVAL_TIMED_OUT` whose first
 * details object holds `approvalId`, `toolName`, `waitedMs`, `taskId` and `escalated`.
 *
 * @example
 * ```ts
 * if (ApprovalTimedOutError.isInstance(task.error)) console.log(`${task.error.toolName} was never decided`);
 * ```
 */
export class ApprovalTimedOutError extends ZapError {
  readonly approvalId: string;
  readonly toolName: string;
  readonly waitedMs: number;
  readonly taskId: string | undefined;
  readonly escalated: boolean;

  constructor({ approvalId, toolName, waitedMs, taskId, escalated, message, cause }: ApprovalTimedOutErrorOptions) {
    super({
      code: CODE,
      message: message ?? `Approval '${approvalId}' of ${toolName} got no decision within ${Math.round(waitedMs / 1000)} s; its rules say onTimeout: 'fail'.`,
      cause,
    });
    this.approvalId = approvalId;
    this.toolName = toolName;
    this.waitedMs = waitedMs;
    this.taskId = taskId;
    this.escalated = escalated ?? false;
  }

  static override isInstance(error: unknown): error is ApprovalTimedOutError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
