import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { CallToolInput } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import { ToolExecutionError } from '../core/errors';
import type { ToolCallOutcome } from '../core/tool-definition';
import type { ActivityDependencies } from './activity-dependencies';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

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
        timeoutMs: dependencies.agents.get(input.agentName)?.timeouts.toolMs,
      });
    } catch (error) {
      throw toApplicationFailure(error);
    }
  };
}

function stringifyToolResult(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
