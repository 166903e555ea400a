import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError as TemporalScheduleNotFoundError,
  ServiceError,
  type Client,
  type ScheduleDescription as TemporalScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import { ApprovalRules } from '../../core/approval-rules';
import {
  DEFAULT_SCHEDULE_IDLE_TIMEOUT_MS,
  DEFAULT_SCHEDULE_PAUSE_NOTE,
  DEFAULT_SCHEDULE_TRIGGER_OVERLAP,
  DEFAULT_SCHEDULE_UNPAUSE_NOTE,
} from '../../core/defaults';
import { ScheduleAlreadyExistsError, ScheduleNotFoundError, ZapValidationError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { ZAP_STATUS_ATTRIBUTE } from '../../core/search-attributes';
import type { AgentWorkflowInput } from '../../core/task-state';
import { TaskStatus } from '../../core/task-status';
import type { agentWorkflow } from '../../workflows/agent-workflow';
import type { TaskReader } from '../task-reader';
import { validateTaskRequest, type ExecuteTaskOptions } from '../task-request';
import { validateOwnerId, validateTaskScope, type TaskScope } from '../task-scope';
import type { CompiledZapOptions } from '../zap-options';
import {
  buildScheduledTaskInput,
  readScheduleRecord,
  readStoredSchedule,
  scheduleAction,
  scheduleMemo,
  schedulePolicies,
  scheduleSpec,
  taskBudgetOf,
  toTemporalOverlap,
  type ScheduleRecord,
  type StoredSchedule,
} from './schedule-action';
import {
  compileScheduleTiming,
  readDuration,
  validateOverlap,
  validateScheduleId,
  validateScheduleNote,
  type CreateScheduleOptions,
  type ListSchedulesOptions,
  type ScheduleDescription,
  type ScheduleRun,
  type ScheduleRunSummary,
  type ScheduleSummary,
  type ScheduleTaskOptions,
  type ScheduleTiming,
  type TriggerScheduleOptions,
  type UpdateScheduleOptions,
} from './schedule-options';

/** What {@link ZapSchedules} needs from its `Zap`. */
export interface ZapSchedulesDependencies<TContext> {
  client: () => Client;
  options: CompiledZapOptions<TContext>;
  reader: TaskReader;
  /** Whether runs start with the zap-agents search attributes (known from `zap.start()` on). */
  searchAttributes: () => boolean;
}

/**
 * Agent tasks on a timetable (`zap.schedules`), on Temporal Schedules: the Temporal server starts
 * each run, so no process of yours has to be up at the time, and pausing, triggering and catching
 * up after an outage are Temporal's. Each run is an ordinary task (an `agentWorkflow`) whose id is
 * the schedule's id and the run's time (`daily-report-2025-06-02T09:00:00Z`): approvals,
 * streaming, `getTask` and follow-ups work on it as on any task. A run answers and closes at once
 * unless the schedule gives an `idleTimeout` (an open run would count as running for `overlap`).
 *
 * The runs' input is built when the schedule is created or updated, from the agent's settings at
 * that time: after a deploy that changes an agent, `update(id, {})` gives its schedules the new
 * settings. Every method takes plain JSON and returns plain JSON (times as ISO-8601 strings);
 * with a `scope`, a schedule of another tenant or user is `ScheduleNotFoundError`, like an unknown id.
 *
 * @example
 * ```ts
 * await zap.schedules.create({ id: 'daily-report', agentName: 'Analyst', task: 'Summarise yesterday’s orders.', cron: '0 9 * * *', timezone: 'Europe/Paris' });
 * const { nextRunTimes, recentRuns } = await zap.schedules.describe('daily-report');
 * await zap.schedules.pause('daily-report', 'Holidays');
 * ```
 */
export class ZapSchedules<TContext = unknown> {
  constructor(private readonly dependencies: ZapSchedulesDependencies<TContext>) {}

  /**
   * Creates a schedule. Everything is checked before anything is created: the id, `cron` or
   * `every`, the time zone and durations (`ZapValidationError`), the agent (`AgentNotFoundError`)
   * and the task as `executeTask` checks it. `ScheduleAlreadyExistsError` when the id is taken.
   */
  async create(options: CreateScheduleOptions<TContext>): Promise<ScheduleDescription> {
    if (!options || typeof options !== 'object') throw new ZapValidationError({ message: 'schedules.create needs an options object.' });
    const scheduleId = validateScheduleId(options.id);
    const timing = compileScheduleTiming(options);
    const note = validateScheduleNote(options.note);
    if (options.paused !== undefined && typeof options.paused !== 'boolean') throw new ZapValidationError({ message: 'paused must be a boolean.' });
    const idleTimeoutMs = options.idleTimeout === undefined ? DEFAULT_SCHEDULE_IDLE_TIMEOUT_MS : readDuration(options.idleTimeout, 'idleTimeout', true);
    const tenantId = validateOwnerId(options.tenantId, 'tenantId');
    const userId = validateOwnerId(options.userId, 'userId');
    const record: ScheduleRecord = {
      taskQueue: this.dependencies.options.taskQueue,
      agentName: options.agentName,
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(userId !== undefined ? { userId } : {}),
    };
    const { input, callerApprovalRules, callerBudget } = this.buildInput(scheduleId, record, options, idleTimeoutMs);
    const client = this.dependencies.client();
    try {
      await client.schedule.create<typeof agentWorkflow>({
        scheduleId,
        spec: scheduleSpec(timing),
        action: scheduleAction(input, { taskQueue: record.taskQueue, timing, callerApprovalRules, callerBudget }),
        policies: schedulePolicies(timing),
        memo: scheduleMemo(record),
        state: { paused: options.paused ?? false, ...(note !== undefined ? { note } : {}) },
      });
    } catch (error) {
      throw translateScheduleError(error, scheduleId);
    }
    return this.describe(scheduleId);
  }

  /**
   * This Zap's schedules (its task queue), from Temporal's visibility store: one listing, no
   * read per schedule. Eventually consistent: a schedule created a moment ago may show a moment later.
   */
  async list(options: ListSchedulesOptions = {}): Promise<ScheduleSummary[]> {
    const tenantId = validateOwnerId(options.tenantId, 'tenantId');
    const userId = validateOwnerId(options.userId, 'userId');
    const summaries: ScheduleSummary[] = [];
    for await (const schedule of this.dependencies.client().schedule.list()) {
      const record = readScheduleRecord(schedule.memo);
      if (!record || record.taskQueue !== this.dependencies.options.taskQueue) continue;
      if (options.agentName !== undefined && record.agentName !== options.agentName) continue;
      if ((tenantId !== undefined && record.tenantId !== tenantId) || (userId !== undefined && record.userId !== userId)) continue;
      summaries.push({
        id: schedule.scheduleId,
        ...ownerOf(record),
        paused: schedule.state.paused,
        ...(schedule.state.note ? { note: schedule.state.note } : {}),
        nextRunTimes: schedule.info.nextActionTimes.map((time) => time.toISOString()),
        recentRuns: schedule.info.recentActions.map(runSummary),
      });
    }
    return summaries.sort((first, second) => first.id.localeCompare(second.id));
  }

  /**
   * The schedule: its timing, task, state and note, the next run times, and the latest runs with
   * their task ids and each task's status. `ScheduleNotFoundError` for an unknown id.
   */
  async describe(scheduleId: string, scope?: TaskScope): Promise<ScheduleDescription> {
    const { description, stored } = await this.read(scheduleId, scope);
    const { record, input, timing } = stored;
    const { info, state } = description;
    const runs = await Promise.all(info.recentActions.map((action) => this.runWithStatus(action)));
    // Temporal tracks open runs only where its overlap policy needs them (not under `allowAll`, nor
    // for triggers): the open recent runs complete the list.
    const running = new Set([
      ...info.runningActions.map((action) => action.workflow.workflowId),
      ...runs.filter((run) => run.open).map((run) => run.taskId),
    ]);
    return {
      id: scheduleId,
      ...ownerOf(record),
      paused: state.paused,
      ...(state.note ? { note: state.note } : {}),
      task: input.message,
      ...(input.context !== undefined ? { context: input.context as JsonValue } : {}),
      ...(timing.cron !== undefined ? { cron: timing.cron } : { everyMs: timing.everyMs }),
      timezone: timing.timezone,
      overlap: timing.overlap,
      catchupWindowMs: timing.catchupWindowMs,
      jitterMs: timing.jitterMs,
      idleTimeoutMs: input.idleTimeoutMs,
      ...(input.budget ? { budget: taskBudgetOf(input.budget) } : {}),
      nextRunTimes: info.nextActionTimes.map((time) => time.toISOString()),
      recentRuns: runs.map(({ open: _open, ...run }) => run),
      runningTaskIds: [...running],
      runCount: info.numActionsTaken,
      skippedRunCount: info.numActionsSkippedOverlap,
      missedRunCount: info.numActionsMissedCatchupWindow,
      createdAt: info.createdAt.toISOString(),
      ...(info.lastUpdatedAt ? { updatedAt: info.lastUpdatedAt.toISOString() } : {}),
    };
  }

  /** Pauses the schedule: no run starts until `unpause` (runs in progress go on). The note says why. */
  async pause(scheduleId: string, note?: string, scope?: TaskScope): Promise<void> {
    const checkedNote = validateScheduleNote(note);
    await this.read(scheduleId, scope);
    await this.call(scheduleId, (handle) => handle.pause(checkedNote ?? DEFAULT_SCHEDULE_PAUSE_NOTE));
  }

  /** Resumes a paused schedule from its next time (runs missed while paused are not taken). */
  async unpause(scheduleId: string, note?: string, scope?: TaskScope): Promise<void> {
    const checkedNote = validateScheduleNote(note);
    await this.read(scheduleId, scope);
    await this.call(scheduleId, (handle) => handle.unpause(checkedNote ?? DEFAULT_SCHEDULE_UNPAUSE_NOTE));
  }

  /**
   * Starts a run now, also when the schedule is paused; by default even while a run is open
   * (`overlap: 'allowAll'`). Its task id is the schedule id and the current time (to the second):
   * two triggers within one second start one run. `describe(id).recentRuns` lists it.
   */
  async trigger(scheduleId: string, options: TriggerScheduleOptions & TaskScope = {}): Promise<void> {
    const overlap = validateOverlap(options.overlap ?? DEFAULT_SCHEDULE_TRIGGER_OVERLAP);
    await this.read(scheduleId, options);
    await this.call(scheduleId, (handle) => handle.trigger(toTemporalOverlap(overlap)));
  }

  /**
   * Changes the schedule (see {@link UpdateScheduleOptions}): the fields given replace the
   * schedule's, validated as `create` validates them; the runs' input is rebuilt with the agent's
   * current settings. Runs in progress keep what they started with. Returns the updated schedule.
   */
  async update(scheduleId: string, changes: UpdateScheduleOptions<TContext>, scope?: TaskScope): Promise<ScheduleDescription> {
    if (!changes || typeof changes !== 'object') throw new ZapValidationError({ message: 'schedules.update needs an object of changes.' });
    for (const field of ['id', 'agentName', 'tenantId', 'userId', 'paused'] as const) {
      if ((changes as Record<string, unknown>)[field] !== undefined) {
        throw new ZapValidationError({
          message: `schedules.update cannot change \`${field}\`: ${field === 'paused' ? 'use pause() or unpause()' : 'delete the schedule and create another'}.`,
        });
      }
    }
    const note = validateScheduleNote(changes.note);
    const { stored } = await this.read(scheduleId, scope);
    const updated = this.rebuild(scheduleId, stored, changes);
    await this.call(scheduleId, (handle) =>
      handle.update<typeof agentWorkflow>((current): ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<typeof agentWorkflow>> => ({
        spec: scheduleSpec(updated.timing),
        action: scheduleAction(updated.input, {
          taskQueue: stored.record.taskQueue,
          timing: updated.timing,
          callerApprovalRules: updated.callerApprovalRules,
          callerBudget: updated.callerBudget,
        }),
        policies: { ...schedulePolicies(updated.timing), pauseOnFailure: current.policies.pauseOnFailure },
        state: {
          paused: current.state.paused,
          ...((note ?? current.state.note) ? { note: note ?? current.state.note } : {}),
          ...(current.state.remainingActions !== undefined ? { remainingActions: current.state.remainingActions } : {}),
        },
      })),
    );
    return this.describe(scheduleId);
  }

  /** Deletes the schedule; no run starts any more. Runs in progress go on (they are ordinary tasks). */
  async delete(scheduleId: string, scope?: TaskScope): Promise<void> {
    await this.read(scheduleId, scope);
    await this.call(scheduleId, (handle) => handle.delete());
  }

  /** The runs' input and the caller's rules and budget, validated as `executeTask` validates a new task. */
  private buildInput(
    scheduleId: string,
    record: ScheduleRecord,
    task: Omit<ScheduleTaskOptions<TContext>, 'idleTimeout'>,
    idleTimeoutMs: number,
  ): { input: AgentWorkflowInput; callerApprovalRules: StoredSchedule['callerApprovalRules']; callerBudget: StoredSchedule['callerBudget'] } {
    const { options: zapOptions } = this.dependencies;
    const request = validateTaskRequest(
      {
        agentName: record.agentName,
        task: task.task,
        taskContent: task.taskContent,
        context: task.context,
        approvalRules: task.approvalRules,
        budget: task.budget,
        tenantId: record.tenantId,
        userId: record.userId,
      } as ExecuteTaskOptions<TContext>,
      zapOptions.agents,
    );
    if (request.kind !== 'new') throw new ZapValidationError({ message: 'A schedule starts new tasks.' });
    const input = buildScheduledTaskInput({
      options: zapOptions,
      scheduleId,
      request,
      idleTimeoutMs,
      searchAttributes: this.dependencies.searchAttributes(),
    });
    return { input, callerApprovalRules: request.approvalRules?.toSpec(), callerBudget: task.budget };
  }

  /** The schedule after `changes`: its timing over the current one, its input rebuilt. */
  private rebuild(
    scheduleId: string,
    stored: StoredSchedule,
    changes: UpdateScheduleOptions<TContext>,
  ): Pick<StoredSchedule, 'timing' | 'input' | 'callerApprovalRules' | 'callerBudget'> {
    const timing = compileScheduleTiming(changes, stored.timing);
    const previous = stored.input;
    const idleTimeoutMs = changes.idleTimeout === undefined ? previous.idleTimeoutMs : readDuration(changes.idleTimeout, 'idleTimeout', true);
    const newText = changes.task !== undefined || changes.taskContent !== undefined;
    const { input, callerApprovalRules, callerBudget } = this.buildInput(
      scheduleId,
      stored.record,
      {
        ...(newText
          ? { task: changes.task, taskContent: changes.taskContent }
          : typeof previous.message === 'string'
            ? { task: previous.message }
            : { taskContent: previous.message }),
        context: 'context' in changes ? changes.context : (previous.context as TContext | undefined),
        approvalRules:
          changes.approvalRules ?? (stored.callerApprovalRules ? ApprovalRules.fromSpec(stored.callerApprovalRules) : undefined),
        budget: 'budget' in changes ? changes.budget : stored.callerBudget,
      },
      idleTimeoutMs,
    );
    return { timing, input, callerApprovalRules, callerBudget };
  }

  /** The schedule's description, when it is one of ours and in `scope`; `ScheduleNotFoundError` otherwise. */
  private async read(scheduleId: string, scope: TaskScope | undefined): Promise<{ description: TemporalScheduleDescription; stored: StoredSchedule }> {
    const validated = validateTaskScope(scope);
    if (typeof scheduleId !== 'string' || scheduleId === '') throw new ZapValidationError({ message: 'A schedule id is required.' });
    const description = await this.call(scheduleId, (handle) => handle.describe());
    const stored = readStoredSchedule(description);
    const outside =
      validated !== undefined &&
      ((validated.tenantId !== undefined && stored?.record.tenantId !== validated.tenantId) ||
        (validated.userId !== undefined && stored?.record.userId !== validated.userId));
    if (!stored || outside) throw new ScheduleNotFoundError({ scheduleId });
    return { description, stored };
  }

  /** Runs a call on the schedule's handle with Temporal's errors translated to ours. */
  private async call<T>(scheduleId: string, operation: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
    try {
      return await operation(this.dependencies.client().schedule.getHandle(scheduleId));
    } catch (error) {
      throw translateScheduleError(error, scheduleId);
    }
  }

  /**
   * A run with its task's status: the `ZapStatus` search attribute (kept by the task), else its
   * closed workflow's status, else a status query (needs a worker; absent when none answers).
   * `open` while its workflow runs.
   */
  private async runWithStatus(action: ScheduleExecutionResult): Promise<ScheduleRun & { open: boolean }> {
    const run = runSummary(action);
    let open = false;
    try {
      const description = await this.dependencies.client().workflow.getHandle(run.taskId).describe();
      open = description.status.name === 'RUNNING';
      const attribute = description.typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE);
      if (attribute !== undefined) return { ...run, status: attribute as TaskStatus, open };
      const closed = CLOSED_STATUS[description.status.name];
      if (closed) return { ...run, status: closed, open };
      return { ...run, status: (await this.dependencies.reader.status(run.taskId)).status, open };
    } catch {
      return { ...run, open };
    }
  }
}

/** The task status of a closed run whose workflow has no `ZapStatus` attribute. */
const CLOSED_STATUS: Partial<Record<string, TaskStatus>> = {
  COMPLETED: TaskStatus.Completed,
  FAILED: TaskStatus.Failed,
  TIMED_OUT: TaskStatus.Failed,
  TERMINATED: TaskStatus.Failed,
  CANCELLED: TaskStatus.Cancelled,
};

/** The agent and owner of a schedule, as its summary shows them. */
function ownerOf(record: ScheduleRecord): Pick<ScheduleSummary, 'agentName' | 'tenantId' | 'userId'> {
  const { taskQueue: _taskQueue, ...owner } = record;
  return owner;
}

function runSummary(action: ScheduleExecutionResult): ScheduleRunSummary {
  return {
    taskId: action.action.workflow.workflowId,
    scheduledAt: action.scheduledAt.toISOString(),
    startedAt: action.takenAt.toISOString(),
  };
}

/** Temporal's schedule errors as zap-agents errors: not found, already exists, invalid spec. */
function translateScheduleError(error: unknown, scheduleId: string): unknown {
  if (error instanceof TemporalScheduleNotFoundError) return new ScheduleNotFoundError({ scheduleId, cause: error });
  if (error instanceof ScheduleAlreadyRunning) return new ScheduleAlreadyExistsError({ scheduleId, cause: error });
  // The schedule client reports a spec the server refuses as a TypeError with the server's reason.
  if (error instanceof TypeError) return new ZapValidationError({ message: `Schedule '${scheduleId}': ${error.message}`, cause: error });
  const cause = error instanceof ServiceError ? (error.cause as { code?: unknown; details?: unknown } | undefined) : undefined;
  if (cause?.code === 3) {
    return new ZapValidationError({ message: `Schedule '${scheduleId}': ${typeof cause.details === 'string' ? cause.details : String(error)}`, cause: error });
  }
  return error;
}
