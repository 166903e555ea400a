import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.TaskNotFound;

/** Options of {@link TaskNotFoundError}. */
export interface TaskNotFoundErrorOptions {
  taskId: string;
  /** @default "Task '<taskId>' was not found." */
  message?: string;
  cause?: unknown;
}

/** No task (Temporal workflow) exists with this id. */
export class TaskNotFoundError extends ZapError {
  readonly taskId: string;

  constructor({ taskId, message, cause }: TaskNotFoundErrorOptions) {
    super({ code: CODE, message: message ?? `Task '${taskId}' was not found.`, cause });
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is TaskNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
