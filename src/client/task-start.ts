import type { ZapAgent } from '../agent/zap-agent';
import type { ApprovalRules } from '../core/approval-rules';
import type { JsonValue } from '../core/json';
import type { MessageContent } from '../core/messages';
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
}

/** The workflow input of a new task: the agent's settings snapshot and the Zap's task settings. */
export function buildTaskInput<TContext>(parts: TaskInputParts<TContext>): AgentWorkflowInput {
  const { options, agent, taskId, content, context, approvalRules } = parts;
  return {
    schemaVersion: TASK_STATE_SCHEMA_VERSION,
    taskId,
    agent: agent.taskSettings(context as TContext),
    message: content,
    context,
    approvalRules: approvalRules?.toSpec(),
    idleTimeoutMs: options.idleTimeoutMs,
    eventLogLimit: options.eventLogLimit,
    inlineMessageBytes: options.inlineMessageBytes,
    continueAsNewAfterEvents: options.continueAsNewAfterEvents,
    createdAt: new Date().toISOString(),
  };
}

/** What a task looks like the moment it is started, before its workflow has run. */
export function startedTaskSnapshot(input: AgentWorkflowInput, agentName: string): TaskSnapshot {
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
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
  };
}
