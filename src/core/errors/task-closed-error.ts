import { ZapError } from './zap-error';

const CODE = 'TASK_CLOSED';

/** The task exists but has ended (failed, cancelled, or idle past its timeout): it takes no more messages. */
export class TaskClosedError extends ZapError {
  readonly taskId: string;

  constructor(taskId: string, detail: string, options?: { cause?: unknown }) {
    super(CODE, `Task '${taskId}' is closed: ${detail}`, options);
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is TaskClosedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
