/**
 * The same change as `unpatched-timer.ts`, done right: behind `patched()`, so histories recorded
 * before it replay the old path and only new tasks take the timer.
 */
import { patched, sleep } from '@temporalio/workflow';
import { agentWorkflow as currentAgentWorkflow } from '../../../src/workflows/agent-workflow';

export async function agentWorkflow(...args: Parameters<typeof currentAgentWorkflow>): ReturnType<typeof currentAgentWorkflow> {
  if (patched('zap-replay-gate-example')) await sleep(1);
  return currentAgentWorkflow(...args);
}
