import { ApplicationFailure } from '@temporalio/common';
import type { ZapAgent } from '../agent/zap-agent';
import { FailureType, type ResolveAgentTaskInput, type ResolvedAgentTask } from '../core/activity-contracts';
import type { AgentTaskSettings } from '../core/agent-settings';
import { DEFAULT_EVENT_LOG_LIMIT, DEFAULT_INLINE_MESSAGE_BYTES } from '../core/defaults';
import { VisionNotSupportedError } from '../core/errors';
import type { JsonValue } from '../core/json';
import { modelSupportsVision } from '../llm/model-capabilities';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/** What a task started on a worker takes from the worker's Zap (its `ZapOptions`). */
export interface TaskStartSettings {
  eventLogLimit: number;
  inlineMessageBytes: number;
  continueAsNewAfterEvents: number | undefined;
  historyHardStopEvents: number | undefined;
  /** Whether the namespace has the zap-agents search attributes (asked once, when first needed). */
  searchAttributes(): Promise<boolean>;
}

/** What {@link createResolveAgentTask} needs. */
export interface ResolveAgentTaskDependencies {
  agents: ReadonlyMap<string, ZapAgent<any>>;
  /** @default the Zap defaults (1000 events, 4 KiB inline), no search attributes */
  tasks?: TaskStartSettings;
}

/**
 * The settings of a task of agent `agentName`, its prompt resolved from `context`: a permanent
 * `AGENT_NOT_FOUND` failure for an agent this worker does not know, and a permanent failure of
 * the error's own code when the agent refuses the context (a prompt function that throws).
 * Shared by `describeAgent` (sub-agents) and `resolveAgentTask` (`runAgent`).
 */
export function resolveAgentSettings(
  agents: ReadonlyMap<string, ZapAgent<any>>,
  agentName: string,
  context: JsonValue | undefined,
): { agent: ZapAgent<any>; settings: AgentTaskSettings } {
  const agent = agents.get(agentName);
  if (!agent) {
    const known = [...agents.keys()].join(', ') || 'none';
    throw permanentFailure(FailureType.AgentNotFound, `Agent '${agentName}' is not registered on this worker (its agents: ${known}).`);
  }
  try {
    return { agent, settings: agent.taskSettings(context) };
  } catch (error) {
    const failure = toApplicationFailure(error);
    throw ApplicationFailure.create({ type: failure.type ?? undefined, message: failure.message, nonRetryable: true });
  }
}

/**
 * Builds the `resolveAgentTask` activity: a workflow of the user's own (`runAgent`) cannot see
 * the worker's agents, so their settings, and the task settings of the worker's Zap, are read
 * here and recorded as the activity's result. Images for a model that cannot see them fail for
 * good (`VISION_NOT_SUPPORTED`), as `executeTask` refuses them.
 */
export function createResolveAgentTask(dependencies: ResolveAgentTaskDependencies) {
  return async function resolveAgentTask(input: ResolveAgentTaskInput): Promise<ResolvedAgentTask> {
    const { agent, settings } = resolveAgentSettings(dependencies.agents, input.agentName, input.context);
    if (input.withImages && !modelSupportsVision(agent.model, agent.supportsVision)) {
      const error = new VisionNotSupportedError({ agentName: agent.name, model: agent.model });
      throw permanentFailure(error.code, error.message);
    }
    const tasks = dependencies.tasks;
    return {
      agent: settings,
      eventLogLimit: tasks?.eventLogLimit ?? DEFAULT_EVENT_LOG_LIMIT,
      inlineMessageBytes: tasks?.inlineMessageBytes ?? DEFAULT_INLINE_MESSAGE_BYTES,
      ...(tasks?.continueAsNewAfterEvents !== undefined ? { continueAsNewAfterEvents: tasks.continueAsNewAfterEvents } : {}),
      ...(tasks?.historyHardStopEvents !== undefined ? { historyHardStopEvents: tasks.historyHardStopEvents } : {}),
      searchAttributes: (await tasks?.searchAttributes()) ?? false,
    };
  };
}
