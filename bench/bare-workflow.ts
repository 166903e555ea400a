import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';

/**
 * The baseline of the overhead benchmark: the naïve agent loop on Temporal, with nothing else.
 * The workflow keeps the conversation and passes all of it to every model activity (so history
 * grows quadratically with the conversation), runs the tool calls the model asks for, and
 * returns the answer. No queries, no event log, no status, no follow-ups.
 */

/** A tool call of an assistant message, in chat-completions format. */
export interface BareToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A conversation message, in chat-completions format. */
export type BareMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: BareToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** Input of {@link BareActivities.callModel}: the whole conversation. */
export interface CallModelInput {
  messages: BareMessage[];
}

/** Result of {@link BareActivities.callModel}; the same shape as zap-agents' `invokeModel`. */
export interface CallModelResult {
  message: Extract<BareMessage, { role: 'assistant' }>;
  usage: { promptTokens: number; completionTokens: number };
  finishReason: string | null;
}

/** Input of {@link BareActivities.runTool}. */
export interface RunToolInput {
  toolCallId: string;
  toolName: string;
  arguments: Record<string, unknown>;
}

/** Result of {@link BareActivities.runTool}; the same shape as zap-agents' `callTool`. */
export interface RunToolResult {
  content: string;
  isError: boolean;
}

/** The baseline's activities. */
export interface BareActivities {
  callModel(input: CallModelInput): Promise<CallModelResult>;
  runTool(input: RunToolInput): Promise<RunToolResult>;
}

/** Input of {@link bareAgentWorkflow}. */
export interface BareWorkflowInput {
  systemPrompt: string;
  message: string;
  maxIterations: number;
  /** Milliseconds to wait after the answer before returning: mirrors zap-agents' idle timeout. */
  finalWaitMs: number;
}

/** Result of {@link bareAgentWorkflow}. */
export interface BareWorkflowResult {
  answer: string;
  messageCount: number;
}

// The timeouts of zap-agents' defaults, so both sides schedule activities alike.
const model = proxyActivities<BareActivities>({ startToCloseTimeout: '2 minutes' });
const tools = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

/** Model call, tool calls, model call, … until the model answers with text. */
export async function bareAgentWorkflow(input: BareWorkflowInput): Promise<BareWorkflowResult> {
  const messages: BareMessage[] = [
    { role: 'system', content: input.systemPrompt },
    { role: 'user', content: input.message },
  ];
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
    const toolMessages = await Promise.all(toolCalls.map(runToolCall));
    messages.push(...toolMessages);
  }
  throw ApplicationFailure.nonRetryable(`No answer after ${input.maxIterations} model calls.`, 'MAX_ITERATIONS_EXCEEDED');
}

async function runToolCall(call: BareToolCall): Promise<BareMessage> {
  const result = await tools.runTool({
    toolCallId: call.id,
    toolName: call.function.name,
    arguments: JSON.parse(call.function.arguments) as Record<string, unknown>,
  });
  return { role: 'tool', tool_call_id: call.id, content: result.content };
}
