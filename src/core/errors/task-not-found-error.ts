import { ZapError } from './zap-error';

const CODE = 'TASK_NOT_FOUND';

/** No task (Temporal workflow) exists with this id. */
export class TaskNotFoundError extends ZapError {
  readonly taskId: string;

  constructor(taskId: string, options?: { cause?: unknown }) {
    super(CODE, `Task '${taskId}' was not found.`, options);
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is TaskNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
