import type { CompiledOutputSchema } from '../agent/agent-output';
import type { ZapAgent } from '../agent/zap-agent';
import { mergeApprovalRuleSpecs, type ApprovalRules } from '../core/approval-rules';
import { mergeBudgetSpecs, type BudgetSpec } from '../core/budget';
import { ModelPriceUnknownError } from '../core/errors';
import type { JsonValue } from '../core/json';
import type { MessageContent } from '../core/messages';
import type { SearchAttributePair } from '@temporalio/common';
import { taskMemo, taskSearchAttributes } from '../core/search-attributes';
import type { TaskSnapshot } from '../core/task-snapshot';
import { TASK_STATE_SCHEMA_VERSION, type AgentWorkflowInput } from '../core/task-state';
import { TaskStatus } from '../core/task-status';
import type { CompiledZapOptions } from './zap-options';

/** What a new task's workflow input is made of. */
export interface TaskInputParts<TContext> {
  options: CompiledZapOptions<TContext>;
  agent: ZapAgent<TContext>;
  taskId: string;
  content: MessageContent;
  context: JsonValue | undefined;
  approvalRules: ApprovalRules | undefined;
  tenantId: string | undefined;
  userId: string | undefined;
  /** True when the namespace has the zap-agents search attributes (the workflow then upserts `ZapStatus`). */
  searchAttributes: boolean;
  /** The task's own output schema (`outputSchema`), winning over the agent's `output`. */
  outputSchema?: CompiledOutputSchema;
  /** The task's own budget, over the agent's default one. */
  budget?: BudgetSpec;
}

/** The workflow input of a new task: the agent's settings snapshot and the Zap's task settings. */
export function buildTaskInput<TContext>(parts: TaskInputParts<TContext>): AgentWorkflowInput {
  const { options, agent, taskId, content, context, approvalRules, tenantId, userId, searchAttributes } = parts;
  const budget = mergeBudgetSpecs(agent.budget, parts.budget);
  // A USD budget needs the model's price: refused before anything starts, not at the first call.
  if (budget?.limits.nanoUsd !== undefined && !options.prices.resolve(agent.model)) {
    throw new ModelPriceUnknownError({ model: agent.model, agentName: agent.name });
  }
  return {
    schemaVersion: TASK_STATE_SCHEMA_VERSION,
    taskId,
    agent: agent.taskSettings(context as TContext, parts.outputSchema),
    message: content,
    context,
    approvalRules: mergeApprovalRuleSpecs(agent.approvalRules?.toSpec(agent.name), approvalRules?.toSpec()),
    idleTimeoutMs: options.idleTimeoutMs,
    eventLogLimit: options.eventLogLimit,
    inlineMessageBytes: options.inlineMessageBytes,
    continueAsNewAfterEvents: options.continueAsNewAfterEvents,
    ...(options.historyHardStopEvents === undefined ? {} : { historyHardStopEvents: options.historyHardStopEvents }),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    searchAttributes,
    ...(budget ? { budget } : {}),
    createdAt: new Date().toISOString(),
  };
}

/**
 * The memo and (when the namespace has them) search attributes a task's workflow starts with:
 * agent, tenant, user and creation time in the memo; agent, `status`, tenant, user and parent as
 * search attributes. What `listTasks` and the tenant check read, with no worker.
 */
export function taskStartAttributes(
  input: AgentWorkflowInput,
  status: TaskStatus,
): { memo: Record<string, string>; typedSearchAttributes?: SearchAttributePair[] } {
  const { agent, tenantId, userId, parentTaskId, createdAt } = input;
  const memo = taskMemo({ agentName: agent.agentName, tenantId, userId, createdAt });
  if (!input.searchAttributes) return { memo };
  return { memo, typedSearchAttributes: taskSearchAttributes({ agentName: agent.agentName, status, tenantId, userId, parentTaskId }) };
}

/**
 * What a task looks like the moment it is started, before its workflow has run; `startsAt` for a
 * task started with a start delay.
 */
export function startedTaskSnapshot(input: AgentWorkflowInput, agentName: string, startsAt?: string): TaskSnapshot {
  return {
    taskId: input.taskId,
    agentName,
    status: TaskStatus.Pending,
    history: [
      { role: 'system', content: input.agent.systemPrompt },
      { role: 'user', content: input.message },
    ],
    messageCount: 2,
    subTasks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    pendingApprovals: [],
    approvals: [],
    lastEventSeq: 0,
    ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }),
    ...(input.userId === undefined ? {} : { userId: input.userId }),
    ...(input.scheduleId === undefined ? {} : { scheduleId: input.scheduleId }),
    ...(startsAt === undefined ? {} : { startsAt }),
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
  };
}
