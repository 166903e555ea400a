/**
 * True when a query was refused because the workflow has not started running: a workflow started
 * with a start delay (`executeTask({ startAt | startDelay })`) has no workflow task until the delay
 * has passed, and Temporal answers its queries with FAILED_PRECONDITION ("Workflow task is not
 * scheduled yet") at once. Pure: looks at `code` and messages along the `cause` chain.
 */
export function isNotStartedQueryError(error: unknown): boolean {
  let failedPrecondition = false;
  let notScheduled = false;
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const { code, details, message } = current as { code?: unknown; details?: unknown; message?: unknown };
    if (code === 9) failedPrecondition = true;
    if ([details, message].some((text) => typeof text === 'string' && /workflow task is not scheduled yet/i.test(text))) notScheduled = true;
    current = (current as { cause?: unknown }).cause;
  }
  return failedPrecondition && notScheduled;
}
