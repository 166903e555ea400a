import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ToolExecution;

/** Options of {@link ToolExecutionError}. */
export interface ToolExecutionErrorOptions {
  /** Name of the tool that failed. */
  toolName: string;
  /** The model's id of the call; omitted when the tool was called outside a task. */
  toolCallId?: string;
  /** @default "Tool <toolName> failed: <message of cause>" */
  message?: string;
  /** What the tool threw. */
  cause?: unknown;
  /** @default false */
  outcomeUnknown?: boolean;
}

/** A tool failed. Inside a task it becomes an error result the model sees. */
export class ToolExecutionError extends ZapError {
  /** Name of the tool that failed. */
  readonly toolName: string;
  /** The model's id of the call; undefined when the tool was called outside a task. */
  readonly toolCallId: string | undefined;
  /**
   * True when the call may or may not have taken effect (it timed out, or its server went away
   * mid-call). Tools that are not idempotent are not retried after such a failure.
   */
  readonly outcomeUnknown: boolean;

  constructor({ toolName, toolCallId, message, cause, outcomeUnknown = false }: ToolExecutionErrorOptions) {
    super({ code: CODE, message: message ?? `Tool ${toolName} failed: ${describeCause(cause)}`, cause });
    this.toolName = toolName;
    this.toolCallId = toolCallId;
    this.outcomeUnknown = outcomeUnknown;
  }

  static override isInstance(error: unknown): error is ToolExecutionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
