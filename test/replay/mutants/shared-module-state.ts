/**
 * Module state that outlives a run: the module remembers each run it has seen, and a run it has
 * seen before starts with a timer. Evaluated once per run, it never sees a run twice; preloaded
 * (shared by every run of a V8 context, as zap's workers preload their modules), the second
 * replay of each history adds a command and must fail.
 */
import { sleep, workflowInfo } from '@temporalio/workflow';
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';
import { pipelineWorkflow as currentPipelineWorkflow } from '../../../src/workflows/pipeline-workflow';
import { runAgent as currentRunAgent } from '../../../src/workflows/run-agent';
import { tenantBudgetWorkflow as currentTenantBudgetWorkflow } from '../../../src/workflows/tenant-budget-workflow';

// A Set's contents stay writable when the SDK deep-freezes a preloaded module.
const seenRuns = new Set<string>();

/** Whether this run (the same recorded run replayed again) was seen before; marks it seen. */
function seenBefore(): boolean {
  // The recorded run's start time tells apart the runs of one task and the sets of one scenario.
  const { workflowId, runStartTime } = workflowInfo();
  const run = `${workflowId}@${runStartTime.getTime()}`;
  const seen = seenRuns.has(run);
  seenRuns.add(run);
  return seen;
}

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  if (seenBefore()) await sleep(1);
  return currentAgentWorkflow(...args);
}

export async function pipelineWorkflow(...args: Parameters<typeof currentPipelineWorkflow>): ReturnType<typeof currentPipelineWorkflow> {
  if (seenBefore()) await sleep(1);
  return currentPipelineWorkflow(...args);
}

export async function runAgent(...args: Parameters<typeof currentRunAgent>): ReturnType<typeof currentRunAgent> {
  if (seenBefore()) await sleep(1);
  return currentRunAgent(...args);
}

export async function tenantBudgetWorkflow(...args: Parameters<typeof currentTenantBudgetWorkflow>): ReturnType<typeof currentTenantBudgetWorkflow> {
  // Started first so its update handlers are registered in the first activation, as the recorded run's were.
  const result = currentTenantBudgetWorkflow(...args);
  if (seenBefore()) await sleep(1);
  return result;
}
