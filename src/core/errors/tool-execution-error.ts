import { ZapError } from './zap-error';

const CODE = 'TOOL_EXECUTION';

/** A tool failed. Inside a task it becomes an error result the model sees. */
export class ToolExecutionError extends ZapError {
  /**
   * True when the call may or may not have taken effect (it timed out, or its server went away
   * mid-call). Tools that are not idempotent are not retried after such a failure.
   */
  readonly outcomeUnknown: boolean;

  constructor(message: string, options?: { cause?: unknown; outcomeUnknown?: boolean }) {
    super(CODE, message, options);
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }

  static override isInstance(error: unknown): error is ToolExecutionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
