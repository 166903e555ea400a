import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { RunHookInput } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import type { ActivityDependencies } from './activity-dependencies';
import { withHeartbeats } from './heartbeats';
import { limitFailureMessage } from './result-size-limits';
import { permanentFailure } from './to-application-failure';

/**
 * Builds the lifecycle-hook activity: finds the hook in the worker's definition of the agent and
 * runs it with the event, heartbeating meanwhile (a worker that dies mid-hook hands it to another
 * worker after the heartbeat timeout). A hook that throws fails the attempt, and Temporal retries
 * it per the agent's `retry.hook` policy; an agent whose definition on this worker no longer has
 * the hook has nothing to run.
 */
export function createRunHook(dependencies: ActivityDependencies) {
  return async function runHook(input: RunHookInput): Promise<void> {
    const context = Context.current();
    const agent = dependencies.agents.get(input.agentName);
    if (!agent) throw permanentFailure(FailureType.AgentNotFound, `Agent '${input.agentName}' is not registered on this worker.`);
    const hook = agent.hooks[input.hook];
    if (!hook) {
      context.log.warn('The agent has no such hook on this worker; nothing to run', { hook: input.hook, agentName: input.agentName });
      return;
    }
    await withHeartbeats(async () => {
      try {
        await hook({ ...input, attempt: context.info.attempt, signal: context.cancellationSignal });
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        const message = `${input.hook} hook of agent '${input.agentName}' failed: ${error instanceof Error ? error.message : String(error)}`;
        throw ApplicationFailure.create({ type: FailureType.LifecycleHookFailed, message: limitFailureMessage(message).message });
      }
    });
  };
}
