import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { RunHookInput } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import { PIPELINE_AGENT_PREFIX } from '../core/pipeline-state';
import type { LifecycleHook } from '../hooks/lifecycle-hooks';
import type { ActivityDependencies } from './activity-dependencies';
import { withHeartbeats } from './heartbeats';
import { limitFailureMessage } from './result-size-limits';
import { permanentFailure } from './to-application-failure';

/**
 * Builds the lifecycle-hook activity: finds the hook in the worker's definition of the agent (of
 * the pipeline, for a run's `pipeline:<name>`) and
 * runs it with the event, heartbeating meanwhile (a worker that dies mid-hook hands it to another
 * worker after the heartbeat timeout). A hook that throws fails the attempt, and Temporal retries
 * it per the agent's `retry.hook` policy; an agent whose definition on this worker no longer has
 * the hook has nothing to run.
 */
export function createRunHook(dependencies: ActivityDependencies) {
  return async function runHook(input: RunHookInput): Promise<void> {
    const context = Context.current();
    const hook = findHook(dependencies, input);
    if (!hook) {
      context.log.warn('The agent has no such hook on this worker; nothing to run', { hook: input.hook, agentName: input.agentName });
      return;
    }
    await withHeartbeats(async () => {
      try {
        await hook({ ...input, attempt: context.info.attempt, signal: context.cancellationSignal });
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        const owner = input.agentName.startsWith(PIPELINE_AGENT_PREFIX) ? `pipeline '${input.agentName.slice(PIPELINE_AGENT_PREFIX.length)}'` : `agent '${input.agentName}'`;
        const message = `${input.hook} hook of ${owner} failed: ${error instanceof Error ? error.message : String(error)}`;
        throw ApplicationFailure.create({ type: FailureType.LifecycleHookFailed, message: limitFailureMessage(message).message });
      }
    });
  };
}

/** The hook in the worker's definition of the task's agent, or of the run's pipeline. */
function findHook(dependencies: ActivityDependencies, input: RunHookInput): LifecycleHook | undefined {
  if (input.agentName.startsWith(PIPELINE_AGENT_PREFIX)) {
    const name = input.agentName.slice(PIPELINE_AGENT_PREFIX.length);
    const definition = dependencies.pipelines?.get(name);
    if (!definition) throw permanentFailure(FailureType.PipelineNotFound, `Pipeline '${name}' is not registered on this worker.`);
    return input.hook === 'onStuck' ? undefined : definition.hooks[input.hook];
  }
  const agent = dependencies.agents.get(input.agentName);
  if (!agent) throw permanentFailure(FailureType.AgentNotFound, `Agent '${input.agentName}' is not registered on this worker.`);
  return agent.hooks[input.hook];
}
