import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ScheduleNotFound;

/** Options of {@link ScheduleNotFoundError}. */
export interface ScheduleNotFoundErrorOptions {
  scheduleId: string;
  /** @default "Schedule '<scheduleId>' was not found." */
  message?: string;
  cause?: unknown;
}

/**
 * No schedule (`zap.schedules`) exists with this id: it was never created, it was deleted, it is
 * not a zap-agents schedule, or (with a scope) it belongs to another tenant or user.
 */
export class ScheduleNotFoundError extends ZapError {
  readonly scheduleId: string;

  constructor({ scheduleId, message, cause }: ScheduleNotFoundErrorOptions) {
    super({ code: CODE, message: message ?? `Schedule '${scheduleId}' was not found.`, cause });
    this.scheduleId = scheduleId;
  }

  static override isInstance(error: unknown): error is ScheduleNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
