import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import type { PipelineRun } from '../client/pipeline-run';
import type { ScheduleDescription, ScheduleSummary, UpdateScheduleOptions } from '../client/schedules/schedule-options';
import type { Task } from '../client/task';
import type { TaskScope } from '../client/task-scope';
import type { Zap } from '../client/zap';
import { ApprovalRules } from '../core/approval-rules';
import { DEFAULT_BUDGET_ASK_TIMEOUT_MS, type TaskBudget } from '../core/budget';
import { PermissionDeniedError, ZapValidationError } from '../core/errors';
import { FINAL_EVENT_TYPES, type TaskEvent } from '../core/events';
import { pipelineAgentName, type PipelineSnapshot } from '../core/pipeline-state';
import type { TaskStatusSnapshot } from '../core/task-snapshot';
import { TaskStatus, isTerminalStatus } from '../core/task-status';
import {
  cancelTaskInputSchema,
  createScheduleInputSchema,
  decideApprovalInputSchema,
  decideApprovalsInputSchema,
  deliverEventInputSchema,
  getHistoryInputSchema,
  listSchedulesInputSchema,
  listTasksInputSchema,
  pauseScheduleInputSchema,
  scheduleRefInputSchema,
  sendMessageInputSchema,
  startPipelineInputSchema,
  startTaskInputSchema,
  streamEventsInputSchema,
  taskRefInputSchema,
  triggerScheduleInputSchema,
  updateScheduleInputSchema,
  waitForTaskInputSchema,
  type ApprovalDecisionResult,
  type ApprovalDecisionsResult,
  type CancelTaskInput,
  type CreateScheduleInput,
  type DecideApprovalInput,
  type DecideApprovalsInput,
  type DeleteScheduleResult,
  type DeliverEventInput,
  type DeliverEventResult,
  type GetHistoryInput,
  type HistoryPage,
  type PendingApprovalList,
  type ListSchedulesInput,
  type ListTasksInput,
  type PauseScheduleInput,
  type ScheduleList,
  type ScheduleRefInput,
  type ScheduleSummaryView,
  type ScheduleView,
  type SendMessageInput,
  type StartPipelineInput,
  type StartTaskInput,
  type StreamEventsInput,
  type TaskListPage,
  type TaskRefInput,
  type TaskStatusView,
  type TaskUsage,
  type TriggerScheduleInput,
  type UpdateScheduleInput,
  type WaitForTaskInput,
  type WaitForTaskResult,
} from './operation-schemas';
import { approverOf, assertRole, describePrincipal, type Principal } from './principal';

/** How far `approve` walks a task's parents to refuse a model deciding its own tool calls. */
const MAX_LINEAGE_DEPTH = 20;

/** Options of {@link ZapOperations}. */
export interface ZapOperationsOptions {
  /** The started `Zap` whose tasks the operations act on. */
  zap: Zap<any>;
}

/** Options of {@link ZapOperations.waitForTask} besides its input. */
export interface WaitForTaskOptions {
  /** Called with each event while waiting (the MCP server turns them into progress notifications). */
  onEvent?: (event: TaskEvent) => void;
  /** Ends the wait early (outcome `timed_out`). */
  signal?: AbortSignal;
}

/**
 * The operations on tasks and schedules, one service layer for the CLI, the HTTP API and the MCP server: each
 * takes the caller's {@link Principal} and a plain JSON input, validates the input with its zod
 * schema (`ZapValidationError` naming the field), checks the principal's role
 * (`PermissionDeniedError`) and tenant (a task of another tenant is `TaskNotFoundError`, exactly
 * as an unknown id, so ids do not leak), and returns plain JSON.
 *
 * @example
 * ```ts
 * const operations = new ZapOperations({ zap });
 * const principal = { tenantId: 'acme', userId: 'ana', roles: ['read', 'start'] } as const;
 * const started = await operations.startTask(principal, { agent: 'Support', message: 'Where is order 123?' });
 * const { outcome, task } = await operations.waitForTask(principal, { taskId: started.taskId, timeoutSeconds: 30 });
 * ```
 */
export class ZapOperations {
  private readonly zap: Zap<any>;

  constructor(options: ZapOperationsOptions) {
    this.zap = options.zap;
  }

  /** Starts a task and returns at once; a caller-chosen `taskId` makes it idempotent. */
  async startTask(principal: Principal, input: StartTaskInput): Promise<TaskStatusView> {
    assertRole(principal, 'start', 'start tasks');
    const { agent, message, taskId, context, approvalPatterns, budget } = parse(startTaskInputSchema, input);
    const task = await this.zap.executeTask({
      agentName: agent,
      ...(typeof message === 'string' ? { task: message } : { taskContent: message }),
      ...(taskId !== undefined ? { taskId } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(approvalPatterns ? { approvalRules: new ApprovalRules({ patterns: approvalPatterns }) } : {}),
      ...(budget ? { budget } : {}),
      ...(principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {}),
      ...(principal.userId !== undefined ? { userId: principal.userId } : {}),
    });
    // The started task as executeTask returns it: no read that would wait for its first step.
    return toStatusView(statusOfTask(task));
  }

  /**
   * Starts a run of a registered pipeline and returns at once with its status (the `pipeline`
   * section says which step runs). The run is a task: status, events, wait, approvals and cancel
   * take its id. A caller-chosen `runId` makes it idempotent; the principal's tenant and user own it.
   */
  async startPipeline(principal: Principal, input: StartPipelineInput): Promise<TaskStatusView> {
    assertRole(principal, 'start', 'start pipelines');
    const { pipeline, input: pipelineInput, runId, budget } = parse(startPipelineInputSchema, input);
    const run = await this.zap.startPipeline(pipeline, pipelineInput as never, {
      ...(runId !== undefined ? { runId } : {}),
      ...(budget ? { budget } : {}),
      ...(principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {}),
      ...(principal.userId !== undefined ? { userId: principal.userId } : {}),
    });
    // The started run as startPipeline returns it: no read that would wait for its first step.
    return toStatusView(statusOfRun(run));
  }

  /** The task's status and what it waits for (approvals with their tool calls, events, sub-tasks). */
  async getStatus(principal: Principal, input: TaskRefInput): Promise<TaskStatusView> {
    assertRole(principal, 'read', 'read tasks');
    const { taskId } = parse(taskRefInputSchema, input);
    return toStatusView(await this.zap.getTaskStatus(taskId, scopeOf(principal)));
  }

  /** The tool calls of the task that wait for a human decision. */
  async listPendingApprovals(principal: Principal, input: TaskRefInput): Promise<PendingApprovalList> {
    const status = await this.getStatus(principal, input);
    return { taskId: status.taskId, approvals: status.waitingFor.approvals };
  }

  /** A page of the conversation, system prompt first. */
  async getHistory(principal: Principal, input: GetHistoryInput): Promise<HistoryPage> {
    assertRole(principal, 'read', 'read tasks');
    const { taskId, offset, limit } = parse(getHistoryInputSchema, input);
    const { messages, total } = await this.zap.getTaskHistory(taskId, { offset, limit, ...scopeOf(principal) });
    const next = offset + messages.length;
    return { taskId, offset, total, messages, ...(messages.length > 0 && next < total ? { nextOffset: next } : {}) };
  }

  /**
   * The task's events after `since`, live: until the current request ends (`completed`, `error`,
   * `cancelled`), or with `follow` until the task closes. Durable events carry their `seq`, so a
   * consumer that reconnects with the last `seq` it saw gets every event exactly once.
   */
  async *streamEvents(principal: Principal, input: StreamEventsInput, signal?: AbortSignal): AsyncGenerator<TaskEvent, void, undefined> {
    assertRole(principal, 'read', 'read tasks');
    const { taskId, since, follow, includeTokens } = parse(streamEventsInputSchema, input);
    yield* this.zap.streamTask({ taskId, since, untilClosed: follow, includeTokens, ...scopeOf(principal), ...(signal ? { signal } : {}) });
  }

  /** Sends a follow-up message (a failed task takes it up again). */
  async sendMessage(principal: Principal, input: SendMessageInput): Promise<TaskStatusView> {
    assertRole(principal, 'start', 'send messages');
    const { taskId, message } = parse(sendMessageInputSchema, input);
    await this.zap.executeTask({
      followUpOnTask: taskId,
      ...(typeof message === 'string' ? { task: message } : { taskContent: message }),
      ...scopeOf(principal),
    });
    return this.getStatus(principal, { taskId });
  }

  /**
   * Approves or rejects a pending tool call, recording the principal as the one who decided. A
   * task can never decide its own approvals (nor those of its parents or sub-tasks).
   */
  async decideApproval(principal: Principal, input: DecideApprovalInput): Promise<ApprovalDecisionResult> {
    assertRole(principal, 'approve', 'decide approvals');
    const { taskId, approvalId, decision, reason, budget } = parse(decideApprovalInputSchema, input);
    const scope = scopeOf(principal);
    // Visible first: a refusal must not tell another tenant's caller that the task exists.
    await this.zap.getTaskStatus(taskId, scope);
    if (principal.actingTaskId !== undefined) await this.assertNotOwnLineage(principal.actingTaskId, taskId);
    const decidedBy = describePrincipal(principal);
    // The Zap's `authorize` hook, when it has one, sees the principal as the approver.
    const approver = approverOf(principal);
    const result =
      decision === 'approve'
        ? await this.zap.approve(taskId, approvalId, { ...(decidedBy ? { approvedBy: decidedBy } : {}), ...(reason ? { reason } : {}), ...(budget ? { budget } : {}), approver, ...scope })
        : await this.zap.reject(taskId, approvalId, reason, { ...(decidedBy ? { rejectedBy: decidedBy } : {}), approver, ...scope });
    return {
      taskId,
      approvalId: result.approvalId,
      decision: result.decision,
      alreadyDecided: result.alreadyDecided,
      ...(decidedBy ? { decidedBy } : {}),
    };
  }

  /**
   * Decides several pending approvals of one task at once, all or none: one unknown id refuses
   * the whole batch (`ApprovalNotFoundError` naming every unknown id), as does one decision the
   * Zap's `authorize` hook refuses (`PermissionDeniedError` naming them). Recorded as decided by
   * the principal; a task can never decide its own approvals (nor those of its lineage).
   */
  async decideApprovals(principal: Principal, input: DecideApprovalsInput): Promise<ApprovalDecisionsResult> {
    assertRole(principal, 'approve', 'decide approvals');
    const { taskId, decisions } = parse(decideApprovalsInputSchema, input);
    const scope = scopeOf(principal);
    // Visible first: a refusal must not tell another tenant's caller that the task exists.
    await this.zap.getTaskStatus(taskId, scope);
    if (principal.actingTaskId !== undefined) await this.assertNotOwnLineage(principal.actingTaskId, taskId);
    const decidedBy = describePrincipal(principal);
    const { results } = await this.zap.decideApprovals(taskId, decisions, {
      ...(decidedBy ? { decidedBy } : {}),
      approver: approverOf(principal),
      ...scope,
    });
    return {
      taskId,
      results: results.map((result) => ({ approvalId: result.approvalId, decision: result.decision, alreadyDecided: result.alreadyDecided })),
      ...(decidedBy ? { decidedBy } : {}),
    };
  }

  /** Delivers a named event the task's agent declares (validated against its schema). */
  async deliverEvent(principal: Principal, input: DeliverEventInput): Promise<DeliverEventResult> {
    assertRole(principal, 'start', 'deliver events');
    const { taskId, name, data } = parse(deliverEventInputSchema, input);
    const delivery = await this.zap.sendEvent(taskId, name, data, scopeOf(principal));
    return { taskId, name, accepted: delivery.accepted, waiting: delivery.waiting };
  }

  /**
   * Waits until the task answers, fails or is cancelled, or the timeout passes (outcome
   * `timed_out`; the task goes on). A task that has already answered returns at once.
   */
  async waitForTask(principal: Principal, input: WaitForTaskInput, options: WaitForTaskOptions = {}): Promise<WaitForTaskResult> {
    assertRole(principal, 'read', 'read tasks');
    const { taskId, timeoutSeconds } = parse(waitForTaskInputSchema, input);
    const scope = scopeOf(principal);
    let status = await this.zap.getTaskStatus(taskId, scope);
    if (!isTerminalStatus(status.status)) {
      const timeout = AbortSignal.timeout(Math.round(timeoutSeconds * 1000));
      const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
      let finished = false;
      for await (const event of this.zap.streamTask({ taskId, since: status.lastEventSeq, includeTokens: false, signal, ...scope })) {
        options.onEvent?.(event);
        if (FINAL_EVENT_TYPES.has(event.type)) {
          finished = true;
          break;
        }
      }
      status = await this.zap.getTaskStatus(taskId, scope);
      if (!finished && !isTerminalStatus(status.status)) return { outcome: 'timed_out', task: toStatusView(status) };
    }
    const outcome = status.status === TaskStatus.Completed ? 'completed' : status.status === TaskStatus.Cancelled ? 'cancelled' : 'failed';
    return { outcome, task: toStatusView(status) };
  }

  /** Cancels the task (its running calls and sub-tasks too); cancelling twice is harmless. */
  async cancelTask(principal: Principal, input: CancelTaskInput): Promise<TaskStatusView> {
    assertRole(principal, 'start', 'cancel tasks');
    const { taskId, reason } = parse(cancelTaskInputSchema, input);
    await this.zap.cancelTask(taskId, reason ?? `Cancelled by ${describePrincipal(principal) ?? 'an operator'}`, scopeOf(principal));
    return this.getStatus(principal, { taskId });
  }

  /**
   * Lists tasks from Temporal visibility (search attributes: one request per page, never one per
   * task). A principal with a tenant sees only that tenant's tasks.
   */
  async listTasks(principal: Principal, input: ListTasksInput = {}): Promise<TaskListPage> {
    assertRole(principal, 'read', 'list tasks');
    const filters = parse(listTasksInputSchema, input);
    if (principal.tenantId !== undefined && filters.tenantId !== undefined && filters.tenantId !== principal.tenantId) {
      return { tasks: [] };
    }
    const tenantId = principal.tenantId ?? filters.tenantId;
    const page = await this.zap.listTasks({
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.agent ? { agentName: filters.agent } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(filters.userId ? { userId: filters.userId } : {}),
      ...(filters.parentTaskId ? { parentTaskId: filters.parentTaskId } : {}),
      ...(filters.createdAfter ? { createdAfter: new Date(filters.createdAfter) } : {}),
      ...(filters.createdBefore ? { createdBefore: new Date(filters.createdBefore) } : {}),
      pageSize: filters.pageSize,
      ...(filters.pageToken ? { nextPageToken: filters.pageToken } : {}),
    });
    return {
      tasks: page.tasks.map((task) => ({
        taskId: task.taskId,
        agent: task.agentName,
        status: task.status,
        ...(task.tenantId !== undefined ? { tenantId: task.tenantId } : {}),
        ...(task.userId !== undefined ? { userId: task.userId } : {}),
        ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
        createdAt: new Date(task.createdAt).toISOString(),
        ...(task.closedAt !== undefined ? { closedAt: new Date(task.closedAt).toISOString() } : {}),
      })),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  /** Tokens the task's own model calls used, and its sub-tasks (ask each for theirs). */
  async getUsage(principal: Principal, input: TaskRefInput): Promise<TaskUsage> {
    const status = await this.getStatus(principal, input);
    return { taskId: status.taskId, usage: status.usage, subTasks: (await this.zap.getTaskStatus(status.taskId, scopeOf(principal))).subTasks };
  }

  /**
   * Creates a schedule whose runs are tasks of `agent` (see `zap.schedules.create`), owned by the
   * principal's tenant and user. Everything is checked before anything is created;
   * `ScheduleAlreadyExistsError` when the id is taken.
   */
  async createSchedule(principal: Principal, input: CreateScheduleInput): Promise<ScheduleView> {
    assertRole(principal, 'start', 'create schedules');
    const { scheduleId, agent, paused, ...fields } = parse(createScheduleInputSchema, input);
    const created = await this.zap.schedules.create({
      id: scheduleId,
      agentName: agent,
      ...scheduleChanges(fields),
      ...(paused !== undefined ? { paused } : {}),
      ...(principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {}),
      ...(principal.userId !== undefined ? { userId: principal.userId } : {}),
    });
    return toScheduleView(created);
  }

  /** The schedules of this Zap (a principal with a tenant sees that tenant's only), by id. */
  async listSchedules(principal: Principal, input: ListSchedulesInput = {}): Promise<ScheduleList> {
    assertRole(principal, 'read', 'list schedules');
    const filters = parse(listSchedulesInputSchema, input);
    if (principal.tenantId !== undefined && filters.tenantId !== undefined && filters.tenantId !== principal.tenantId) {
      return { schedules: [] };
    }
    const tenantId = principal.tenantId ?? filters.tenantId;
    const summaries = await this.zap.schedules.list({
      ...(filters.agent !== undefined ? { agentName: filters.agent } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(filters.userId !== undefined ? { userId: filters.userId } : {}),
    });
    return { schedules: summaries.map(toScheduleSummaryView) };
  }

  /** The schedule: timing, task, budget, state, next run times and the latest runs with their task status. */
  async describeSchedule(principal: Principal, input: ScheduleRefInput): Promise<ScheduleView> {
    assertRole(principal, 'read', 'read schedules');
    const { scheduleId } = parse(scheduleRefInputSchema, input);
    return toScheduleView(await this.zap.schedules.describe(scheduleId, scopeOf(principal)));
  }

  /** Pauses the schedule (runs in progress go on); the note says why. */
  async pauseSchedule(principal: Principal, input: PauseScheduleInput): Promise<ScheduleView> {
    assertRole(principal, 'start', 'pause schedules');
    const { scheduleId, note } = parse(pauseScheduleInputSchema, input);
    await this.zap.schedules.pause(scheduleId, note, scopeOf(principal));
    return this.describeSchedule(principal, { scheduleId });
  }

  /** Resumes a paused schedule from its next time. */
  async unpauseSchedule(principal: Principal, input: PauseScheduleInput): Promise<ScheduleView> {
    assertRole(principal, 'start', 'unpause schedules');
    const { scheduleId, note } = parse(pauseScheduleInputSchema, input);
    await this.zap.schedules.unpause(scheduleId, note, scopeOf(principal));
    return this.describeSchedule(principal, { scheduleId });
  }

  /**
   * Starts a run now, also while paused (by default even while a run is open). The run shows in
   * the schedule's `recentRuns` a moment later.
   */
  async triggerSchedule(principal: Principal, input: TriggerScheduleInput): Promise<ScheduleView> {
    assertRole(principal, 'start', 'trigger schedules');
    const { scheduleId, overlap } = parse(triggerScheduleInputSchema, input);
    await this.zap.schedules.trigger(scheduleId, { ...(overlap !== undefined ? { overlap } : {}), ...scopeOf(principal) });
    return this.describeSchedule(principal, { scheduleId });
  }

  /** Changes the fields given (the runs' input is rebuilt with the agent's current settings). */
  async updateSchedule(principal: Principal, input: UpdateScheduleInput): Promise<ScheduleView> {
    assertRole(principal, 'start', 'update schedules');
    const { scheduleId, budget, ...fields } = parse(updateScheduleInputSchema, input);
    const changes = { ...scheduleChanges(fields), ...(budget !== undefined ? { budget: budget ?? undefined } : {}) };
    return toScheduleView(await this.zap.schedules.update(scheduleId, changes, scopeOf(principal)));
  }

  /** Deletes the schedule; runs in progress go on. */
  async deleteSchedule(principal: Principal, input: ScheduleRefInput): Promise<DeleteScheduleResult> {
    assertRole(principal, 'start', 'delete schedules');
    const { scheduleId } = parse(scheduleRefInputSchema, input);
    await this.zap.schedules.delete(scheduleId, scopeOf(principal));
    return { scheduleId, deleted: true };
  }

  /**
   * Resolves when Temporal answers a cheap call (`GetSystemInfo`) within `timeoutMs`; rejects
   * otherwise (also when the Zap is not started). For readiness probes: needs no principal and
   * reads no task.
   */
  async checkTemporalReachable(timeoutMs: number): Promise<void> {
    const client = this.zap.client;
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
  }

  /**
   * Refuses a decision by a task on its own approvals: the acting task may not be the task, one
   * of its ancestors or one of its descendants (a sub-agent approving its parent's call).
   */
  private async assertNotOwnLineage(actingTaskId: string, taskId: string): Promise<void> {
    const ancestors = async (start: string) => {
      const chain = [start];
      for (let current = start, depth = 0; depth < MAX_LINEAGE_DEPTH; depth += 1) {
        const parent = (await this.zap.getTaskStatus(current).catch(() => undefined))?.parentTaskId;
        if (parent === undefined) break;
        chain.push(parent);
        current = parent;
      }
      return chain;
    };
    if ((await ancestors(taskId)).includes(actingTaskId) || (await ancestors(actingTaskId)).includes(taskId)) {
      throw new PermissionDeniedError({
        operation: 'decide approvals',
        message: `Task '${actingTaskId}' may not decide approvals of task '${taskId}': a model never approves its own tool calls.`,
      });
    }
  }
}

/** Parses an operation's input with its schema; a mismatch is a `ZapValidationError` naming the field. */
export function parse<TSchema extends z.ZodType>(schema: TSchema, input: unknown): z.output<TSchema> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ZapValidationError({ message: `Invalid input: ${z.prettifyError(result.error)}` });
  return result.data;
}

/** The status snapshot of a `Task` (a started task, or the existing one an idempotent start found). */
function statusOfTask(task: Task): TaskStatusSnapshot {
  return {
    taskId: task.id,
    agentName: task.agentName,
    status: task.status,
    ...(task.result !== undefined ? { result: task.result } : {}),
    ...(task.error !== undefined ? { error: task.error } : {}),
    ...(task.cancelReason !== undefined ? { cancelReason: task.cancelReason } : {}),
    messageCount: task.history.length,
    subTasks: [...task.subTasks],
    usage: task.usage,
    pendingApprovals: task.approvals.filter((approval) => approval.decision === undefined),
    approvals: [...task.approvals],
    waitingFor: task.waitingFor,
    ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
    ...(task.tenantId !== undefined ? { tenantId: task.tenantId } : {}),
    ...(task.userId !== undefined ? { userId: task.userId } : {}),
    lastEventSeq: task.lastEventSeq,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

/** The status snapshot of a `PipelineRun` (a started run, or the existing one an idempotent start found). */
function statusOfRun(run: PipelineRun): TaskStatusSnapshot {
  const stepTasks = run.steps.flatMap((step) => (step.taskId !== undefined ? [step.taskId] : []));
  const pipeline: PipelineSnapshot = {
    name: run.pipelineName,
    status: run.status,
    ...(run.currentStep !== undefined ? { currentStep: run.currentStep } : {}),
    stepsCompleted: run.stepsCompleted,
    stepCount: run.stepCount,
    steps: [...run.steps],
    input: run.input as PipelineSnapshot['input'],
    outputs: run.outputs as PipelineSnapshot['outputs'],
    ...(run.failedStep !== undefined ? { failedStep: run.failedStep } : {}),
    ...(run.pendingStep !== undefined ? { pendingStep: run.pendingStep } : {}),
    ...(run.approvalMessage !== undefined ? { approvalMessage: run.approvalMessage } : {}),
    ...(run.error !== undefined ? { error: run.error.message } : {}),
    attempt: run.attempt,
  };
  const status =
    run.status === 'complete' ? TaskStatus.Completed
    : run.status === 'error' ? TaskStatus.Failed
    : run.status === 'cancelled' ? TaskStatus.Cancelled
    : run.pendingApproval ? TaskStatus.AwaitingApproval
    : TaskStatus.Pending;
  return {
    taskId: run.id,
    agentName: pipelineAgentName(run.pipelineName),
    status,
    ...(run.error !== undefined ? { error: run.error.message } : {}),
    ...(run.cancelReason !== undefined ? { cancelReason: run.cancelReason } : {}),
    messageCount: 0,
    subTasks: stepTasks,
    usage: run.usage,
    pendingApprovals: run.pendingApproval ? [run.pendingApproval] : [],
    approvals: run.pendingApproval ? [run.pendingApproval] : [],
    ...(run.tenantId !== undefined ? { tenantId: run.tenantId } : {}),
    ...(run.userId !== undefined ? { userId: run.userId } : {}),
    lastEventSeq: run.lastEventSeq,
    pipeline,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  };
}

/**
 * The Zap scope of a principal: its tenant (a principal without one, an operator, sees every
 * task). Users of one tenant see each other's tasks; roles say what each may do.
 */
function scopeOf(principal: Principal): TaskScope {
  return principal.tenantId !== undefined ? { tenantId: principal.tenantId } : {};
}

/** The status view of a task from its status snapshot. */
function toStatusView(status: TaskStatusSnapshot): TaskStatusView {
  const waitingFor = status.waitingFor;
  return {
    taskId: status.taskId,
    agent: status.agentName,
    status: status.status,
    ...(status.tenantId !== undefined ? { tenantId: status.tenantId } : {}),
    ...(status.userId !== undefined ? { userId: status.userId } : {}),
    ...(status.parentTaskId !== undefined ? { parentTaskId: status.parentTaskId } : {}),
    ...(status.result !== undefined ? { result: status.result } : {}),
    ...(status.error !== undefined ? { error: status.error } : {}),
    ...(status.errorCode !== undefined ? { errorCode: status.errorCode } : {}),
    ...(status.cancelReason !== undefined ? { cancelReason: status.cancelReason } : {}),
    ...(status.pipeline ? { pipeline: pipelineView(status.pipeline) } : {}),
    waitingFor: {
      approvals: status.pendingApprovals.map((approval) => ({
        approvalId: approval.id,
        toolName: approval.toolName,
        arguments: approval.toolArgs,
        agentName: approval.agentName,
        taskId: approval.taskId,
        ...(approval.summary !== undefined ? { summary: approval.summary } : {}),
        ...(approval.message !== undefined ? { message: approval.message } : {}),
        requestedAt: approval.requestedAt,
        timeoutAt: approval.timeoutAt,
      })),
      events: waitingFor?.events ?? [],
      subTasks: waitingFor?.subTasks ?? [],
    },
    counts: { messages: status.messageCount, subTasks: status.subTasks.length, approvals: status.approvals.length },
    usage: {
      promptTokens: status.usage.promptTokens,
      completionTokens: status.usage.completionTokens,
      totalTokens: status.usage.promptTokens + status.usage.completionTokens,
      ...(status.costUsd !== undefined ? { costUsd: status.costUsd } : {}),
    },
    ...(status.budget ? { budget: status.budget } : {}),
    lastEventSeq: status.lastEventSeq,
    createdAt: status.createdAt,
    updatedAt: status.updatedAt,
  };
}

/** The pipeline section of a run's status view. */
function pipelineView(pipeline: PipelineSnapshot): NonNullable<TaskStatusView['pipeline']> {
  return {
    name: pipeline.name,
    status: pipeline.status,
    ...(pipeline.currentStep !== undefined ? { currentStep: pipeline.currentStep } : {}),
    stepsCompleted: pipeline.stepsCompleted,
    stepCount: pipeline.stepCount,
    steps: pipeline.steps.map((step) => ({ name: step.name, kind: step.kind, status: step.status, ...(step.taskId !== undefined ? { taskId: step.taskId } : {}) })),
    ...(pipeline.failedStep !== undefined ? { failedStep: pipeline.failedStep } : {}),
    ...(pipeline.pendingStep !== undefined ? { pendingStep: pipeline.pendingStep } : {}),
    ...(pipeline.approvalMessage !== undefined ? { approvalMessage: pipeline.approvalMessage } : {}),
  };
}

/** The schedule fields of an operation's input as `zap.schedules` options (only those given). */
function scheduleChanges(fields: Omit<z.output<typeof updateScheduleInputSchema>, 'scheduleId' | 'budget'> & { budget?: TaskBudget }): UpdateScheduleOptions {
  const { cron, every, timezone, overlap, catchupWindow, jitter, message, context, approvalPatterns, budget, idleTimeout, note } = fields;
  return {
    ...(cron !== undefined ? { cron } : {}),
    ...(every !== undefined ? { every: every as Duration } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(overlap !== undefined ? { overlap } : {}),
    ...(catchupWindow !== undefined ? { catchupWindow: catchupWindow as Duration } : {}),
    ...(jitter !== undefined ? { jitter: jitter as Duration } : {}),
    ...(message !== undefined ? (typeof message === 'string' ? { task: message } : { taskContent: message }) : {}),
    ...(context !== undefined ? { context } : {}),
    ...(approvalPatterns ? { approvalRules: new ApprovalRules({ patterns: approvalPatterns }) } : {}),
    ...(budget ? { budget } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout: idleTimeout as Duration } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

/** The wire view of a schedule summary. */
function toScheduleSummaryView(summary: ScheduleSummary): ScheduleSummaryView {
  return {
    scheduleId: summary.id,
    agent: summary.agentName,
    ...(summary.tenantId !== undefined ? { tenantId: summary.tenantId } : {}),
    ...(summary.userId !== undefined ? { userId: summary.userId } : {}),
    paused: summary.paused,
    ...(summary.note !== undefined ? { note: summary.note } : {}),
    nextRunTimes: summary.nextRunTimes,
    recentRuns: summary.recentRuns.map(({ taskId, scheduledAt, startedAt }) => ({ taskId, scheduledAt, startedAt })),
  };
}

/** The wire view of a schedule description. */
function toScheduleView(schedule: ScheduleDescription): ScheduleView {
  const { budget } = schedule;
  return {
    ...toScheduleSummaryView(schedule),
    message: schedule.task,
    ...(schedule.context !== undefined ? { context: schedule.context } : {}),
    ...(schedule.cron !== undefined ? { cron: schedule.cron } : {}),
    ...(schedule.everyMs !== undefined ? { everyMs: schedule.everyMs } : {}),
    timezone: schedule.timezone,
    overlap: schedule.overlap,
    catchupWindowMs: schedule.catchupWindowMs,
    jitterMs: schedule.jitterMs,
    idleTimeoutMs: schedule.idleTimeoutMs,
    ...(budget
      ? {
          budget: {
            ...(budget.maxUsd !== undefined ? { maxUsd: budget.maxUsd } : {}),
            ...(budget.maxTokens !== undefined ? { maxTokens: budget.maxTokens } : {}),
            ...(budget.maxModelCalls !== undefined ? { maxModelCalls: budget.maxModelCalls } : {}),
            ...(budget.maxToolCalls !== undefined ? { maxToolCalls: budget.maxToolCalls } : {}),
            onExceeded: budget.onExceeded ?? 'fail',
            askTimeoutMs: budget.askTimeout === undefined ? DEFAULT_BUDGET_ASK_TIMEOUT_MS : msToNumber(budget.askTimeout as Duration),
          },
        }
      : {}),
    recentRuns: schedule.recentRuns.map((run) => ({ ...run })),
    runningTaskIds: schedule.runningTaskIds,
    runCount: schedule.runCount,
    skippedRunCount: schedule.skippedRunCount,
    missedRunCount: schedule.missedRunCount,
    createdAt: schedule.createdAt,
    ...(schedule.updatedAt !== undefined ? { updatedAt: schedule.updatedAt } : {}),
  };
}
