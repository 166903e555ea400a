import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, log, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import { utf8ByteLength } from '../core/message-pages';
import type { AgentWorkflowInput, CarriedTaskState } from '../core/task-state';
import type { AgentTask } from './agent-task';
import type { agentWorkflow } from './agent-workflow';
import { Patch } from './patches';

/**
 * Largest input of a new run. Temporal refuses payloads over 2 MB (and warns above 512 KB), so
 * a task whose state is larger keeps its run instead.
 */
export const MAX_CONTINUE_AS_NEW_INPUT_BYTES = 1_800_000;
/**
 * A task that cannot continue as new fails once its history reaches this size or length, with
 * room left under Temporal's hard limits (50 MB, 51,200 events) for the failure itself, so the
 * failure is explicit (an `error` event, the parent told) instead of a termination by the server.
 */
export const HISTORY_HARD_STOP_BYTES = 40 * 1024 * 1024;
export const HISTORY_HARD_STOP_EVENTS = 40_000;

/**
 * Continues the task as a new run when Temporal suggests it (or the test threshold is reached),
 * carrying the whole state; the task id, queries, follow-ups and event numbering are unaffected.
 * Called only between requests or turns, never with a tool call or approval in flight.
 */
export async function continueAsNewIfDue(task: AgentTask): Promise<void> {
  if (!isContinueAsNewDue(task)) return;
  const info = workflowInfo();
  if (!task.patches.has(Patch.ContinueAsNewLimits)) return continueAsNewAsIn010(task);
  // Hooks started by this run would be lost with it (before the state is taken: it may change meanwhile).
  await task.hooks.drain();
  const carried = carriedState(task);
  const nextInput: AgentWorkflowInput = { ...task.input, carried };
  const inputBytes = utf8ByteLength(JSON.stringify(nextInput));
  if (inputBytes <= MAX_CONTINUE_AS_NEW_INPUT_BYTES) {
    await condition(allHandlersFinished);
    await continueAsNew<typeof agentWorkflow>(nextInput);
  }
  if (!task.continueAsNewRefused) {
    task.continueAsNewRefused = true;
    log.warn('Not continuing as new yet: the task state is too large to carry', { inputBytes, taskId: task.input.taskId });
  }
  const hardStopEvents = Math.min(task.input.historyHardStopEvents ?? HISTORY_HARD_STOP_EVENTS, HISTORY_HARD_STOP_EVENTS);
  if (info.historySize >= HISTORY_HARD_STOP_BYTES || info.historyLength >= hardStopEvents) {
    throw ApplicationFailure.create({
      type: FailureType.TaskStateTooLarge,
      message:
        `Task ${task.input.taskId} cannot continue: its state (${formatMegabytes(inputBytes)}) is over the ` +
        `${formatMegabytes(MAX_CONTINUE_AS_NEW_INPUT_BYTES)} a new run can carry, and its history ` +
        `(${formatMegabytes(info.historySize)}, ${info.historyLength} events) is near Temporal's limits. ` +
        'Start a new task; use a payload store or smaller tool results for conversations this large.',
      nonRetryable: true,
    });
  }
}

/**
 * True when {@link continueAsNewIfDue} has something to do. Checked first by the turn loop: an
 * `await` costs every step a stack capture in the SDK's promise hook, even when nothing is due.
 */
export function isContinueAsNewDue(task: AgentTask): boolean {
  const info = workflowInfo();
  const limit = task.input.continueAsNewAfterEvents;
  return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
}

/** What 0.1.0 did (its histories replay this path): measure the carried state only, refuse once and for all. */
async function continueAsNewAsIn010(task: AgentTask): Promise<void> {
  if (task.continueAsNewRefused) return;
  const carried = carriedState(task);
  const carriedBytes = utf8ByteLength(JSON.stringify(carried));
  if (carriedBytes > MAX_CONTINUE_AS_NEW_INPUT_BYTES) {
    task.continueAsNewRefused = true;
    log.warn('Not continuing as new: the task state is too large to carry', { carriedBytes, taskId: task.input.taskId });
    return;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof agentWorkflow>({ ...task.input, carried });
}

function carriedState(task: AgentTask): CarriedTaskState {
  return { ...task.state, eventLog: task.eventLog.toState(), runCount: task.state.runCount + 1 };
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
