import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.TaskClosed;

/** Options of {@link TaskClosedError}. */
export interface TaskClosedErrorOptions {
  taskId: string;
  /** Why the task takes no more messages, e.g. `it is failed`; ends the default message. */
  reason: string;
  /** @default "Task '<taskId>' is closed: <reason>" */
  message?: string;
  cause?: unknown;
}

/** The task exists but has ended (failed, cancelled, or idle past its timeout): it takes no more messages. */
export class TaskClosedError extends ZapError {
  readonly taskId: string;
  readonly reason: string;

  constructor({ taskId, reason, message, cause }: TaskClosedErrorOptions) {
    super({ code: CODE, message: message ?? `Task '${taskId}' is closed: ${reason}`, cause });
    this.taskId = taskId;
    this.reason = reason;
  }

  static override isInstance(error: unknown): error is TaskClosedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
