import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType, type InvokeModelResult } from '../core/activity-contracts';
import { formatIssues, outputFailure, repairRequest, type OutputIssue } from '../core/structured-output';
import type { AgentTask } from './agent-task';
import { Patch } from './patches';

/** Issues named in the failure's message; all of them are in its details. */
const MESSAGE_ISSUES = 5;

/**
 * What a final answer is taken to lack when the worker sent no check (one of before 0.2.0): a new
 * object each time, since it goes into the task's state.
 */
function uncheckedAnswer(): OutputIssue {
  return {
    code: 'unchecked',
    path: [],
    message: 'The worker that served this model call did not check the answer against the output schema (zap-agents before 0.2.0).',
  };
}

/**
 * Structured output in the turn loop: decides what a final answer (one without tool calls) of a
 * task with an output schema leads to. The model activity has parsed and validated it:
 * - valid: the task's `output` is the parsed value, and the answer stands;
 * - invalid, repair turns left: a user message shows the validation issues and asks again (the
 *   next model call, an iteration like any other), and the answer does not stand;
 * - invalid, none left: the task fails with `OUTPUT_VALIDATION`, carrying the raw answer and the
 *   issues (also kept in the state, for the task's snapshot).
 *
 * @returns true when the answer stands (always, for a task without an output schema)
 */
export function acceptFinalAnswer(task: AgentTask, response: InvokeModelResult): boolean {
  const output = task.input.agent.output;
  // Only tasks with an output schema (0.2.0 inputs) reach the patch: older histories never call it.
  if (!output || !task.patches.has(Patch.StructuredOutput)) return true;
  const { state } = task;
  const check = response.output ?? { valid: false as const, issues: [uncheckedAnswer()] };
  if (check.valid) {
    state.output = check.value;
    state.outputRepairs = 0;
    return true;
  }
  const repairs = state.outputRepairs ?? 0;
  if (repairs < output.maxRepairTurns) {
    state.outputRepairs = repairs + 1;
    state.messages.push({ role: 'user', content: repairRequest(output, check.issues) });
    task.markUpdated();
    return false;
  }
  state.outputRepairs = 0;
  const failure = outputFailure(response.message.content ?? '', check.issues);
  state.outputFailure = failure;
  throw ApplicationFailure.create({
    type: FailureType.OutputValidation,
    message:
      `Agent '${task.input.agent.agentName}' gave no answer matching its output schema ` +
      `(${repairs + 1} attempt(s), ${repairs} repair turn(s)):\n${formatIssues(failure.issues.slice(0, MESSAGE_ISSUES))}`,
    details: [failure],
    nonRetryable: true,
  });
}
