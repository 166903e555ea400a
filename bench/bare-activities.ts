import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import type { ZapTool } from 'zap-agents';
import type {
  BareActivities,
  BareToolCall,
  CallModelInput,
  CallModelResult,
  RunToolInput,
  RunToolResult,
} from './bare-workflow';

/** What the baseline activities need. */
export interface BareActivityDependencies {
  /** OpenAI-compatible endpoint, e.g. the scripted server's `baseURL`. */
  baseURL: string;
  apiKey: string;
  /** Sent as is, with the same sampling settings zap-agents sends for the benchmark agent. */
  model: string;
  temperature: number;
  /** Per-request HTTP timeout, as zap-agents sets it. */
  timeoutMs: number;
  /** The one local tool, run exactly as zap-agents runs it (schema check, then `execute`). */
  tool: ZapTool;
}

/**
 * The baseline's activities: the same HTTP call zap-agents' `invokeModel` makes (same client,
 * same body, no client retries) on the conversation given as input, and the same local tool.
 */
export function createBareActivities(dependencies: BareActivityDependencies): BareActivities {
  const client = new OpenAI({ baseURL: dependencies.baseURL, apiKey: dependencies.apiKey, maxRetries: 0 });
  const { tool } = dependencies;
  const toolDefinitions: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.jsonSchema } },
  ];

  return {
    async callModel({ messages }: CallModelInput): Promise<CallModelResult> {
      const completion = await client.chat.completions.create(
        {
          model: dependencies.model,
          messages: messages as OpenAI.Chat.Completions.ChatCompletionMessageParam[],
          tools: toolDefinitions,
          temperature: dependencies.temperature,
        },
        { signal: Context.current().cancellationSignal, timeout: dependencies.timeoutMs },
      );
      const choice = completion.choices[0];
      if (!choice) throw ApplicationFailure.nonRetryable('The model response has no choices.');
      return {
        message: toAssistantMessage(choice.message),
        usage: {
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          completionTokens: completion.usage?.completion_tokens ?? 0,
        },
        finishReason: choice.finish_reason ?? null,
      };
    },

    async runTool(input: RunToolInput): Promise<RunToolResult> {
      if (input.toolName !== tool.name) {
        throw ApplicationFailure.nonRetryable(`Unknown tool '${input.toolName}'.`, 'TOOL_NOT_FOUND');
      }
      const context = Context.current();
      const execution = context.info.workflowExecution;
      const args = tool.parameters.parse(input.arguments);
      const value = await tool.execute(args, {
        context: undefined,
        taskId: execution?.workflowId ?? '',
        agentName: 'bare',
        toolCallId: input.toolCallId,
        idempotencyKey: `${execution?.workflowId ?? ''}/${input.toolCallId}`,
        signal: context.cancellationSignal,
      });
      return { content: typeof value === 'string' ? value : JSON.stringify(value), isError: false };
    },
  };
}

/** The assistant message as zap-agents stores it: text or null, and function tool calls. */
function toAssistantMessage(message: OpenAI.Chat.Completions.ChatCompletionMessage): CallModelResult['message'] {
  const toolCalls: BareToolCall[] = (message.tool_calls ?? [])
    .filter((call) => call.type === 'function')
    .map((call) => ({ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }));
  return toolCalls.length > 0
    ? { role: 'assistant', content: message.content, tool_calls: toolCalls }
    : { role: 'assistant', content: message.content ?? '' };
}
