import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ScheduleAlreadyExists;

/** Options of {@link ScheduleAlreadyExistsError}. */
export interface ScheduleAlreadyExistsErrorOptions {
  scheduleId: string;
  /** @default "A schedule with id '<scheduleId>' exists already; update it, or delete it first." */
  message?: string;
  cause?: unknown;
}

/** `zap.schedules.create` was given the id of a schedule that exists (nothing was changed). */
export class ScheduleAlreadyExistsError extends ZapError {
  readonly scheduleId: string;

  constructor({ scheduleId, message, cause }: ScheduleAlreadyExistsErrorOptions) {
    super({ code: CODE, message: message ?? `A schedule with id '${scheduleId}' exists already; update it, or delete it first.`, cause });
    this.scheduleId = scheduleId;
  }

  static override isInstance(error: unknown): error is ScheduleAlreadyExistsError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
