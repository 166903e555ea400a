import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { InvokeModelInput, InvokeModelResult, ModelCallBudget, ToolHint, ZapActivities } from '../core/activity-contracts';
import { FailureType } from '../core/activity-contracts';
import { budgetChargeOf, type ModelCallCharge } from '../core/budget';
import { withTimeout } from '../core/with-timeout';
import type { ChatMessage } from '../core/messages';
import { outputInstructions, type OutputSettings } from '../core/structured-output';
import type { FunctionToolDefinition } from '../core/tool-definition';
import type { ZapAgent } from '../agent/zap-agent';
import { TokenPublisher } from '../streaming/token-publisher';
import type { ActivityDependencies } from './activity-dependencies';
import { checkApprovals } from './approval-checks';
import { ActivityHeartbeat, takeOverStickiness, withHeartbeats } from './heartbeats';
import { planBudgetedCall, type BudgetedCallPlan } from './model-call-budget';
import { createOutputValidator, type OutputValidator } from './output-validation';
import { assertModelResultFits } from './result-size-limits';
import { reserveForModelCall, settleAfterCall, TenantBudgetReservations } from './tenant-budget-reservation';
import { permanentFailure, toApplicationFailure } from './to-application-failure';

/**
 * Builds the model activities: `invokeModel` reads the conversation, calls the endpoint and
 * returns the answer; `invokeModelWithinBudget` is the same call for a task with a budget, made at
 * most once. An answer too large to be stored as the activity's result fails with
 * `MODEL_RESULT_TOO_LARGE`, never retried: each attempt would buy the same oversized answer again.
 */
export function createModelActivities(dependencies: ActivityDependencies): Pick<ZapActivities, 'invokeModel' | 'invokeModelWithinBudget'> {
  const validateOutput = createOutputValidator();
  const tenantBudgets = dependencies.tenantBudgets ?? new TenantBudgetReservations({ client: dependencies.client });
  async function invokeModel(input: InvokeModelInput): Promise<InvokeModelResult> {
    const heartbeat = new ActivityHeartbeat(input.budget !== undefined);
    return withHeartbeats(() => invokeModelOnce(dependencies, validateOutput, input, heartbeat, tenantBudgets), heartbeat);
  }
  /**
   * A budgeted task's model call. Its first attempt is the call, and each failure it throws is
   * wrapped in a non-retryable `AT_MOST_ONCE_ATTEMPT` failure around what `invokeModel` would have
   * thrown: the workflow retries the call itself, as a new activity, and charges each attempt. So
   * a second attempt happens only after a timeout (the worker died or stalled past the heartbeat
   * timeout, or the call ran past the LLM timeout), when the provider may have billed the call.
   * That attempt calls no model: it takes the workflow's stickiness over from the worker that ran
   * the first one and fails at once with `MODEL_OUTCOME_UNKNOWN`, carrying the first attempt's
   * worst case (its heartbeat's, or when the first attempt died before its heartbeat reached the
   * server, a new plan of the same call). The workflow hears of the lost call from a live worker,
   * instead of handling the timeout on the dead worker's sticky queue once that queue timed out.
   */
  async function invokeModelWithinBudget(input: InvokeModelInput): Promise<InvokeModelResult> {
    const context = Context.current();
    if (context.info.attempt > 1) {
      await takeOverStickiness(context);
      const charge = await lostAttemptCharge(dependencies, input, context);
      throw ApplicationFailure.create({
        type: FailureType.ModelOutcomeUnknown,
        message: 'The model call did not report back: the attempt making it timed out (its worker may have stopped); it is charged at its worst case',
        details: [charge ? { budgetCharge: charge } : {}],
        nonRetryable: true,
      });
    }
    try {
      return await invokeModel(input);
    } catch (error) {
      const failure = toApplicationFailure(error);
      throw ApplicationFailure.create({ type: FailureType.AtMostOnceAttempt, message: failure.message, nonRetryable: true, cause: failure });
    }
  }
  return { invokeModel, invokeModelWithinBudget };
}

/** Longest time the second attempt of a budgeted call spends planning the lost call again, as a share of its heartbeat timeout. */
const REPLAN_SHARE_OF_HEARTBEAT = 1 / 2;

/**
 * What the lost first attempt of a budgeted call may have cost: the worst case its heartbeat
 * carries; without one (it died before that heartbeat reached the server), the same call planned
 * again here (the conversation up to the call, the agent's tools and price), which is the worst
 * case the first attempt was allowed unless the worker's agent changed. A call its plan refuses
 * was never sent: nothing. Undefined when neither is known within half the heartbeat timeout
 * (the conversation could not be read): the workflow then charges what it knows, nothing.
 */
async function lostAttemptCharge(dependencies: ActivityDependencies, input: InvokeModelInput, context: Context): Promise<ModelCallCharge | undefined> {
  const fromHeartbeat = budgetChargeOf(context.info.heartbeatDetails);
  if (fromHeartbeat) return fromHeartbeat;
  const budget = input.budget;
  if (!budget) return undefined;
  const limitMs = Math.max(500, (context.info.heartbeatTimeoutMs ?? 2_000) * REPLAN_SHARE_OF_HEARTBEAT);
  const planned = (async (): Promise<ModelCallCharge | undefined> => {
    const { agent, requestMessages, tools } = await prepareRequest(dependencies, input, context);
    return planCall(dependencies, agent, budget, requestMessages, tools).charge;
  })().catch((error: unknown) => {
    if (error instanceof ApplicationFailure && error.type === FailureType.BudgetWouldExceed) return { nanoUsd: 0, tokens: 0 };
    context.log.warn('Could not plan a lost budgeted model call again; it is charged what is known of it', {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  });
  return withTimeout(planned, limitMs);
}

/** What a model call sends, from the worker's agent and the workflow's conversation. */
interface PreparedRequest {
  agent: ZapAgent;
  /** The conversation as sent (with instruction mode's addendum). */
  requestMessages: ChatMessage[];
  tools: FunctionToolDefinition[];
}

async function prepareRequest(dependencies: ActivityDependencies, input: InvokeModelInput, context: Context): Promise<PreparedRequest> {
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
    // Structured output: the schema goes in `response_format`, or (instruction mode) in the prompt.
    const requestMessages = input.output?.mode === 'instructions' ? withOutputInstructions(messages, input.output) : messages;
    return { agent, requestMessages, tools };
  } catch (error) {
    throw toApplicationFailure(error);
  }
}

/** Refused here, before anything is sent, when the call's worst case does not fit what is left. */
function planCall(dependencies: ActivityDependencies, agent: ZapAgent, budget: ModelCallBudget, messages: ChatMessage[], tools: FunctionToolDefinition[]): BudgetedCallPlan {
  return planBudgetedCall({ budget, messages, tools, maxTokens: agent.maxTokens, price: dependencies.prices.resolve(agent.model), model: agent.model });
}

async function invokeModelOnce(
  dependencies: ActivityDependencies,
  validateOutput: OutputValidator,
  input: InvokeModelInput,
  heartbeat: ActivityHeartbeat,
  tenantBudgets: TenantBudgetReservations,
): Promise<InvokeModelResult> {
  const context = Context.current();
  const { agent, requestMessages, tools } = await prepareRequest(dependencies, input, context);
  try {
    const model = dependencies.models.forAgent(agent);
    const tokens = agent.streaming ? dependencies.tokens : undefined;
    // Deltas go out only while someone listens. No heartbeat per delta: the interval heartbeat of
    // withHeartbeats delivers a cancellation to a long generation.
    const publisher = tokens ? new TokenPublisher(tokens, { taskId: input.taskId, callIndex: input.callIndex, attempt: context.info.attempt }) : undefined;
    const onDelta = publisher ? (delta: string): void => publisher.delta(delta) : undefined;
    const output = input.output;
    let maxTokens = agent.maxTokens;
    let plan: BudgetedCallPlan | undefined;
    if (input.budget) {
      plan = planCall(dependencies, agent, input.budget, requestMessages, tools);
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
