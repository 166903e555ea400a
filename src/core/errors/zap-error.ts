const ZAP_ERROR_MARKER = Symbol.for('zap-agents.error');

/** Options of {@link ZapError}. */
export interface ZapErrorOptions {
  /** Stable machine-readable identifier, one of `FailureType` (`failure-types.ts`). */
  code: string;
  message: string;
  /** The error this one reports, when there is one. */
  cause?: unknown;
}

/**
 * Base class of every error zap-agents throws. `code` is a stable string that also becomes the
 * `type` of the `ApplicationFailure` when the error crosses an activity boundary, so workflows
 * and callers branch on `code`, never on `instanceof` across process boundaries.
 */
export class ZapError extends Error {
  readonly [ZAP_ERROR_MARKER] = true;
  /** Stable machine-readable identifier, e.g. `TASK_NOT_FOUND`. */
  readonly code: string;

  constructor(options: ZapErrorOptions) {
    // No own `cause` property when there is none, as with a plain `new Error(message)`.
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.name = new.target.name;
  }

  /** True for any zap-agents error, even one created by another copy of the package. */
  static isInstance(error: unknown): error is ZapError {
    return typeof error === 'object' && error !== null && ZAP_ERROR_MARKER in error;
  }
}
