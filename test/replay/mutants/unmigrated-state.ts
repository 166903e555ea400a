/**
 * A deliberately broken upgrade of the state: it reads a field that older workflows never had,
 * without a default from the state migration. The workflow task fails with a TypeError for every
 * recorded history (agent, pipeline, `runAgent` and tenant budget workflows alike), which the
 * replay gate must report (it is not a nondeterminism error).
 */
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';
import { pipelineWorkflow as currentPipelineWorkflow } from '../../../src/workflows/pipeline-workflow';
import { runAgent as currentRunAgent } from '../../../src/workflows/run-agent';
import { tenantBudgetWorkflow as currentTenantBudgetWorkflow } from '../../../src/workflows/tenant-budget-workflow';

interface InputWithNewField {
  fieldAddedLater: { items: unknown[] };
}

function readNewField(firstArgument: unknown): void {
  const input = firstArgument as InputWithNewField;
  if (input.fieldAddedLater.items.length > 100) throw new Error('unreachable');
}

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  readNewField(args[0]);
  return currentAgentWorkflow(...args);
}

export async function pipelineWorkflow(...args: Parameters<typeof currentPipelineWorkflow>): ReturnType<typeof currentPipelineWorkflow> {
  readNewField(args[0]);
  return currentPipelineWorkflow(...args);
}

export async function runAgent(...args: Parameters<typeof currentRunAgent>): ReturnType<typeof currentRunAgent> {
  readNewField(args[1]);
  return currentRunAgent(...args);
}

export async function tenantBudgetWorkflow(...args: Parameters<typeof currentTenantBudgetWorkflow>): ReturnType<typeof currentTenantBudgetWorkflow> {
  readNewField(args[0]);
  return currentTenantBudgetWorkflow(...args);
}
