import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { CallToolInput } from '../core/activity-contracts';
import type { JsonValue } from '../core/json';
import { FailureType } from '../core/activity-contracts';
import { DEFAULT_MAX_TOOL_RESULT_BYTES } from '../core/defaults';
import { ToolExecutionError } from '../core/errors';
import type { ToolCallOutcome } from '../core/tool-definition';
import type { ActivityDependencies } from './activity-dependencies';
import { takeOverStickiness, withHeartbeats } from './heartbeats';
import { limitToolResult } from './result-size-limits';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/** How much sooner than the activity an MCP request times out. */
const MCP_TIMEOUT_MARGIN_MS = 1000;

/** `_meta` key under which MCP servers that opt in (`receiveContext: true`) receive the task's context. */
export const MCP_CONTEXT_META_KEY = 'zap-agents/context';
/** `_meta` key under which MCP servers receive the call's identity and idempotency key. */
export const MCP_CALL_META_KEY = 'zap-agents/call';

/**
 * Builds the tool activity. Unknown tools and arguments that fail the tool's schema are
 * permanent failures (the model sees the reason at once); errors thrown by the tool are retried
 * per the agent's tool retry policy before the model sees them.
 *
 * A result is cut to the tool's or the agent's bound (`maxResultBytes`, `maxToolResultBytes`)
 * here, where the call has completed: a result Temporal could not store would make the call run
 * again, although it already took effect.
 */
export function createCallTool(dependencies: ActivityDependencies) {
  return async function callTool(input: CallToolInput): Promise<ToolCallOutcome> {
    return withHeartbeats(() => callToolOnce(dependencies, input));
  };
}

/**
 * Builds the at-most-once tool activity, for tools that are not idempotent. Its first attempt is
 * the call itself, and each failure it throws is wrapped in a non-retryable `AT_MOST_ONCE_ATTEMPT`
 * failure whose cause is what `callTool` would have thrown: Temporal retries none of them, and the
 * workflow retries the failures the tool reported, each as a new activity, with the agent's tool
 * backoff. So a second attempt happens only after a timeout (the worker died or stalled past the
 * heartbeat timeout, or the call ran past the tool timeout), when the call may have taken effect.
 * That attempt does not run the tool: it takes the workflow's stickiness over from the worker
 * that ran the first one, and fails at once with `TOOL_OUTCOME_UNKNOWN`. The workflow hears the
 * outcome from a live worker, instead of handling the timeout on the dead worker's sticky queue
 * until that queue's schedule-to-start timeout passed.
 */
export function createCallToolAtMostOnce(dependencies: ActivityDependencies) {
  return async function callToolAtMostOnce(input: CallToolInput): Promise<ToolCallOutcome> {
    const context = Context.current();
    if (context.info.attempt > 1) {
      await takeOverStickiness(context);
      throw permanentFailure(
        FailureType.ToolOutcomeUnknown,
        `Tool ${input.toolName} did not report back: the attempt running it timed out (its worker may have stopped)`,
      );
    }
    try {
      return await withHeartbeats(() => callToolOnce(dependencies, input));
    } catch (error) {
      const failure = toApplicationFailure(error);
      throw ApplicationFailure.create({ type: FailureType.AtMostOnceAttempt, message: failure.message, nonRetryable: true, cause: failure });
    }
  };
}

async function callToolOnce(dependencies: ActivityDependencies, input: CallToolInput): Promise<ToolCallOutcome> {
  const context = Context.current();
  const resolved = await dependencies.toolbox.resolve(input.agentName, input.toolName).catch((error: unknown) => {
    throw toApplicationFailure(error);
  });
  if (!resolved || resolved.kind === 'message_agent' || resolved.kind === 'wait_for_event') {
    const available = await dependencies.toolbox.toolNames(input.agentName).catch(() => []);
    throw permanentFailure(
      FailureType.ToolNotFound,
      `Unknown tool '${input.toolName}'. Available tools: ${available.join(', ') || 'none'}.`,
    );
  }
  const idempotencyKey = `${input.taskId}/${input.toolCallId}`;
  const agent = dependencies.agents.get(input.agentName);
  const agentBound = agent?.maxToolResultBytes ?? DEFAULT_MAX_TOOL_RESULT_BYTES;

  if (resolved.kind === 'local') {
    const parsed = resolved.tool.parameters.safeParse(input.arguments);
    if (!parsed.success) {
      throw permanentFailure(
        FailureType.ToolArgumentsInvalid,
        `Invalid arguments for ${input.toolName}: ${z.prettifyError(parsed.error)}`,
      );
    }
    // Read before the tool runs: a failed read is retried with the activity, not reported as the tool's error.
    const taskContext = await readContext(dependencies, input).catch((error: unknown) => {
      throw toApplicationFailure(error);
    });
    let value: unknown;
    try {
      value = await resolved.tool.execute(parsed.data, {
        context: taskContext,
        taskId: input.taskId,
        agentName: input.agentName,
        toolCallId: input.toolCallId,
        idempotencyKey,
        signal: context.cancellationSignal,
      });
    } catch (error) {
      if (context.cancellationSignal.aborted && !resolved.tool.idempotent) {
        // Interrupted mid-call (worker shutdown, activity cancelled, paused or reset): it may have
        // acted already, and running it again could repeat a side effect. Never re-run it.
        throw permanentFailure(
          FailureType.ToolOutcomeUnknown,
          `Tool ${input.toolName} was interrupted before it finished (${describeAbort(context.cancellationSignal.reason)})`,
        );
      }
      // The default message, `Tool <name> failed: <what it threw>`, is what the model reads.
      throw toApplicationFailure(new ToolExecutionError({ toolName: input.toolName, toolCallId: input.toolCallId, cause: error }));
    }
    return limitToolResult(localToolOutcome(input.toolName, value), resolved.tool.maxResultBytes ?? agentBound);
  }

  // Third-party servers see the context only when their config says so.
  const receivesContext = agent?.mcpClients.some((client) => client.name === resolved.serverName && client.receiveContext === true);
  let outcome: ToolCallOutcome;
  try {
    outcome = await dependencies.mcpPool.callTool(resolved.serverName, input.toolName, input.arguments, {
      meta: {
        ...(receivesContext ? { [MCP_CONTEXT_META_KEY]: (await readContext(dependencies, input)) ?? null } : {}),
        [MCP_CALL_META_KEY]: {
          taskId: input.taskId,
          agentName: input.agentName,
          toolCallId: input.toolCallId,
          idempotencyKey,
        },
      },
      signal: context.cancellationSignal,
      timeoutMs: mcpCallTimeout(agent?.timeouts.toolMs),
      toolCallId: input.toolCallId,
    });
  } catch (error) {
    if (ToolExecutionError.isInstance(error) && error.outcomeUnknown && !resolved.definition.idempotent) {
      // The server may have acted before it went away: running the call again could repeat a
      // side effect, so the model is told instead.
      throw permanentFailure(FailureType.ToolOutcomeUnknown, error.message);
    }
    throw toApplicationFailure(error);
  }
  return limitToolResult(outcome, agentBound);
}

/**
 * The task's context: inline in calls scheduled by 0.1.0 workflows, otherwise read once per task
 * from the workflow. A read that fails is retried with the activity (the tool has not run yet).
 */
async function readContext(dependencies: ActivityDependencies, input: CallToolInput): Promise<JsonValue | undefined> {
  if (input.context !== undefined) return input.context;
  if (input.hasContext !== true) return undefined;
  return dependencies.contexts.read(input.taskId);
}

/**
 * The MCP request gets slightly less time than the activity, so a hung server produces our own
 * clear timeout error rather than an activity timeout.
 */
function mcpCallTimeout(activityTimeoutMs: number | undefined): number | undefined {
  if (activityTimeoutMs === undefined) return undefined;
  return Math.max(activityTimeoutMs - MCP_TIMEOUT_MARGIN_MS, Math.ceil(activityTimeoutMs * 0.9));
}

/**
 * The outcome of a local tool that returned `value`. The tool has run, so a value that cannot be
 * converted to JSON (a BigInt, a cycle) is an error result the model sees, not a failure that
 * would run the tool again.
 */
function localToolOutcome(toolName: string, value: unknown): ToolCallOutcome {
  if (typeof value === 'string') return { content: value, isError: false };
  try {
    return { content: JSON.stringify(value) ?? '', isError: false };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      content: `Error: ${toolName} ran, but its result could not be converted to JSON (${reason}).`,
      isError: true,
    };
  }
}

/** Why an activity was interrupted, as the SDK tells it (worker shutdown, cancelled, paused, reset). */
function describeAbort(reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason ?? 'cancelled');
  return text.toLowerCase().replace(/_/g, ' ');
}
