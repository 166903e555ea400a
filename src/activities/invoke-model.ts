import { Context } from '@temporalio/activity';
import type { InvokeModelInput, InvokeModelResult, ToolHint } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import type { ChatMessage } from '../core/messages';
import { outputInstructions, type OutputSettings } from '../core/structured-output';
import { TokenPublisher } from '../streaming/token-publisher';
import type { ActivityDependencies } from './activity-dependencies';
import { checkApprovals } from './approval-checks';
import { ActivityHeartbeat, withHeartbeats } from './heartbeats';
import { planBudgetedCall, type BudgetedCallPlan } from './model-call-budget';
import { createOutputValidator, type OutputValidator } from './output-validation';
import { assertModelResultFits } from './result-size-limits';
import { reserveForModelCall, settleAfterCall, TenantBudgetReservations } from './tenant-budget-reservation';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/**
 * Builds the model activity: reads the conversation, calls the endpoint, returns the answer. An
 * answer too large to be stored as the activity's result fails with `MODEL_RESULT_TOO_LARGE`,
 * never retried: each attempt would buy the same oversized answer again.
 */
export function createInvokeModel(dependencies: ActivityDependencies) {
  const validateOutput = createOutputValidator();
  const tenantBudgets = dependencies.tenantBudgets ?? new TenantBudgetReservations({ client: dependencies.client });
  return async function invokeModel(input: InvokeModelInput): Promise<InvokeModelResult> {
    const heartbeat = new ActivityHeartbeat(input.budget !== undefined);
    return withHeartbeats(() => invokeModelOnce(dependencies, validateOutput, input, heartbeat, tenantBudgets), heartbeat);
  };
}

async function invokeModelOnce(
  dependencies: ActivityDependencies,
  validateOutput: OutputValidator,
  input: InvokeModelInput,
  heartbeat: ActivityHeartbeat,
  tenantBudgets: TenantBudgetReservations,
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
    // Deltas go out only while someone listens. No heartbeat per delta: the interval heartbeat of
    // withHeartbeats delivers a cancellation to a long generation.
    const publisher = tokens ? new TokenPublisher(tokens, { taskId: input.taskId, callIndex: input.callIndex, attempt: context.info.attempt }) : undefined;
    const onDelta = publisher ? (delta: string): void => publisher.delta(delta) : undefined;
    // Structured output: the schema goes in `response_format`, or (instruction mode) in the prompt.
    const output = input.output;
    const requestMessages = output?.mode === 'instructions' ? withOutputInstructions(messages, output) : messages;
    let maxTokens = agent.maxTokens;
    let plan: BudgetedCallPlan | undefined;
    if (input.budget) {
      // Refused here, before anything is sent, when the call's worst case does not fit what is left.
      plan = planBudgetedCall({
        budget: input.budget,
        messages: requestMessages,
        tools,
        maxTokens: agent.maxTokens,
        price: dependencies.prices.resolve(agent.model),
        model: agent.model,
      });
      maxTokens = plan.maxTokens;
      heartbeat.setDetails({ budgetCharge: plan.charge });
    }
    // A task with a tenant: the call's worst case is reserved from the tenant's budget, if it has one.
    const tenantHold = await reserveForModelCall(tenantBudgets, {
      input,
      plan,
      messages: requestMessages,
      tools,
      maxTokens,
      model: agent.model,
      price: dependencies.prices.resolve(agent.model),
      attempt: context.info,
      onSettleFailed: (error) => context.log.warn('Could not settle a tenant budget reservation; it counts at its worst case when it expires', { error }),
    });
    // 'when-watched': a plain completion (nothing per token) when nobody listened at the call's start.
    const streams = publisher !== undefined && (agent.streaming !== 'when-watched' || (await publisher.listeningAtStart()));
    const completion = model.complete({
      model: agent.model,
      messages: requestMessages,
      tools,
      ...(input.budget?.noMoreToolCalls && tools.length > 0 ? { toolChoice: 'none' as const } : {}),
      ...(output?.mode === 'json_schema'
        ? { responseFormat: { name: output.name, schema: output.jsonSchema, strict: output.strict } }
        : {}),
      temperature: agent.temperature,
      maxTokens,
      signal: context.cancellationSignal,
      timeoutMs: agent.timeouts.llmMs,
      onDelta: streams ? onDelta : undefined,
    });
    const answered = publisher ? completion.finally(() => publisher.finish()) : completion;
    const result = await settleAfterCall(tenantHold, answered, (usage) => dependencies.prices.costNanoUsd(agent.model, usage) ?? 0);
    const toolHints: Record<string, ToolHint> = {};
    for (const call of result.message.tool_calls ?? []) {
      const resolved = await dependencies.toolbox.resolve(agent.name, call.function.name);
      const idempotent = resolved?.definition.idempotent === true;
      // Recorded here, so the workflow (and every replay of it) decides on what this worker said.
      const localActivity = idempotent && resolved?.kind === 'local' && resolved.definition.localActivity === true;
      toolHints[call.function.name] = {
        idempotent,
        ...(localActivity ? { localActivity: true as const } : {}),
        // Heartbeat timeouts of local tools run by ordinary activities (a local activity has none).
        ...(resolved?.kind === 'local' && !localActivity ? { local: true as const } : {}),
        ...(resolved?.kind === 'local' && !localActivity && resolved.tool.heartbeatMs !== undefined
          ? { heartbeatTimeoutMs: resolved.tool.heartbeatMs }
          : {}),
      };
    }
    const answer: InvokeModelResult = { ...result, toolHints };
    const costNanoUsd = dependencies.prices.costNanoUsd(agent.model, result.usage);
    if (costNanoUsd !== undefined) answer.costNanoUsd = costNanoUsd;
    const approvalHints = await checkApprovals(dependencies, input, result.message.tool_calls ?? []);
    if (approvalHints) answer.approvalHints = approvalHints;
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
