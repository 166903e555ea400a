import type { AgentTaskSettings } from '../core/agent-settings';
import type { ApprovalRulesSpec } from '../core/approval-rules';
import type { BudgetSpec } from '../core/budget';
import type { JsonValue } from '../core/json';
import type { MessageContent } from '../core/messages';
import { taskMemo, taskSearchAttributes } from '../core/search-attributes';
import { TASK_STATE_SCHEMA_VERSION, type AgentWorkflowInput } from '../core/task-state';
import { TaskStatus } from '../core/task-status';

/** What a child agent task is started with: its agent, its request, and what it takes from the workflow that starts it. */
export interface SubTaskStartParts {
  subTaskId: string;
  /** The child's agent settings (resolved on a worker: `describeAgent`, `buildPipelineStep`). */
  agent: AgentTaskSettings;
  message: MessageContent;
  context: JsonValue | undefined;
  approvalRules: ApprovalRulesSpec | undefined;
  idleTimeoutMs: number;
  eventLogLimit: number;
  inlineMessageBytes: number | undefined;
  continueAsNewAfterEvents: number | undefined;
  historyHardStopEvents: number | undefined;
  /** The task (or pipeline run) that starts the child; the child reports to it. */
  parentTaskId: string;
  /** A child belongs to its parent's tenant and user. */
  tenantId: string | undefined;
  userId: string | undefined;
  /** True when the child starts with search attributes (and keeps `ZapStatus` up to date). */
  searchAttributes: boolean;
  /** ISO-8601. */
  createdAt: string;
  /** The child's budget: what its parent (task or pipeline run) reserved for it. @default none */
  budget?: BudgetSpec;
}

/**
 * The workflow id, input, memo and search attributes of a child agent task: one builder for the
 * sub-agents of `message_agent` and the agent steps of a pipeline run, so both start children the
 * same way. Pure; the caller adds its parent-close and cancellation policies.
 */
export function subTaskStartOptions(parts: SubTaskStartParts): {
  workflowId: string;
  args: [AgentWorkflowInput];
  memo: Record<string, string>;
  typedSearchAttributes?: ReturnType<typeof taskSearchAttributes>;
} {
  const { subTaskId, agent, tenantId, userId, searchAttributes, createdAt, parentTaskId } = parts;
  const input: AgentWorkflowInput = {
    schemaVersion: TASK_STATE_SCHEMA_VERSION,
    taskId: subTaskId,
    agent,
    message: parts.message,
    context: parts.context,
    approvalRules: parts.approvalRules,
    idleTimeoutMs: parts.idleTimeoutMs,
    eventLogLimit: parts.eventLogLimit,
    inlineMessageBytes: parts.inlineMessageBytes,
    continueAsNewAfterEvents: parts.continueAsNewAfterEvents,
    ...(parts.historyHardStopEvents === undefined ? {} : { historyHardStopEvents: parts.historyHardStopEvents }),
    parentTaskId,
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    ...(searchAttributes ? { searchAttributes } : {}),
    ...(parts.budget ? { budget: parts.budget } : {}),
    createdAt,
  };
  return {
    workflowId: subTaskId,
    args: [input],
    memo: taskMemo({ agentName: agent.agentName, tenantId, userId, createdAt }),
    ...(searchAttributes
      ? { typedSearchAttributes: taskSearchAttributes({ agentName: agent.agentName, status: TaskStatus.Pending, tenantId, userId, parentTaskId }) }
      : {}),
  };
}
