import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PermissionDenied;

/** Options of {@link PermissionDeniedError}. */
export interface PermissionDeniedErrorOptions {
  /** The operation refused, e.g. `approve`. */
  operation: string;
  /** @default "Not allowed to <operation>." */
  message?: string;
  cause?: unknown;
}

/**
 * The caller may not run this operation: its principal lacks the role (`start`, `approve`,
 * `read`), or it is a model deciding an approval of its own task. A task of another tenant is
 * never reported this way (that is `TaskNotFoundError`, so ids do not leak).
 */
export class PermissionDeniedError extends ZapError {
  readonly operation: string;

  constructor({ operation, message, cause }: PermissionDeniedErrorOptions) {
    super({ code: CODE, message: message ?? `Not allowed to ${operation}.`, cause });
    this.operation = operation;
  }

  static override isInstance(error: unknown): error is PermissionDeniedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
