import { workflowInfo } from '@temporalio/workflow';
import type { AgentWorkflowInput } from '../core/task-state';

/**
 * The input of a run whose workflow id Temporal chose. A schedule starts each run under its
 * action's id with the run's time appended (`daily-report-2025-06-02T09:00:00Z`), so the input,
 * written once when the schedule was created, cannot know the task id: with
 * `taskIdFromWorkflowId` the task takes its id from its workflow id and its creation time from
 * its run's start. The flag is cleared in what the run passes on (continue-as-new carries the
 * real id and time). Issues no command: replays as before.
 */
export function withRunIdentity(input: AgentWorkflowInput): AgentWorkflowInput {
  if (!input.taskIdFromWorkflowId) return input;
  const info = workflowInfo();
  return {
    ...input,
    taskId: info.workflowId,
    // A run that carries state (continue-as-new, retry) keeps the creation time it was given.
    createdAt: input.carried ? input.createdAt : info.runStartTime.toISOString(),
    taskIdFromWorkflowId: false,
  };
}
