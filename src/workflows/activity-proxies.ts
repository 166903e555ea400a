import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ToolHint, ZapActivities } from '../core/activity-contracts';
import type { AgentTaskSettings } from '../core/agent-settings';

/** The activity stubs of one task, with its agent's timeouts and retry policies. */
export interface TaskActivities {
  model: ZapActivities;
  tools: ZapActivities;
  /**
   * Local activities, for idempotent local tools that ask for them (`tool({ localActivity: true })`):
   * the tool timeout and retry policy, no heartbeats (a local activity has none).
   */
  localTools: ZapActivities;
  /** One attempt per activity: for tools whose calls must not be repeated blindly (before 0.3.0). */
  singleAttemptTools: ZapActivities;
  /**
   * `callToolAtMostOnce` with a second attempt that only reports the outcome unknown (0.3.0): for
   * tools whose calls must not be repeated blindly.
   */
  atMostOnceTools: ZapActivities;
  /** One attempt per activity: model calls of a task with a budget (the workflow retries them and charges each attempt; before 0.3.0). */
  singleAttemptModel: ZapActivities;
  /**
   * `invokeModelWithinBudget` with a second attempt that only reports the outcome unknown (0.3.0):
   * model calls of a task with a budget (the workflow retries them and charges each attempt).
   */
  budgetedModel: ZapActivities;
  /**
   * The tool stubs with another heartbeat timeout (a local tool's, see
   * {@link toolHeartbeatTimeoutMs}); the same stubs for the heartbeat timeout of model and MCP calls.
   */
  withToolHeartbeat(heartbeatTimeoutMs: number): ToolStubs;
}

/** The stubs of remote tool calls, which have a heartbeat timeout. */
type ToolStubs = Pick<TaskActivities, 'tools' | 'singleAttemptTools' | 'atMostOnceTools'>;

/**
 * The retry policy of `callToolAtMostOnce` and `invokeModelWithinBudget`: the first attempt's own failures are never retried
 * (the activity makes them non-retryable), so the second attempt follows only a timeout, and
 * starts soon after it (it only reports the outcome unknown).
 */
const AT_MOST_ONCE_RETRY = { maximumAttempts: 2, initialInterval: '100 milliseconds', backoffCoefficient: 1 } as const;

/**
 * The heartbeat timeout of a tool's calls: its own (`tool({ heartbeat })`), else the agent's
 * `toolHeartbeatTimeoutMs` for local tools, else (MCP tools, and every tool of results recorded
 * before 0.3.0, which have no `local`) the heartbeat timeout of model and MCP calls.
 */
export function toolHeartbeatTimeoutMs(agent: AgentTaskSettings, hint: ToolHint | undefined): number {
  if (hint?.local !== true) return agent.heartbeatTimeoutMs;
  return hint.heartbeatTimeoutMs ?? agent.toolHeartbeatTimeoutMs ?? agent.heartbeatTimeoutMs;
}

export function createTaskActivities(agent: AgentTaskSettings): TaskActivities {
  // Heartbeat timeouts are activity options Temporal does not compare on replay: no patch.
  const toolStubs = (heartbeatTimeout: number): ToolStubs => ({
    tools: proxyActivities<ZapActivities>({ startToCloseTimeout: agent.toolTimeoutMs, heartbeatTimeout, retry: agent.toolRetry }),
    singleAttemptTools: proxyActivities<ZapActivities>({ startToCloseTimeout: agent.toolTimeoutMs, heartbeatTimeout, retry: { maximumAttempts: 1 } }),
    atMostOnceTools: proxyActivities<ZapActivities>({ startToCloseTimeout: agent.toolTimeoutMs, heartbeatTimeout, retry: AT_MOST_ONCE_RETRY }),
  });
  const byHeartbeat = new Map<number, ToolStubs>();
  const activities: TaskActivities = {
    model: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      ...(agent.llmDeadlineMs !== undefined ? { scheduleToCloseTimeout: agent.llmDeadlineMs } : {}),
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: agent.llmRetry,
    }),
    ...toolStubs(agent.heartbeatTimeoutMs),
    localTools: proxyLocalActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      retry: agent.toolRetry,
    }),
    singleAttemptModel: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: { maximumAttempts: 1 },
    }),
    budgetedModel: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: AT_MOST_ONCE_RETRY,
    }),
    withToolHeartbeat(heartbeatTimeoutMs) {
      if (heartbeatTimeoutMs === agent.heartbeatTimeoutMs) return activities;
      let stubs = byHeartbeat.get(heartbeatTimeoutMs);
      if (!stubs) {
        stubs = toolStubs(heartbeatTimeoutMs);
        byHeartbeat.set(heartbeatTimeoutMs, stubs);
      }
      return stubs;
    },
  };
  return activities;
}
