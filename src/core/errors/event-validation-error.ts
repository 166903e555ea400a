import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.EventValidation;

/** One problem with an event's data: a zod issue (`code`, `path`, `message`; zod's issues carry more fields). */
export interface EventValidationIssue {
  code: string;
  path: PropertyKey[];
  message: string;
}

/** Options of {@link EventValidationError}. */
export interface EventValidationErrorOptions {
  taskId: string;
  eventName: string;
  /** What is wrong with the data (zod issues). @default [] */
  issues?: readonly EventValidationIssue[];
  /** @default "Event '<eventName>' for task '<taskId>' has invalid data." */
  message?: string;
  cause?: unknown;
}

/**
 * The data sent with a named event does not match the schema its agent declares, is not JSON,
 * or is larger than an event may be. Nothing was delivered.
 */
export class EventValidationError extends ZapError {
  readonly taskId: string;
  readonly eventName: string;
  /** What is wrong with the data (zod issues; one `too_big` issue for data over the size limit). */
  readonly issues: readonly EventValidationIssue[];

  constructor({ taskId, eventName, issues = [], message, cause }: EventValidationErrorOptions) {
    super({ code: CODE, message: message ?? `Event '${eventName}' for task '${taskId}' has invalid data.`, cause });
    this.taskId = taskId;
    this.eventName = eventName;
    this.issues = issues;
  }

  static override isInstance(error: unknown): error is EventValidationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
