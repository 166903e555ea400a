import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

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
