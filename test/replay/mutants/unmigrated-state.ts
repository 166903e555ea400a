/**
 * A deliberately broken upgrade of the state: it reads a field that older tasks never had,
 * without a default from the state migration. The workflow task fails with a TypeError for every
 * recorded history, which the replay gate must report (it is not a nondeterminism error).
 */
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';

interface InputWithNewField {
  fieldAddedLater: { items: unknown[] };
}

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  const input = args[0] as unknown as InputWithNewField;
  if (input.fieldAddedLater.items.length > 100) throw new Error('unreachable');
  return currentAgentWorkflow(...args);
}
