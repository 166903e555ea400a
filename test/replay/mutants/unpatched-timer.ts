/**
 * A deliberately broken upgrade: each recorded workflow type (the agent workflow, the pipeline
 * workflow, `runAgent`, the tenant budget workflow) now starts with a timer, a change of command
 * order WITHOUT `patched()`. Every recorded history must fail to replay against it.
 */
import { sleep } from '@temporalio/workflow';
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';
import { pipelineWorkflow as currentPipelineWorkflow } from '../../../src/workflows/pipeline-workflow';
import { runAgent as currentRunAgent } from '../../../src/workflows/run-agent';
import { tenantBudgetWorkflow as currentTenantBudgetWorkflow } from '../../../src/workflows/tenant-budget-workflow';

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  await sleep(1);
  return currentAgentWorkflow(...args);
}

export async function pipelineWorkflow(...args: Parameters<typeof currentPipelineWorkflow>): ReturnType<typeof currentPipelineWorkflow> {
  await sleep(1);
  return currentPipelineWorkflow(...args);
}

export async function runAgent(...args: Parameters<typeof currentRunAgent>): ReturnType<typeof currentRunAgent> {
  await sleep(1);
  return currentRunAgent(...args);
}

export async function tenantBudgetWorkflow(...args: Parameters<typeof currentTenantBudgetWorkflow>): ReturnType<typeof currentTenantBudgetWorkflow> {
  // Started first so its update handlers are registered in the first activation, as the recorded run's were.
  const result = currentTenantBudgetWorkflow(...args);
  await sleep(1);
  return result;
}
