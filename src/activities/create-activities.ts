import { ApplicationFailure } from '@temporalio/common';
import type { AgentTaskSettings } from '../core/agent-settings';
import { FailureType, type DescribeAgentInput, type ZapActivities } from '../core/activity-contracts';
import type { ActivityDependencies } from './activity-dependencies';
import { createPipelineStepActivities } from './build-pipeline-step';
import { createCallTool } from './call-tool';
import { createCheckSubTask } from './check-sub-task';
import { createInvokeModel } from './invoke-model';
import { createRunHook } from './run-hook';
import { toApplicationFailure } from './to-application-failure';

/**
 * Builds zap-agents' activities from their dependencies. Register the result on a worker whose
 * task queue the agent workflows use (`zap.createWorker()` does this for you).
 */
export function createActivities(dependencies: ActivityDependencies): ZapActivities {
  return {
    invokeModel: createInvokeModel(dependencies),
    callTool: createCallTool(dependencies),
    checkSubTask: createCheckSubTask(dependencies.client),
    runHook: createRunHook(dependencies),
    ...createPipelineStepActivities(dependencies),
    async describeAgent(input: DescribeAgentInput): Promise<AgentTaskSettings> {
      const agent = dependencies.agents.get(input.agentName);
      if (!agent) {
        throw ApplicationFailure.create({
          type: FailureType.AgentNotFound,
          message: `Agent '${input.agentName}' is not registered on this worker.`,
          nonRetryable: true,
        });
      }
      try {
        return agent.taskSettings(input.context);
      } catch (error) {
        const failure = toApplicationFailure(error);
        throw ApplicationFailure.create({ type: failure.type ?? undefined, message: failure.message, nonRetryable: true });
      }
    },
  };
}
