import { allHandlersFinished, condition, continueAsNew, log, workflowInfo } from '@temporalio/workflow';
import { utf8ByteLength } from '../core/message-pages';
import type { CarriedTaskState } from '../core/task-state';
import type { AgentTask } from './agent-task';
import type { agentWorkflow } from './agent-workflow';

/**
 * Largest state carried into a new run. Temporal refuses payloads over 2 MB (and warns above
 * 512 KB), so anything larger stays in the current run.
 */
const MAX_CARRIED_STATE_BYTES = 1_800_000;

/**
 * Continues the task as a new run when Temporal suggests it (or the test threshold is reached),
 * carrying the whole state; the task id, queries, follow-ups and event numbering are unaffected.
 * Called only between requests or turns, never with a tool call or approval in flight.
 */
export async function continueAsNewIfDue(task: AgentTask): Promise<void> {
  if (task.continueAsNewRefused) return;
  const info = workflowInfo();
  const limit = task.input.continueAsNewAfterEvents;
  const due = info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  if (!due) return;
  const carried: CarriedTaskState = { ...task.state, eventLog: task.eventLog.toState(), runCount: task.state.runCount + 1 };
  const carriedBytes = utf8ByteLength(JSON.stringify(carried));
  if (carriedBytes > MAX_CARRIED_STATE_BYTES) {
    // The next run's input would exceed Temporal's payload limit and the continue-as-new would
    // fail forever. Keep this run instead: its history can still grow far (up to 50 MB), and a
    // conversation this large has long outgrown any model's context.
    task.continueAsNewRefused = true;
    log.warn('Not continuing as new: the task state is too large to carry', { carriedBytes, taskId: task.input.taskId });
    return;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof agentWorkflow>({ ...task.input, carried });
}
