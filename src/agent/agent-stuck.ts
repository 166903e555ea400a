import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { StuckPolicy, StuckSettings } from '../core/agent-settings';
import {
  DEFAULT_STUCK_ESCALATION_TIMEOUT,
  DEFAULT_STUCK_POLICY,
  DEFAULT_STUCK_THRESHOLD,
  MAX_STUCK_THRESHOLD,
  MIN_STUCK_THRESHOLD,
} from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';

export type { StuckPolicy } from '../core/agent-settings';

/**
 * Stuck detection of an agent (`ZapAgent({ stuck })`). An agent is stuck when, for `threshold`
 * consecutive iterations of one request, it makes the same tool call (same tool, same arguments
 * as canonical JSON: key order does not matter), or its tool calls return exactly the same
 * results as in the previous iteration (same tools, same result texts, in any order). Reaching
 * `maxIterations` counts too (a `stuck` event, then the task fails as before). `wait_for_event`
 * calls are not counted. A `stuck` event is emitted in every case.
 */
export interface StuckDetectionOptions {
  /**
   * Consecutive iterations that count as stuck (2–100).
   * @default 3
   */
  threshold?: number;
  /**
   * `stop`: the task fails with `AgentStuckError`. `retry`: the model is told (as a user message)
   * that it repeats itself and goes on, once per request; stuck again, the task stops. `escalate`:
   * the task waits for a human through an approval (`kind: 'stuck'`): approve to go on (the
   * approval's `reason`, if any, reaches the model as guidance), reject to stop; nobody deciding
   * within `escalationTimeout` stops it too.
   * @default 'stop'
   */
  policy?: StuckPolicy;
  /**
   * How long an escalation waits for a decision.
   * @default '24 hours'
   */
  escalationTimeout?: Duration;
}

const POLICIES: readonly StuckPolicy[] = ['stop', 'retry', 'escalate'];

/** Validates an agent's `stuck` option; `false` turns detection off (undefined gets the defaults). */
export function compileStuckOptions(options: StuckDetectionOptions | false | undefined, where: string): StuckSettings | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ZapConfigurationError({ message: `${where}: stuck must be an object ({ threshold, policy, escalationTimeout }) or false.` });
  }
  const threshold = options?.threshold ?? DEFAULT_STUCK_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < MIN_STUCK_THRESHOLD || threshold > MAX_STUCK_THRESHOLD) {
    throw new ZapConfigurationError({
      message: `${where}: stuck.threshold must be an integer from ${MIN_STUCK_THRESHOLD} to ${MAX_STUCK_THRESHOLD}.`,
    });
  }
  const policy = options?.policy ?? DEFAULT_STUCK_POLICY;
  if (!POLICIES.includes(policy)) {
    throw new ZapConfigurationError({ message: `${where}: stuck.policy must be one of ${POLICIES.join(', ')}.` });
  }
  const timeout = options?.escalationTimeout ?? DEFAULT_STUCK_ESCALATION_TIMEOUT;
  let escalationTimeoutMs: number;
  try {
    escalationTimeoutMs = msToNumber(timeout);
  } catch (error) {
    throw new ZapConfigurationError({ message: `${where}: stuck.escalationTimeout ${JSON.stringify(timeout)} is not a duration.`, cause: error });
  }
  if (!Number.isFinite(escalationTimeoutMs) || escalationTimeoutMs <= 0) {
    throw new ZapConfigurationError({ message: `${where}: stuck.escalationTimeout must be a positive duration.` });
  }
  return { threshold, policy, escalationTimeoutMs };
}
