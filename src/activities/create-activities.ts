import type { AgentTaskSettings } from '../core/agent-settings';
import type { DescribeAgentInput, ZapActivities } from '../core/activity-contracts';
import type { ActivityDependencies } from './activity-dependencies';
import { createPipelineStepActivities } from './build-pipeline-step';
import { createCallTool, createCallToolAtMostOnce } from './call-tool';
import { createCheckSubTask } from './check-sub-task';
import { createModelActivities } from './invoke-model';
import { createResolveAgentTask, resolveAgentSettings } from './resolve-agent-task';
import { createRunHook } from './run-hook';

/**
 * Builds zap-agents' activities from their dependencies. Register the result on a worker whose
 * task queue the agent workflows use (`zap.createWorker()` does this for you).
 */
export function createActivities(dependencies: ActivityDependencies): ZapActivities {
  return {
    ...createModelActivities(dependencies),
    callTool: createCallTool(dependencies),
    callToolAtMostOnce: createCallToolAtMostOnce(dependencies),
    checkSubTask: createCheckSubTask(dependencies.client),
    runHook: createRunHook(dependencies),
    ...createPipelineStepActivities(dependencies),
    resolveAgentTask: createResolveAgentTask(dependencies),
    async describeAgent(input: DescribeAgentInput): Promise<AgentTaskSettings> {
      return resolveAgentSettings(dependencies.agents, input.agentName, input.context).settings;
    },
  };
}
