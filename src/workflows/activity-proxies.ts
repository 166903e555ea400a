import { proxyActivities } from '@temporalio/workflow';
import type { ZapActivities } from '../core/activity-contracts';
import type { AgentTaskSettings } from '../core/agent-settings';

/** The activity stubs of one task, with its agent's timeouts and retry policies. */
export interface TaskActivities {
  model: ZapActivities;
  tools: ZapActivities;
  /** One attempt per activity: for tools whose calls must not be repeated blindly. */
  singleAttemptTools: ZapActivities;
  /** One attempt per activity: model calls of a task with a budget (the workflow retries them and charges each attempt). */
  singleAttemptModel: ZapActivities;
}

export function createTaskActivities(agent: AgentTaskSettings): TaskActivities {
  return {
    model: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      ...(agent.llmDeadlineMs !== undefined ? { scheduleToCloseTimeout: agent.llmDeadlineMs } : {}),
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: agent.llmRetry,
    }),
    tools: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: agent.toolRetry,
    }),
    singleAttemptModel: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: { maximumAttempts: 1 },
    }),
    singleAttemptTools: proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: { maximumAttempts: 1 },
    }),
  };
}
