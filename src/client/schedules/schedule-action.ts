import type {
  ScheduleDescription as TemporalScheduleDescription,
  ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
  ScheduleSpec,
} from '@temporalio/client';
import type { ApprovalRulesSpec } from '../../core/approval-rules';
import { toUsd, type BudgetSpec, type TaskBudget } from '../../core/budget';
import { DEFAULT_SCHEDULE_TIMEZONE } from '../../core/defaults';
import { taskMemo, taskSearchAttributes } from '../../core/search-attributes';
import { upgradeWorkflowInput, type AgentWorkflowInput } from '../../core/task-state';
import { TaskStatus } from '../../core/task-status';
import type { agentWorkflow } from '../../workflows/agent-workflow';
import { AGENT_WORKFLOW_TYPE } from '../../workflows/definitions';
import type { TaskRequest } from '../task-request';
import { buildTaskInput } from '../task-start';
import type { CompiledZapOptions } from '../zap-options';
import type { ScheduleOverlap, ScheduleTiming } from './schedule-options';

/**
 * How a zap-agents schedule is stored in Temporal. The schedule's memo (fixed for its life) marks
 * it as ours and holds its owner, agent and task queue; its action starts an `agentWorkflow` whose
 * input is built like `executeTask`'s, under the schedule's id (Temporal appends each run's time),
 * with `taskIdFromWorkflowId` so each run takes that id as its task id. The action's memo becomes
 * each run's memo: the task memo (agent, owner) plus the schedule's id and what Temporal does not
 * give back (the cron expression as written, the caller's approval rules).
 * @module
 */

/** Memo key of the schedule's own record. */
const SCHEDULE_MEMO_KEY = 'zapAgentsSchedule';
/** Memo key (in each run's memo) of what the schedule needs to rebuild its action on an update. */
const DEFINITION_MEMO_KEY = 'scheduleDefinition';

/** The schedule's own memo: who owns it, which agent, which task queue. */
export interface ScheduleRecord {
  taskQueue: string;
  agentName: string;
  tenantId?: string;
  userId?: string;
}

/** What each run's memo keeps for updates. */
interface ScheduleDefinition {
  cron?: string;
  /** The caller's approval rules (the run's input holds them merged with the agent's). */
  approvalRules?: ApprovalRulesSpec;
  /** The caller's budget as given (the run's input holds it compiled and merged with the agent's). */
  budget?: TaskBudget;
}

/** A validated new-task request (`validateTaskRequest`) for the runs of a schedule. */
export type ScheduledTaskRequest<TContext> = Extract<TaskRequest<TContext>, { kind: 'new' }>;

/** What a schedule's run input is made of. */
export interface ScheduledTaskParts<TContext> {
  options: CompiledZapOptions<TContext>;
  scheduleId: string;
  request: ScheduledTaskRequest<TContext>;
  idleTimeoutMs: number;
  /** True when the namespace has the zap-agents search attributes. */
  searchAttributes: boolean;
}

/**
 * The workflow input of every run: `executeTask`'s input (same code, same agent snapshot), with
 * the schedule's idle timeout, and its task id and creation time left to each run.
 */
export function buildScheduledTaskInput<TContext>(parts: ScheduledTaskParts<TContext>): AgentWorkflowInput {
  const { options, scheduleId, request, idleTimeoutMs, searchAttributes } = parts;
  const input = buildTaskInput({
    options,
    agent: request.agent,
    taskId: scheduleId,
    content: request.content,
    context: request.context,
    approvalRules: request.approvalRules,
    tenantId: request.tenantId,
    userId: request.userId,
    searchAttributes,
    // Merged with the agent's default and checked against the model's price there, as for executeTask.
    budget: request.budget,
  });
  return { ...input, idleTimeoutMs, taskIdFromWorkflowId: true, scheduleId };
}

/** The schedule's memo. */
export function scheduleMemo(record: ScheduleRecord): Record<string, unknown> {
  return { [SCHEDULE_MEMO_KEY]: { ...record } };
}

/** The Temporal action that starts each run. */
export function scheduleAction(
  input: AgentWorkflowInput,
  parts: { taskQueue: string; timing: ScheduleTiming; callerApprovalRules: ApprovalRulesSpec | undefined; callerBudget?: TaskBudget },
): ScheduleOptionsStartWorkflowAction<typeof agentWorkflow> {
  const { agent, tenantId, userId } = input;
  const definition: ScheduleDefinition = {
    ...(parts.timing.cron !== undefined ? { cron: parts.timing.cron } : {}),
    ...(parts.callerApprovalRules ? { approvalRules: parts.callerApprovalRules } : {}),
    ...(parts.callerBudget ? { budget: parts.callerBudget } : {}),
  };
  return {
    type: 'startWorkflow',
    workflowType: AGENT_WORKFLOW_TYPE,
    taskQueue: parts.taskQueue,
    // Temporal appends each run's time: `<id>-2025-06-02T09:00:00Z`.
    workflowId: input.scheduleId,
    args: [input],
    // No `createdAt`: listing then reads each run's own start time.
    memo: { ...taskMemo({ agentName: agent.agentName, tenantId, userId }), scheduleId: input.scheduleId, [DEFINITION_MEMO_KEY]: definition },
    ...(input.searchAttributes
      ? { typedSearchAttributes: taskSearchAttributes({ agentName: agent.agentName, status: TaskStatus.Pending, tenantId, userId }) }
      : {}),
  };
}

/** The Temporal spec of a timing. */
export function scheduleSpec(timing: ScheduleTiming): ScheduleSpec {
  return {
    ...(timing.cron !== undefined ? { cronExpressions: [timing.cron] } : { intervals: [{ every: timing.everyMs! }] }),
    timezone: timing.timezone,
    jitter: timing.jitterMs,
  };
}

/** The Temporal policies of a timing. */
export function schedulePolicies(timing: ScheduleTiming): { overlap: ScheduleOverlapPolicy; catchupWindow: number } {
  return { overlap: toTemporalOverlap(timing.overlap), catchupWindow: timing.catchupWindowMs };
}

const TEMPORAL_OVERLAP: Record<ScheduleOverlap, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  bufferOne: 'BUFFER_ONE',
  bufferAll: 'BUFFER_ALL',
  cancelOther: 'CANCEL_OTHER',
  terminateOther: 'TERMINATE_OTHER',
  allowAll: 'ALLOW_ALL',
};

/** Temporal's name of an overlap policy. */
export function toTemporalOverlap(overlap: ScheduleOverlap): ScheduleOverlapPolicy {
  return TEMPORAL_OVERLAP[overlap];
}

function fromTemporalOverlap(policy: ScheduleOverlapPolicy | undefined): ScheduleOverlap {
  const entry = Object.entries(TEMPORAL_OVERLAP).find(([, temporal]) => temporal === policy);
  return (entry?.[0] as ScheduleOverlap | undefined) ?? 'skip';
}

/** A zap-agents schedule as read back from Temporal. */
export interface StoredSchedule {
  record: ScheduleRecord;
  /** The runs' workflow input (upgraded). */
  input: AgentWorkflowInput;
  timing: ScheduleTiming;
  callerApprovalRules: ApprovalRulesSpec | undefined;
  /** The budget the schedule was given (without the agent's default). */
  callerBudget: TaskBudget | undefined;
}

/** The record of a schedule's memo, or undefined when the schedule is not one of ours. */
export function readScheduleRecord(memo: Record<string, unknown> | undefined): ScheduleRecord | undefined {
  const record = memo?.[SCHEDULE_MEMO_KEY] as Partial<ScheduleRecord> | undefined;
  if (!record || typeof record.taskQueue !== 'string' || typeof record.agentName !== 'string') return undefined;
  return {
    taskQueue: record.taskQueue,
    agentName: record.agentName,
    ...(typeof record.tenantId === 'string' ? { tenantId: record.tenantId } : {}),
    ...(typeof record.userId === 'string' ? { userId: record.userId } : {}),
  };
}

/** A zap-agents schedule from Temporal's description, or undefined when it is not one of ours. */
export function readStoredSchedule(description: TemporalScheduleDescription): StoredSchedule | undefined {
  const record = readScheduleRecord(description.memo);
  const { action, spec, policies } = description;
  const rawInput = action.args?.[0] as AgentWorkflowInput | undefined;
  if (!record || action.workflowType !== AGENT_WORKFLOW_TYPE || !rawInput) return undefined;
  const definition = (action.memo?.[DEFINITION_MEMO_KEY] ?? {}) as ScheduleDefinition;
  const everyMs = spec.intervals?.[0]?.every;
  const timing: ScheduleTiming = {
    ...(definition.cron !== undefined ? { cron: definition.cron } : { everyMs }),
    timezone: spec.timezone ?? DEFAULT_SCHEDULE_TIMEZONE,
    jitterMs: spec.jitter ?? 0,
    overlap: fromTemporalOverlap(policies.overlap),
    catchupWindowMs: policies.catchupWindow,
  };
  return { record, input: upgradeWorkflowInput(rawInput), timing, callerApprovalRules: definition.approvalRules, callerBudget: definition.budget };
}

/** A compiled budget as the `budget` option that gives it (what `describe` shows). */
export function taskBudgetOf(spec: BudgetSpec): TaskBudget {
  const { nanoUsd, tokens, modelCalls, toolCalls } = spec.limits;
  return {
    ...(nanoUsd !== undefined ? { maxUsd: toUsd(nanoUsd) } : {}),
    ...(tokens !== undefined ? { maxTokens: tokens } : {}),
    ...(modelCalls !== undefined ? { maxModelCalls: modelCalls } : {}),
    ...(toolCalls !== undefined ? { maxToolCalls: toolCalls } : {}),
    onExceeded: spec.onExceeded,
    askTimeout: spec.askTimeoutMs,
  };
}
