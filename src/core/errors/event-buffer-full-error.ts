import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.EventBufferFull;

/** Options of {@link EventBufferFullError}. */
export interface EventBufferFullErrorOptions {
  taskId: string;
  eventName: string;
  /** The bound that was reached, e.g. `100 events named 'email-verified'`. */
  limit: string;
  /** @default "Task '<taskId>' keeps no more events: <limit> are waiting for a wait_for_event call." */
  message?: string;
  cause?: unknown;
}

/**
 * The task already keeps as many undelivered named events as it may (per name, or in bytes): it
 * refused this one. Events are kept until a `wait_for_event` call takes them; send again once
 * the agent has waited for some.
 */
export class EventBufferFullError extends ZapError {
  readonly taskId: string;
  readonly eventName: string;
  /** The bound that was reached. */
  readonly limit: string;

  constructor({ taskId, eventName, limit, message, cause }: EventBufferFullErrorOptions) {
    super({
      code: CODE,
      message: message ?? `Task '${taskId}' keeps no more events: ${limit} are waiting for a wait_for_event call.`,
      cause,
    });
    this.taskId = taskId;
    this.eventName = eventName;
    this.limit = limit;
  }

  static override isInstance(error: unknown): error is EventBufferFullError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
