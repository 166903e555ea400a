import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  isCancellation,
  startChild,
} from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import type { AgentTaskSettings } from '../core/agent-settings';
import { reconcileChild, reserveForChild } from '../core/budget';
import type { JsonValue } from '../core/json';
import type { PipelineStepPlan } from '../core/pipeline-state';
import { formatIssues, type OutputCheck, type OutputIssue } from '../core/structured-output';
import type { AgentWorkflowResult } from '../core/task-state';
import { AGENT_WORKFLOW_TYPE } from './definitions';
import { describeFailure } from './describe-failure';
import { pipelineActivities } from './pipeline-activities';
import type { PipelineExecution, StepFailure } from './pipeline-execution';
import { buildPlannedStep } from './pipeline-step-build';
import { subTaskStartOptions } from './sub-task-start';

/**
 * Runs agent step `index` of a run: its request and task settings are built on a worker (the
 * step's `input` function), then a child agent task runs it (tools, approvals, streaming and
 * delegation work as in any task) and the run waits for the child to close. The child answers
 * once and closes (no idle time for follow-ups); a structured step's output is checked again
 * with the step's real zod schema. Any failure ends the run (see {@link PipelineExecution.failStep}).
 */
export async function runAgentStep(run: PipelineExecution, index: number): Promise<void> {
  const plan = run.input.steps[index] as PipelineStepPlan;
  const step = run.beginStep(index);
  const build = await buildPlannedStep(run, index, plan.name, 'agent');
  const { input } = run;
  const subTaskId = `${input.runId}.${plan.name}.${input.attempt}`;
  Object.assign(step, { status: 'running', agentName: build.agent.agentName, taskId: subTaskId });
  run.emit({ type: 'step_started', step: plan.name, kind: 'agent', index: index + 1, agentName: build.agent.agentName, subTaskId });

  let outcome: AgentWorkflowResult;
  try {
    const child = await startChild(AGENT_WORKFLOW_TYPE, {
      ...subTaskStartOptions({
        subTaskId,
        agent: build.agent,
        message: build.message,
        context: build.context,
        approvalRules: build.agent.approvalRules,
        // The step's task answers once and closes: a pipeline sends it no follow-up.
        idleTimeoutMs: 0,
        eventLogLimit: input.eventLogLimit,
        inlineMessageBytes: input.inlineMessageBytes,
        continueAsNewAfterEvents: undefined,
        historyHardStopEvents: undefined,
        parentTaskId: input.runId,
        tenantId: input.tenantId,
        userId: input.userId,
        searchAttributes: run.statusAttribute.enabled,
        createdAt: new Date().toISOString(),
        // Steps run one at a time: a step's task may spend all that is left of the run's budget.
        ...(run.budget && input.budget
          ? { budget: { limits: reserveForChild(run.budget, subTaskId, 1, undefined), onExceeded: 'fail' as const, askTimeoutMs: input.budget.askTimeoutMs } }
          : {}),
      }),
      // A run that ends (failed, terminated) asks its running step to cancel.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    outcome = (await child.result()) as AgentWorkflowResult;
    if (run.budget) reconcileChild(run.budget, subTaskId, outcome.budgetSpent, undefined);
  } catch (error) {
    // What the step spent by its last report (its whole reservation when it never reported).
    if (run.budget) reconcileChild(run.budget, subTaskId, run.reports[subTaskId]?.budgetSpent, undefined);
    // The run itself is being cancelled: its step task is cancelled with it.
    if (isCancellation(error) && CancellationScope.current().consideredCancelled) throw error;
    throw run.failStep(index, stepTaskFailure(error, build.agent));
  }

  Object.assign(step, {
    usage: outcome.usage,
    ...(outcome.result !== undefined ? { response: outcome.result } : {}),
    ...(outcome.iterations !== undefined ? { iterations: outcome.iterations } : {}),
  });
  let output: JsonValue = outcome.result ?? '';
  if (plan.structured) {
    if (outcome.output === undefined) {
      throw run.failStep(index, { status: 'error', error: 'its task answered without an output', response: outcome.result });
    }
    let check: OutputCheck;
    try {
      check = await pipelineActivities.checkPipelineOutput({ pipelineName: input.pipelineName, stepName: plan.name, output: outcome.output });
    } catch (error) {
      if (error instanceof ActivityFailure && !isCancellation(error)) {
        throw run.failStep(index, { status: 'error', error: `its output could not be checked: ${describeFailure(error)}` });
      }
      throw error;
    }
    if (!check.valid) {
      throw run.failStep(index, {
        status: 'error',
        error: `its output does not match the step's output schema:\n${formatIssues(check.issues)}`,
        response: outcome.result,
        issues: check.issues,
      });
    }
    output = check.value;
  }
  run.completeStep(index, output);
}

/** How a step's task failed, from its child workflow failure: the task's own failure type decides the status. */
function stepTaskFailure(error: unknown, agent: AgentTaskSettings): StepFailure {
  const cause = error instanceof ChildWorkflowFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { rawAnswer?: unknown; issues?: unknown };
    switch (cause.type) {
      case FailureType.MaxIterationsExceeded:
        return { status: 'max-iterations', error: cause.message, iterations: agent.maxIterations };
      case FailureType.AgentStuck:
        return { status: 'stuck', error: cause.message };
      case FailureType.OutputValidation:
        return {
          status: 'error',
          error: cause.message,
          ...(typeof details.rawAnswer === 'string' ? { response: details.rawAnswer } : {}),
          ...(Array.isArray(details.issues) ? { issues: details.issues as OutputIssue[] } : {}),
        };
      default:
        return { status: 'error', error: cause.message };
    }
  }
  if (isCancellation(error)) return { status: 'error', error: 'its task was cancelled' };
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return { status: 'error', error: message || 'its task ended without an answer' };
}
