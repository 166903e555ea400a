/**
 * A deliberately broken upgrade: the agent workflow now starts with a timer, a change of command
 * order WITHOUT `patched()`. Every recorded history must fail to replay against it.
 */
import { sleep } from '@temporalio/workflow';
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  await sleep(1);
  return currentAgentWorkflow(...args);
}
