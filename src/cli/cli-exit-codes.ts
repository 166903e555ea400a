import { isGrpcServiceError } from '@temporalio/client';
import { ZapError } from '../core/errors';
import { FailureType } from '../core/failure-types';
import type { WaitForTaskResult } from '../operations/operation-schemas';

/** The `zap` command's exit codes (documented in the README's CLI section). */
export const CliExitCode = {
  /** The command succeeded; for `wait` and `start --wait`, the task answered. */
  Ok: 0,
  /** The task failed, or an unexpected error. */
  Failed: 1,
  /** Bad usage: an unknown command or option, a missing argument, input the operation refuses. */
  BadUsage: 2,
  /** `wait` (or `start --wait`) timed out; the task goes on. */
  TimedOut: 3,
  /** The task was cancelled. */
  Cancelled: 4,
  /** No such task, approval, agent or schedule (or event name). */
  NotFound: 5,
  /** The principal may not run the operation. */
  PermissionDenied: 6,
  /** No worker polls the task queue, or Temporal cannot be reached. */
  Unavailable: 7,
} as const;

/** One of the {@link CliExitCode} values. */
export type CliExitCode = (typeof CliExitCode)[keyof typeof CliExitCode];

/** `error.code` of errors that are not `ZapError`s, as the CLI reports them. */
export const CliErrorCode = {
  /** Commander refused the command line. */
  Usage: 'USAGE',
  /** Temporal did not answer a request. */
  TemporalUnavailable: 'TEMPORAL_UNAVAILABLE',
  /** Anything else. */
  Unexpected: 'UNEXPECTED_ERROR',
} as const;

/** gRPC status UNAVAILABLE: the server went away between the connection and a request. */
const GRPC_UNAVAILABLE = 14;

const EXIT_CODE_BY_ERROR_CODE: ReadonlyMap<string, CliExitCode> = new Map<string, CliExitCode>([
  [CliErrorCode.Usage, CliExitCode.BadUsage],
  [FailureType.ZapValidation, CliExitCode.BadUsage],
  [FailureType.EventValidation, CliExitCode.BadUsage],
  [FailureType.InvalidDecision, CliExitCode.BadUsage],
  [FailureType.VisionNotSupported, CliExitCode.BadUsage],
  // A taken schedule id is input the operation refuses.
  [FailureType.ScheduleAlreadyExists, CliExitCode.BadUsage],
  [FailureType.TaskNotFound, CliExitCode.NotFound],
  [FailureType.ApprovalNotFound, CliExitCode.NotFound],
  [FailureType.AgentNotFound, CliExitCode.NotFound],
  [FailureType.UnknownEvent, CliExitCode.NotFound],
  [FailureType.ScheduleNotFound, CliExitCode.NotFound],
  [FailureType.PermissionDenied, CliExitCode.PermissionDenied],
  [FailureType.NoWorker, CliExitCode.Unavailable],
  [FailureType.ZapConnection, CliExitCode.Unavailable],
  [CliErrorCode.TemporalUnavailable, CliExitCode.Unavailable],
]);

/** What the CLI reports for an error: its stable code and message. */
export interface CliErrorReport {
  code: string;
  message: string;
}

/** The code and message the CLI prints for `error`. */
export function describeCliError(error: unknown): CliErrorReport {
  if (ZapError.isInstance(error)) return { code: error.code, message: error.message };
  const unavailable = findUnavailableCause(error);
  if (unavailable) {
    return { code: CliErrorCode.TemporalUnavailable, message: `Temporal is unavailable: ${unavailable.details || unavailable.message}` };
  }
  return { code: CliErrorCode.Unexpected, message: error instanceof Error ? error.message : String(error) };
}

/** The gRPC UNAVAILABLE error in `error`'s cause chain (Temporal wraps them in `ServiceError`s). */
function findUnavailableCause(error: unknown): { details?: string; message: string } | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 4; depth += 1) {
    if (isGrpcServiceError(current) && current.code === GRPC_UNAVAILABLE) return current;
    current = (current as { cause?: unknown } | null)?.cause;
  }
  return undefined;
}

/** The exit code for an error code (1 for codes not in the table). */
export function exitCodeOfError(code: string): CliExitCode {
  return EXIT_CODE_BY_ERROR_CODE.get(code) ?? CliExitCode.Failed;
}

/** The exit code of a finished wait. */
export function exitCodeOfOutcome(outcome: WaitForTaskResult['outcome']): CliExitCode {
  switch (outcome) {
    case 'completed':
      return CliExitCode.Ok;
    case 'failed':
      return CliExitCode.Failed;
    case 'timed_out':
      return CliExitCode.TimedOut;
    case 'cancelled':
      return CliExitCode.Cancelled;
  }
}
