import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.AgentStuck;

/** Options of {@link AgentStuckError}. */
export interface AgentStuckErrorOptions {
  /** `repeated_call`: the same tool call in consecutive iterations; `no_progress`: identical tool results in consecutive iterations. */
  reason: 'repeated_call' | 'no_progress';
  /** The repeated tool (for `no_progress`, the first tool of the last iteration). */
  toolName: string;
  /** Consecutive iterations of the repetition. */
  repeats: number;
  /** The stuck task, when known. @default undefined */
  taskId?: string;
  /** Its agent, when known. @default undefined */
  agentName?: string;
  /**
   * How the human decided when the agent escalated (`stuck.policy: 'escalate'`): `rejected`, or
   * `timed_out` when nobody decided in time. @default undefined (the policy stopped it)
   */
  escalation?: { decision: 'rejected' | 'timed_out'; reason?: string; decidedBy?: string };
  /** @default "Agent '<agentName>' is stuck: it called <toolName> with the same arguments <repeats> times in a row." (or the no-progress wording) */
  message?: string;
  cause?: unknown;
}

/**
 * A task's agent kept repeating itself: the same tool call with the same arguments, or tool calls
 * whose results did not change, for `stuck.threshold` consecutive iterations, and its stuck
 * policy stopped the task (`stop`; `retry` after its one nudge; `escalate` when the human
 * rejected or did not decide). The task is failed and keeps its conversation: `zap.retryTask`
 * or a follow-up takes it up again. Reaching `maxIterations` keeps its own failure type.
 *
 * Inside Temporal it travels as an `ApplicationFailure` of type `AGENT_STUCK` whose first details
 * object holds `reason`, `toolName`, `repeats`, `taskId`, `agentName` and `escalation`.
 *
 * @example
 * ```ts
 * if (AgentStuckError.isInstance(error)) console.log(`${error.toolName} repeated ${error.repeats} times`);
 * ```
 */
export class AgentStuckError extends ZapError {
  readonly reason: 'repeated_call' | 'no_progress';
  readonly toolName: string;
  readonly repeats: number;
  readonly taskId: string | undefined;
  readonly agentName: string | undefined;
  /** The human decision that stopped an escalated task, if it was escalated. */
  readonly escalation: { decision: 'rejected' | 'timed_out'; reason?: string; decidedBy?: string } | undefined;

  constructor({ reason, toolName, repeats, taskId, agentName, escalation, message, cause }: AgentStuckErrorOptions) {
    const agent = agentName === undefined ? 'The agent' : `Agent '${agentName}'`;
    const what =
      reason === 'repeated_call'
        ? `it called ${toolName} with the same arguments ${repeats} times in a row`
        : `its last ${repeats} iterations of tool calls (${toolName}) returned the same results`;
    super({ code: CODE, message: message ?? `${agent} is stuck: ${what}.`, cause });
    this.reason = reason;
    this.toolName = toolName;
    this.repeats = repeats;
    this.taskId = taskId;
    this.agentName = agentName;
    this.escalation = escalation;
  }

  static override isInstance(error: unknown): error is AgentStuckError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
