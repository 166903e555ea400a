import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../core/failure-types';

/**
 * A readable sentence for an activity failure: the innermost application message (what the
 * provider or tool said), or which timeout fired.
 */
export function describeFailure(failure: ActivityFailure): string {
  const cause = failure.cause;
  if (cause instanceof ApplicationFailure) return cause.message;
  if (cause instanceof TimeoutFailure) {
    return `${failure.activityType} timed out (${timeoutName(cause.timeoutType)} timeout)`;
  }
  return cause?.message ?? failure.message;
}

function timeoutName(timeoutType: TimeoutFailure['timeoutType']): string {
  return (timeoutType ?? 'unspecified').toLowerCase().replace(/_/g, '-');
}

/**
 * What an attempt of an at-most-once call threw: `callToolAtMostOnce` and
 * `invokeModelWithinBudget` wrap it in a failure that Temporal does not retry (see
 * `FailureType.AtMostOnceAttempt`); other activities throw it as it is.
 */
export function attemptFailure(cause: Error | undefined): Error | undefined {
  if (cause instanceof ApplicationFailure && cause.type === FailureType.AtMostOnceAttempt && cause.cause instanceof ApplicationFailure) {
    return cause.cause;
  }
  return cause;
}
