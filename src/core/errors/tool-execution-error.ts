import { ZapError } from './zap-error';

const CODE = 'TOOL_EXECUTION';

/** A tool failed. Inside a task it becomes an error result the model sees. */
export class ToolExecutionError extends ZapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CODE, message, options);
  }

  static override isInstance(error: unknown): error is ToolExecutionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
