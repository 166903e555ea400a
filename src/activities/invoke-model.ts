import { Context } from '@temporalio/activity';
import type { InvokeModelInput, InvokeModelResult, ToolHint } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import type { ChatMessage } from '../core/messages';
import { outputInstructions, type OutputSettings } from '../core/structured-output';
import type { ActivityDependencies } from './activity-dependencies';
import { withHeartbeats } from './heartbeats';
import { createOutputValidator, type OutputValidator } from './output-validation';
import { assertModelResultFits } from './result-size-limits';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/**
 * Builds the model activity: reads the conversation, calls the endpoint, returns the answer. An
 * answer too large to be stored as the activity's result fails with `MODEL_RESULT_TOO_LARGE`,
 * never retried: each attempt would buy the same oversized answer again.
 */
export function createInvokeModel(dependencies: ActivityDependencies) {
  const validateOutput = createOutputValidator();
  return async function invokeModel(input: InvokeModelInput): Promise<InvokeModelResult> {
    return withHeartbeats(() => invokeModelOnce(dependencies, validateOutput, input));
  };
}

async function invokeModelOnce(
  dependencies: ActivityDependencies,
  validateOutput: OutputValidator,
  input: InvokeModelInput,
): Promise<InvokeModelResult> {
  const context = Context.current();
  const execution = context.info.workflowExecution;
  if (!execution) {
    throw permanentFailure(FailureType.ConversationUnavailable, 'invokeModel must run as part of an agent workflow.');
  }
  const { workflowId, runId } = execution;
  const agent = dependencies.agents.get(input.agentName);
  if (!agent) {
    throw permanentFailure(FailureType.AgentNotFound, `Agent '${input.agentName}' is not registered on this worker.`);
  }
  let messages;
  try {
    messages = input.tail
      ? await dependencies.conversations.readWithTail(workflowId, runId, input.tail.from, input.tail.messages)
      : await dependencies.conversations.read(workflowId, runId, input.messageCount);
  } catch (error) {
    throw toApplicationFailure(error);
  }
  try {
    const tools = await dependencies.toolbox.definitions(agent.name);
    const model = dependencies.models.forAgent(agent);
    const tokens = agent.streaming ? dependencies.tokens : undefined;
    let index = 0;
    const onDelta = tokens
      ? (delta: string): void => {
          tokens.publish({ taskId: input.taskId, callIndex: input.callIndex, attempt: context.info.attempt, index: index++, delta });
          // Heartbeats let a cancellation reach a long generation.
          context.heartbeat();
        }
      : undefined;
    // Structured output: the schema goes in `response_format`, or (instruction mode) in the prompt.
    const output = input.output;
    const result = await model.complete({
      model: agent.model,
      messages: output?.mode === 'instructions' ? withOutputInstructions(messages, output) : messages,
      tools,
      ...(output?.mode === 'json_schema'
        ? { responseFormat: { name: output.name, schema: output.jsonSchema, strict: output.strict } }
        : {}),
      temperature: agent.temperature,
      maxTokens: agent.maxTokens,
      signal: context.cancellationSignal,
      timeoutMs: agent.timeouts.llmMs,
      onDelta,
    });
    const toolHints: Record<string, ToolHint> = {};
    for (const call of result.message.tool_calls ?? []) {
      const resolved = await dependencies.toolbox.resolve(agent.name, call.function.name);
      toolHints[call.function.name] = { idempotent: resolved?.definition.idempotent === true };
    }
    const answer: InvokeModelResult = { ...result, toolHints };
    if (output && (result.message.tool_calls ?? []).length === 0) {
      answer.output = validateOutput(result.message.content ?? '', output, agent);
    }
    assertModelResultFits(answer, agent.maxTokens);
    return answer;
  } catch (error) {
    throw toApplicationFailure(error);
  }
}

/**
 * The conversation with instruction mode's addendum (the JSON Schema, JSON only) at the end of the
 * system prompt; a new array, the cached conversation is left as it is.
 */
function withOutputInstructions(messages: ChatMessage[], output: OutputSettings): ChatMessage[] {
  const addendum = outputInstructions(output);
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${addendum}` }, ...rest];
  return [{ role: 'system', content: addendum }, ...messages];
}
