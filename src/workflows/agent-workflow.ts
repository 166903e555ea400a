import { ApplicationFailure, TemporalFailure, isCancellation } from '@temporalio/workflow';
import { FailureType } from '../core/failure-types';
import type { BudgetFailure, StuckFailure } from '../core/task-snapshot';
import { TaskStatus } from '../core/task-status';
import { upgradeWorkflowInput, type AgentWorkflowInput, type AgentWorkflowResult } from '../core/task-state';
import { createTaskActivities } from './activity-proxies';
import { Patch } from './patches';
import { AgentTask } from './agent-task';
import { withRunIdentity } from './run-identity';
import { registerTaskHandlers } from './task-handlers';
import { TurnLoop } from './turn-loop';

/**
 * One agent task. The conversation lives in workflow state; each model call and each tool call
 * is an activity. After an answer the task stays open for follow-ups until `idleTimeoutMs`
 * passes without one, then ends cleanly. Failures end the run failed, cancellation cancelled.
 *
 * The parts: `agent-task.ts` (state and shared operations), `task-handlers.ts` (signals, updates,
 * queries), `turn-loop.ts` (model calls and the idle wait), `tool-dispatch.ts` (tool calls,
 * approvals, retries), `continue-as-new.ts`, `sub-agent-delegation.ts`, `approval-gate.ts`.
 */
export async function agentWorkflow(rawInput: AgentWorkflowInput): Promise<AgentWorkflowResult> {
  // Tasks started (or continued as new) by older workers carry older shapes: upgrade first.
  // A scheduled run takes its task id from the workflow id Temporal gave it.
  const task = new AgentTask(withRunIdentity(upgradeWorkflowInput(rawInput)));
  registerTaskHandlers(task);
  // The task's first run (a continued or retried run carries state): its `onStart` hook.
  if (!task.input.carried) task.hooks.onTaskStarted();
  const loop = new TurnLoop(task, createTaskActivities(task.input.agent));
  try {
    await loop.serveRequests();
    task.closed = true;
    task.statusAttribute.publishNow();
    // A hook started by this run (`onComplete` of the last answer, …) finishes before the run ends.
    await task.hooks.drain();
    const { status, result, output, usage, iteration } = task.state;
    const budgetSpent = task.budget.spentTotal();
    return {
      taskId: task.input.taskId,
      status,
      result,
      ...(output !== undefined ? { output } : {}),
      iterations: iteration,
      usage,
      ...(budgetSpent ? { budgetSpent } : {}),
    };
  } catch (error) {
    if (isCancellation(error)) {
      const reason = task.state.cancelReason ?? 'Cancelled through Temporal';
      task.state.cancelReason = reason;
      task.setStatus(TaskStatus.Cancelled);
      task.statusAttribute.publishNow();
      task.emit({ type: 'cancelled', reason });
      task.closed = true;
      await task.delegation.cancelAll(reason);
      await task.notifyParent({ status: 'cancelled', error: reason });
      await task.hooks.drain();
      throw error;
    }
    const ended = error instanceof ApplicationFailure ? error.nonRetryable : error instanceof TemporalFailure;
    if (ended && (error instanceof ApplicationFailure || task.patches.has(Patch.FailOnTemporalFailure))) {
      const message = (error as TemporalFailure).message;
      if (error instanceof ApplicationFailure && error.type === FailureType.AgentStuck) task.stuckFailure = stuckFailureOf(error);
      if (error instanceof ApplicationFailure && error.type) task.errorCode = error.type;
      if (error instanceof ApplicationFailure && error.type === FailureType.BudgetExceeded) task.budgetFailure = error.details?.[0] as BudgetFailure;
      task.fail(message);
      await task.notifyParent({ status: 'failed', error: message });
      await task.hooks.drain();
      throw error;
    }
    // Anything else is a bug in this workflow or a continue-as-new: let Temporal handle it
    // (a workflow task failure is retried after a fix is deployed; no state is lost).
    throw error;
  }
}

/** The fields of a stuck failure's details (see `StuckDetection`), for the status snapshot. */
function stuckFailureOf(failure: ApplicationFailure): StuckFailure | undefined {
  const details = failure.details?.[0] as Partial<StuckFailure> | undefined;
  if (!details || (details.reason !== 'repeated_call' && details.reason !== 'no_progress') || typeof details.toolName !== 'string' || typeof details.repeats !== 'number') {
    return undefined;
  }
  return { reason: details.reason, toolName: details.toolName, repeats: details.repeats, ...(details.escalation ? { escalation: details.escalation } : {}) };
}
