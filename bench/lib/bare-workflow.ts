/**
 * The baseline of every comparison: the naïve agent loop on Temporal, with nothing else. The
 * workflow keeps the conversation and passes all of it to every model activity, runs the tool
 * calls the model asks for, and returns the answer. No queries, no event log, no status, no
 * follow-ups. With `localTools` the tools run as local activities: no activity task to schedule,
 * match and record, and no workflow task to deliver the result.
 */
import { ApplicationFailure, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { ChatMessage, ToolCall } from 'zap-agents';
import { DEFAULT_LLM_TIMEOUT, DEFAULT_TOOL_TIMEOUT } from '../../src/core/defaults';
import type { BareActivities } from './bare-activities';

/** Input of {@link bareAgentWorkflow}. */
export interface BareWorkflowInput {
  systemPrompt: string;
  message: string;
  maxIterations: number;
  /** Milliseconds to wait after the answer before returning: mirrors zap-agents' idle timeout. */
  finalWaitMs: number;
  /** Run the tool calls as local activities. @default false */
  localTools?: boolean;
}

/** Result of {@link bareAgentWorkflow}. */
export interface BareWorkflowResult {
  answer: string;
  messageCount: number;
}

// zap-agents' default timeouts, so both sides schedule activities alike.
const model = proxyActivities<BareActivities>({ startToCloseTimeout: DEFAULT_LLM_TIMEOUT });
const tools = proxyActivities<BareActivities>({ startToCloseTimeout: DEFAULT_TOOL_TIMEOUT });
const localTools = proxyLocalActivities<BareActivities>({ startToCloseTimeout: DEFAULT_TOOL_TIMEOUT });

/** Model call, tool calls, model call, … until the model answers with text. */
export async function bareAgentWorkflow(input: BareWorkflowInput): Promise<BareWorkflowResult> {
  const messages: ChatMessage[] = [
    { role: 'system', content: input.systemPrompt },
    { role: 'user', content: input.message },
  ];
  const runTool = async (call: ToolCall): Promise<ChatMessage> => {
    const { content } = await (input.localTools ? localTools : tools).runTool({
      toolCallId: call.id,
      toolName: call.function.name,
      arguments: JSON.parse(call.function.arguments) as Record<string, unknown>,
    });
    return { role: 'tool', tool_call_id: call.id, content };
  };
  for (let iteration = 0; iteration < input.maxIterations; iteration += 1) {
    const { message } = await model.callModel({ messages });
    messages.push(message);
    const toolCalls = message.tool_calls ?? [];
    if (toolCalls.length === 0) {
      // zap-agents waits its idle timeout here; the same timer keeps the two end-to-end times comparable.
      await sleep(input.finalWaitMs);
      return { answer: message.content ?? '', messageCount: messages.length };
    }
    // Independent calls run in parallel; their results enter the conversation in call order.
    messages.push(...(await Promise.all(toolCalls.map(runTool))));
  }
  throw ApplicationFailure.nonRetryable(`No answer after ${input.maxIterations} model calls.`, 'MAX_ITERATIONS_EXCEEDED');
}
