import { ApplicationFailure } from '@temporalio/workflow';
import { budgetSnapshot, initialBudgetState, type BudgetState } from '../core/budget';
import { FailureType } from '../core/activity-contracts';
import { EventLog } from '../core/event-log';
import type { DurableEventInput } from '../core/events';
import { DEFAULT_PIPELINE_HOOK_HEARTBEAT_TIMEOUT_MS } from '../core/defaults';
import type { JsonValue } from '../core/json';
import type { TokenUsage } from '../core/messages';
import {
  pipelineAgentName,
  type BuildPipelineStepInput,
  type PipelineRunStatus,
  type PipelineSnapshot,
  type PipelineStepResult,
  type PipelineWorkflowResult,
  type UpgradedPipelineInput,
} from '../core/pipeline-state';
import type { TaskSnapshot, TaskStatusSnapshot } from '../core/task-snapshot';
import type { SubTaskUpdate } from '../core/task-state';
import { TaskStatus } from '../core/task-status';
import { ApprovalGate } from './approval-gate';
import { LifecycleHooks } from './lifecycle-hooks';
import { RunPatches } from './run-patches';
import { StatusSearchAttribute } from './status-search-attribute';

/** How a step failed: what its result records, and the failure that ends the run. */
export type StepFailure = Pick<PipelineStepResult, 'response' | 'issues' | 'iterations'> & {
  status: 'max-iterations' | 'stuck' | 'error' | 'rejected' | 'timed-out';
  error: string;
};

/**
 * One pipeline run inside its workflow: the (upgraded) input, each step's result, the outputs so
 * far, the event log, the gates' approvals, and the snapshots the status queries answer with.
 * The steps themselves run in `pipeline-agent-step.ts` and `pipeline-gate.ts`.
 */
export class PipelineExecution {
  /** The changes this run takes (asked first, before any command: see {@link RunPatches}). */
  readonly patches = new RunPatches();
  readonly eventLog: EventLog;
  /** The gates: each a pending approval of the run, decided by `decideApprovalUpdate`. */
  readonly approvals = new ApprovalGate(this.patches);
  readonly steps: PipelineStepResult[];
  readonly outputs: Record<string, JsonValue> = {};
  /** Keeps `ZapStatus` up to date when the run was started with search attributes. */
  readonly statusAttribute: StatusSearchAttribute;
  /** The pipeline's lifecycle hooks (`pipeline(name, { hooks })`), each a `runHook` activity. */
  readonly hooks: LifecycleHooks;
  /** The latest report of each step task (`subTaskUpdateSignal`), by task id. */
  readonly reports: Record<string, SubTaskUpdate> = {};
  status: PipelineRunStatus = 'running';
  currentStep: string | undefined;
  failedStep: string | undefined;
  error: string | undefined;
  cancelReason: string | undefined;
  /** True once the run has ended for good; reported to streaming consumers. */
  closed = false;
  private updatedAt: string;
  /** Index of the first step this run executes (0, or the `fromStep` of a retry). */
  readonly firstStepIndex: number;
  /** The run's budget ledger, when it has a budget: each agent step's task draws what is left. */
  readonly budget: BudgetState | undefined;

  constructor(readonly input: UpgradedPipelineInput) {
    this.eventLog = new EventLog(input.runId, input.eventLogLimit, { events: [], lastSeq: input.lastEventSeq });
    this.updatedAt = new Date().toISOString();
    this.budget = input.budget ? initialBudgetState(input.budget) : undefined;
    const fromIndex = input.fromStep === undefined ? 0 : input.steps.findIndex((step) => step.name === input.fromStep);
    this.firstStepIndex = Math.max(0, fromIndex);
    const reused = new Map(input.reusedSteps.map((step) => [step.name, step]));
    this.steps = input.steps.map((plan, index): PipelineStepResult => {
      const earlier = index < this.firstStepIndex ? reused.get(plan.name) : undefined;
      if (earlier) return { ...earlier, reused: true };
      return { name: plan.name, kind: plan.kind, status: 'not-started', ...(plan.agentName !== undefined ? { agentName: plan.agentName } : {}) };
    });
    for (const step of this.steps) if (step.reused && step.output !== undefined) this.outputs[step.name] = step.output;
    this.statusAttribute = new StatusSearchAttribute(this.patches, input.searchAttributes, () => this.taskStatus());
    this.hooks = new LifecycleHooks({
      input: {
        taskId: input.runId,
        createdAt: input.createdAt,
        agent: { agentName: pipelineAgentName(input.pipelineName), hooks: input.hooks, heartbeatTimeoutMs: DEFAULT_PIPELINE_HOOK_HEARTBEAT_TIMEOUT_MS },
      },
      statusSnapshot: () => this.statusSnapshot(),
      patches: this.patches,
    });
  }

  emit(event: DurableEventInput): void {
    const recorded = this.eventLog.append(event, new Date());
    this.markUpdated();
    // Runs the hook of a run's approval_requested (a gate), completed or error event, if the pipeline has one.
    this.hooks.onEvent(recorded);
  }

  markUpdated(): void {
    this.updatedAt = new Date().toISOString();
  }

  /** What the step activity needs to build step `name`: the run, its input and the outputs so far. */
  buildInput(stepName: string): BuildPipelineStepInput {
    const { input } = this;
    return {
      pipelineName: input.pipelineName,
      stepName,
      runId: input.runId,
      input: input.input,
      prev: { ...this.outputs },
      ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
      ...(input.userId !== undefined ? { userId: input.userId } : {}),
    };
  }

  /** Step `index` becomes the current one. */
  beginStep(index: number): PipelineStepResult {
    const step = this.steps[index] as PipelineStepResult;
    this.currentStep = step.name;
    step.startedAt = new Date().toISOString();
    this.markUpdated();
    return step;
  }

  /** Step `index` is done: its output (none for a gate) is there for the steps after it. */
  completeStep(index: number, output: JsonValue | undefined): void {
    const step = this.steps[index] as PipelineStepResult;
    step.status = 'complete';
    step.finishedAt = new Date().toISOString();
    if (output !== undefined) {
      step.output = output;
      this.outputs[step.name] = output;
    }
    this.status = 'running';
    this.emit({ type: 'step_finished', step: step.name, kind: step.kind, status: 'complete' });
  }

  /** Step `index` failed: the run ends with an error naming it. Returns the failure to throw. */
  failStep(index: number, failure: StepFailure): ApplicationFailure {
    const step = this.steps[index] as PipelineStepResult;
    const { status, error, ...rest } = failure;
    Object.assign(step, { status, error, finishedAt: new Date().toISOString() }, definedFields(rest));
    this.status = 'error';
    this.failedStep = step.name;
    this.error = `Step '${step.name}' of pipeline '${this.input.pipelineName}' ended ${status}: ${error}`;
    this.emit({ type: 'step_finished', step: step.name, kind: step.kind, status, error });
    return ApplicationFailure.create({
      type: FailureType.PipelineStep,
      message: this.error,
      nonRetryable: true,
      // What `getPipelineRun` and `retryPipeline` read when no worker can answer a query.
      details: [
        {
          runId: this.input.runId,
          pipelineName: this.input.pipelineName,
          stepName: step.name,
          status,
          ...(step.response !== undefined ? { response: step.response } : {}),
          ...(step.issues !== undefined ? { issues: step.issues } : {}),
          pipeline: this.pipelineSnapshot(),
        },
      ],
    });
  }

  /** Every step is done. */
  complete(): void {
    this.status = 'complete';
    this.currentStep = undefined;
    this.emit({ type: 'completed', result: this.lastResponse() ?? '' });
    this.closed = true;
  }

  /** What the workflow returns once every step is done. */
  result(): PipelineWorkflowResult {
    const result = this.lastResponse();
    return {
      taskId: this.input.runId,
      status: 'completed',
      ...(result !== undefined ? { result } : {}),
      output: { ...this.outputs },
      usage: this.usage(),
      pipeline: this.pipelineSnapshot(),
    };
  }

  /** The status the run reports in the task protocol (and as `ZapStatus`). */
  taskStatus(): TaskStatus {
    switch (this.status) {
      case 'complete':
        return TaskStatus.Completed;
      case 'error':
        return TaskStatus.Failed;
      case 'cancelled':
        return TaskStatus.Cancelled;
      case 'pending':
        return TaskStatus.AwaitingApproval;
      default:
        return this.currentStep === undefined ? TaskStatus.Pending : TaskStatus.Thinking;
    }
  }

  /** The `pipeline` field of the status: steps, outputs, and what the run waits for. */
  pipelineSnapshot(): PipelineSnapshot {
    const pendingGate = this.status === 'pending' ? this.steps.find((step) => step.status === 'pending') : undefined;
    return {
      name: this.input.pipelineName,
      status: this.status,
      ...(this.currentStep !== undefined ? { currentStep: this.currentStep } : {}),
      stepsCompleted: this.steps.filter((step) => step.status === 'complete').length,
      stepCount: this.steps.length,
      steps: this.steps.map((step) => ({ ...step })),
      ...(this.failedStep !== undefined ? { failedStep: this.failedStep } : {}),
      ...(pendingGate ? { pendingStep: pendingGate.name } : {}),
      ...(pendingGate?.gate ? { approvalMessage: pendingGate.gate.message } : {}),
      input: this.input.input,
      outputs: { ...this.outputs },
      ...(this.error !== undefined ? { error: this.error } : {}),
      attempt: this.input.attempt,
    };
  }

  /** What the task-status query answers: the task protocol's shape, plus `pipeline`. */
  statusSnapshot(): TaskStatusSnapshot {
    const result = this.lastResponse();
    // A gate left undecided by a cancelled run waits for nothing any more.
    const pendingApprovals = this.status === 'pending' ? this.approvals.pending() : [];
    return {
      taskId: this.input.runId,
      agentName: pipelineAgentName(this.input.pipelineName),
      status: this.taskStatus(),
      ...(result !== undefined ? { result } : {}),
      output: { ...this.outputs },
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.status === 'cancelled' ? { cancelReason: this.cancelReason ?? 'Cancelled' } : {}),
      messageCount: 0,
      subTasks: this.steps.flatMap((step) => (step.taskId !== undefined && !step.reused ? [step.taskId] : [])),
      usage: this.usage(),
      ...(this.budget && this.input.budget ? { budget: budgetSnapshot(this.budget, this.input.budget) } : {}),
      pendingApprovals,
      approvals: this.approvals.all().map(({ request, decision }) => ({ ...request, ...decision })),
      waitingFor: {
        events: [],
        approvals: pendingApprovals.map((request) => request.id),
        subTasks: this.steps.flatMap((step) => (step.status === 'running' && step.taskId !== undefined ? [step.taskId] : [])),
        eventWaits: [],
      },
      ...(this.input.tenantId !== undefined ? { tenantId: this.input.tenantId } : {}),
      ...(this.input.userId !== undefined ? { userId: this.input.userId } : {}),
      lastEventSeq: this.eventLog.latestSeq(),
      pipeline: this.pipelineSnapshot(),
      createdAt: this.input.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  /** What the task-state query answers: the status snapshot (a run has no conversation of its own). */
  snapshot(): TaskSnapshot {
    return { ...this.statusSnapshot(), history: [], receivedEvents: [] };
  }

  /** Tokens of every step's task (reused steps included). */
  usage(): TokenUsage {
    return this.steps.reduce(
      (total, step) => ({
        promptTokens: total.promptTokens + (step.usage?.promptTokens ?? 0),
        completionTokens: total.completionTokens + (step.usage?.completionTokens ?? 0),
      }),
      { promptTokens: 0, completionTokens: 0 },
    );
  }

  /** The answer of the last agent step that has one. */
  private lastResponse(): string | undefined {
    for (let index = this.steps.length - 1; index >= 0; index -= 1) {
      const response = this.steps[index]?.response;
      if (response !== undefined && this.steps[index]?.status === 'complete') return response;
    }
    return undefined;
  }
}

function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
