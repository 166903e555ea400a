import { CancellationScope, getExternalWorkflowHandle } from '@temporalio/workflow';
import { toUsd } from '../core/budget';
import { EventLog } from '../core/event-log';
import type { DurableEventInput } from '../core/events';
import { takeMessagePage } from '../core/message-pages';
import type { BudgetFailure, StuckFailure, TaskSnapshot, TaskStatusSnapshot, TaskWaitingFor } from '../core/task-snapshot';
import type { AgentWorkflowInput, CarriedTaskState, SubTaskUpdate } from '../core/task-state';
import { initialTaskState } from '../core/task-state';
import { TaskStatus } from '../core/task-status';
import { ApprovalGate } from './approval-gate';
import { subTaskUpdateSignal } from './definitions';
import { LifecycleHooks } from './lifecycle-hooks';
import { NamedEvents } from './named-events';
import { RunPatches } from './run-patches';
import { StatusSearchAttribute } from './status-search-attribute';
import { SubAgentDelegation } from './sub-agent-delegation';
import { TaskBudgetKeeper } from './task-budget';

/**
 * One agent task inside its workflow run: the (upgraded) input, the durable state, the event log,
 * approvals and delegation, and the small operations every part of the workflow shares. The turn
 * loop, tool dispatch, message handlers and continue-as-new each live in their own file and act
 * on this object.
 */
export class AgentTask {
  /** The changes this run takes (asked first, before any command: see {@link RunPatches}). */
  readonly patches = new RunPatches();
  readonly state: CarriedTaskState;
  readonly eventLog: EventLog;
  readonly approvals: ApprovalGate;
  readonly delegation: SubAgentDelegation;
  readonly events: NamedEvents;
  /** Keeps `ZapStatus` up to date when the task was started with search attributes. */
  readonly statusAttribute: StatusSearchAttribute;
  /** The agent's lifecycle hooks: run as activities on the events they listen to. */
  readonly hooks: LifecycleHooks;
  /** The task's budget, when it has one (`input.budget`). */
  readonly budget: TaskBudgetKeeper;
  /** Tool calls of the current turn still waiting for a human decision. */
  awaitingApproval = 0;
  /** True once the task has ended for good; reported to streaming consumers. */
  closed = false;
  /** Set when the state is too large to carry into a new run. */
  continueAsNewRefused = false;
  /** What stuck detection found, once it failed the task (the run ends with it). */
  stuckFailure: StuckFailure | undefined;
  /** The failure type that failed the task (`APPROVAL_TIMED_OUT`, `AGENT_STUCK`, …), for the snapshot. */
  errorCode: string | undefined;
  /** Which budget limit failed the task, once one did. */
  budgetFailure: BudgetFailure | undefined;
  private error: string | undefined;

  constructor(readonly input: AgentWorkflowInput) {
    this.state = input.carried ?? initialTaskState(input);
    this.eventLog = new EventLog(input.taskId, input.eventLogLimit, this.state.eventLog);
    this.hooks = new LifecycleHooks(this);
    this.approvals = new ApprovalGate(this.patches, this.state.approvals);
    this.delegation = new SubAgentDelegation(this, this.state.delegation);
    this.events = new NamedEvents(this, (this.state.receivedEvents ??= []));
    this.budget = new TaskBudgetKeeper(this);
    this.statusAttribute = new StatusSearchAttribute(this.patches, input.searchAttributes === true, () => this.state.status);
  }

  /** True when this run's sub-tasks start with search attributes (see {@link StatusSearchAttribute}). */
  get searchAttributesEnabled(): boolean {
    return this.statusAttribute.enabled;
  }

  emit(event: DurableEventInput): void {
    this.hooks.onEvent(this.eventLog.append(event, new Date()));
  }

  setStatus(status: TaskStatus): void {
    this.state.status = status;
    this.markUpdated();
  }

  /** The status while tool calls run: a human decision first, then a named event, else the tools. */
  toolCallsStatus(): TaskStatus {
    if (this.awaitingApproval > 0) return TaskStatus.AwaitingApproval;
    if (this.events.pendingWaits().length > 0) return TaskStatus.AwaitingEvent;
    return TaskStatus.AwaitingTool;
  }

  /** A `wait_for_event` call started or stopped waiting. */
  onEventWaitsChanged(): void {
    this.setStatus(this.toolCallsStatus());
  }

  /** Records that the task changed now (what `updatedAt` reports). */
  markUpdated(): void {
    this.state.updatedAt = new Date().toISOString();
  }

  /** Ends the task as failed: status, `error` event, closed for streams. */
  fail(message: string): void {
    this.error = message;
    this.setStatus(TaskStatus.Failed);
    this.statusAttribute.publishNow();
    this.emit({ type: 'error', error: message });
    this.closed = true;
  }

  /** Tells the parent task (if any) that this sub-task answered, failed or was cancelled. */
  async notifyParent(report: Omit<SubTaskUpdate, 'subTaskId' | 'answerNumber'>): Promise<void> {
    const parentTaskId = this.input.parentTaskId;
    if (!parentTaskId) return;
    const spent = this.budget.spentTotal();
    const update: SubTaskUpdate = {
      subTaskId: this.input.taskId,
      answerNumber: this.state.answerCount,
      ...report,
      ...(spent ? { budgetSpent: spent } : {}),
    };
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(parentTaskId).signal(subTaskUpdateSignal, update);
      } catch {
        // The parent has ended; nobody is waiting for this answer.
      }
    });
  }

  /** What the task-state query answers: the status and the conversation's first page. */
  snapshot(): TaskSnapshot {
    return {
      ...this.statusSnapshot(),
      history: takeMessagePage(this.state.messages, 0, this.state.messages.length),
      receivedEvents: this.state.receivedEvents,
    };
  }

  /** What the task-status query answers: everything but the conversation. */
  statusSnapshot(): TaskStatusSnapshot {
    return {
      taskId: this.input.taskId,
      agentName: this.input.agent.agentName,
      status: this.state.status,
      result: this.state.result,
      ...(this.state.output !== undefined ? { output: this.state.output } : {}),
      error: this.error,
      ...(this.state.outputFailure && this.state.status === TaskStatus.Failed ? { outputFailure: this.state.outputFailure } : {}),
      ...(this.stuckFailure && this.state.status === TaskStatus.Failed ? { stuckFailure: this.stuckFailure } : {}),
      ...(this.errorCode && this.state.status === TaskStatus.Failed ? { errorCode: this.errorCode } : {}),
      ...(this.budgetFailure && this.state.status === TaskStatus.Failed ? { budgetFailure: this.budgetFailure } : {}),
      ...(this.state.status === TaskStatus.Cancelled ? { cancelReason: this.state.cancelReason } : {}),
      messageCount: this.state.messages.length,
      subTasks: this.delegation.subTaskIds(),
      usage: this.state.usage,
      ...(this.state.costNanoUsd ? { costUsd: toUsd(this.state.costNanoUsd) } : {}),
      ...(this.budget.active ? { budget: this.budget.snapshot() } : {}),
      pendingApprovals: this.approvals.pending(),
      approvals: this.approvals.all().map(({ request, decision }) => ({ ...request, ...decision })),
      waitingFor: this.waitingFor(),
      parentTaskId: this.input.parentTaskId,
      tenantId: this.input.tenantId,
      userId: this.input.userId,
      ...(this.input.scheduleId !== undefined ? { scheduleId: this.input.scheduleId } : {}),
      lastEventSeq: this.eventLog.latestSeq(),
      createdAt: this.input.createdAt,
      updatedAt: this.state.updatedAt,
    };
  }

  /** What the current turn waits for: named events, human decisions, sub-agent answers. */
  private waitingFor(): TaskWaitingFor {
    const eventWaits = this.events.pendingWaits();
    return {
      events: eventWaits.map((wait) => wait.eventName),
      approvals: this.approvals.pending().map((request) => request.id),
      subTasks: this.state.delegation.conversations
        .filter((conversation) => conversation.awaitingAnswer)
        .map((conversation) => conversation.subTaskId),
      eventWaits,
    };
  }
}
