import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { CallToolInput } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import { ToolExecutionError } from '../core/errors';
import type { ToolCallOutcome } from '../core/tool-definition';
import type { ActivityDependencies } from './activity-dependencies';
import { withKeepAlive } from './keep-alive';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/** How much sooner than the activity an MCP request times out. */
const MCP_TIMEOUT_MARGIN_MS = 1000;

/** `_meta` key under which MCP servers receive the task's context. */
export const MCP_CONTEXT_META_KEY = 'zap-agents/context';
/** `_meta` key under which MCP servers receive the call's identity and idempotency key. */
export const MCP_CALL_META_KEY = 'zap-agents/call';

/**
 * Builds the tool activity. Unknown tools and arguments that fail the tool's schema are
 * permanent failures (the model sees the reason at once); errors thrown by the tool are retried
 * per the agent's tool retry policy before the model sees them.
 */
export function createCallTool(dependencies: ActivityDependencies) {
  return async function callTool(input: CallToolInput): Promise<ToolCallOutcome> {
    return withKeepAlive(() => callToolOnce(dependencies, input));
  };
}

async function callToolOnce(dependencies: ActivityDependencies, input: CallToolInput): Promise<ToolCallOutcome> {
  const context = Context.current();
  const resolved = await dependencies.toolbox.resolve(input.agentName, input.toolName).catch((error: unknown) => {
    throw toApplicationFailure(error);
  });
  if (!resolved || resolved.kind === 'message_agent') {
    const available = await dependencies.toolbox.toolNames(input.agentName).catch(() => []);
    throw permanentFailure(
      FailureType.ToolNotFound,
      `Unknown tool '${input.toolName}'. Available tools: ${available.join(', ') || 'none'}.`,
    );
  }
  const idempotencyKey = `${input.taskId}/${input.toolCallId}`;

  if (resolved.kind === 'local') {
    const parsed = resolved.tool.parameters.safeParse(input.arguments);
    if (!parsed.success) {
      throw permanentFailure(
        FailureType.ToolArgumentsInvalid,
        `Invalid arguments for ${input.toolName}: ${z.prettifyError(parsed.error)}`,
      );
    }
    try {
      const value = await resolved.tool.execute(parsed.data, {
        context: input.context,
        taskId: input.taskId,
        agentName: input.agentName,
        toolCallId: input.toolCallId,
        idempotencyKey,
        signal: context.cancellationSignal,
      });
      return { content: stringifyToolResult(value), isError: false };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw toApplicationFailure(new ToolExecutionError(`Tool ${input.toolName} failed: ${message}`, { cause: error }));
    }
  }

  try {
    return await dependencies.mcpPool.callTool(resolved.serverName, input.toolName, input.arguments, {
      meta: {
        [MCP_CONTEXT_META_KEY]: input.context ?? null,
        [MCP_CALL_META_KEY]: {
          taskId: input.taskId,
          agentName: input.agentName,
          toolCallId: input.toolCallId,
          idempotencyKey,
        },
      },
      signal: context.cancellationSignal,
      timeoutMs: mcpCallTimeout(dependencies.agents.get(input.agentName)?.timeouts.toolMs),
    });
  } catch (error) {
    if (ToolExecutionError.isInstance(error) && error.outcomeUnknown && !resolved.definition.idempotent) {
      // The server may have acted before it went away: running the call again could repeat a
      // side effect, so the model is told instead.
      throw permanentFailure(FailureType.ToolOutcomeUnknown, error.message);
    }
    throw toApplicationFailure(error);
  }
}

/**
 * The MCP request gets slightly less time than the activity, so a hung server produces our own
 * clear timeout error rather than an activity timeout.
 */
function mcpCallTimeout(activityTimeoutMs: number | undefined): number | undefined {
  if (activityTimeoutMs === undefined) return undefined;
  return Math.max(activityTimeoutMs - MCP_TIMEOUT_MARGIN_MS, Math.ceil(activityTimeoutMs * 0.9));
}

function stringifyToolResult(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
