/**
 * The same change as `unpatched-timer.ts`, done right: behind `patched()`, so histories recorded
 * before it replay the old path and only new workflows take the timer.
 */
import { patched, sleep } from '@temporalio/workflow';
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';
import { pipelineWorkflow as currentPipelineWorkflow } from '../../../src/workflows/pipeline-workflow';
import { runAgent as currentRunAgent } from '../../../src/workflows/run-agent';
import { tenantBudgetWorkflow as currentTenantBudgetWorkflow } from '../../../src/workflows/tenant-budget-workflow';

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  if (patched('zap-replay-gate-example')) await sleep(1);
  return currentAgentWorkflow(...args);
}

export async function pipelineWorkflow(...args: Parameters<typeof currentPipelineWorkflow>): ReturnType<typeof currentPipelineWorkflow> {
  if (patched('zap-replay-gate-example')) await sleep(1);
  return currentPipelineWorkflow(...args);
}

export async function runAgent(...args: Parameters<typeof currentRunAgent>): ReturnType<typeof currentRunAgent> {
  if (patched('zap-replay-gate-example')) await sleep(1);
  return currentRunAgent(...args);
}

export async function tenantBudgetWorkflow(...args: Parameters<typeof currentTenantBudgetWorkflow>): ReturnType<typeof currentTenantBudgetWorkflow> {
  const result = currentTenantBudgetWorkflow(...args);
  if (patched('zap-replay-gate-example')) await sleep(1);
  return result;
}
