import type { RetryPolicy } from '@temporalio/common';
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import { ActivityFailure, ApplicationFailure, condition, isCancellation, sleep } from '@temporalio/workflow';
import { FailureType, type InvokeModelInput, type InvokeModelResult } from '../core/activity-contracts';
import { MESSAGE_AGENT_TOOL_NAME } from '../core/built-in-tools';
import { utf8ByteLength } from '../core/message-pages';
import type { ChatMessage, TokenUsage } from '../core/messages';
import { TaskStatus } from '../core/task-status';
import type { TaskActivities } from './activity-proxies';
import type { AgentTask } from './agent-task';
import { continueAsNewIfDue, isContinueAsNewDue } from './continue-as-new';
import { attemptFailure, describeFailure } from './describe-failure';
import { acceptFinalAnswer } from './output-check';
import { Patch } from './patches';
import { StuckDetection } from './stuck-detector';
import { NudgeTimer } from './nudge-timer';
import { budgetRefusalOf } from './task-budget';
import { tenantBudgetFailureOf } from './tenant-budget-refusal';
import { ToolDispatcher } from './tool-dispatch';

/**
 * The conversation loop of a task: model call → tool calls → model call … until the model
 * answers; then wait for a follow-up until the idle timeout.
 */
export class TurnLoop {
  private readonly tools: ToolDispatcher;
  private readonly stuck: StuckDetection;

  constructor(
    private readonly task: AgentTask,
    private readonly activities: TaskActivities,
  ) {
    this.tools = new ToolDispatcher(task, activities);
    this.stuck = new StuckDetection(task);
  }

  /** Answers requests until the task has been idle for its idle timeout. */
  async serveRequests(): Promise<void> {
    const { task } = this;
    const { state } = task;
    const nudge = new NudgeTimer(task);
    for (;;) {
      if (state.modelCallDue || state.pendingMessages.length > 0) {
        // A follow-up that arrived while the previous answer was being made starts a new request.
        if (!state.modelCallDue && task.patches.has(Patch.IterationsPerRequest)) state.iteration = 0;
        if (isContinueAsNewDue(task)) await continueAsNewIfDue(task);
        state.modelCallDue = true;
        await this.takeTurn();
        continue;
      }
      if (isContinueAsNewDue(task)) await continueAsNewIfDue(task);
      const idleSince = Date.parse(state.idleSince ?? state.updatedAt);
      // The agent's nudge comes first, when it has one: its quiet period is shorter than the idle timeout.
      const quiet = await nudge.waitForQuietPeriod(idleSince);
      if (quiet === 'nudged') continue;
      if (quiet === 'message') {
        state.iteration = 0;
        continue;
      }
      const remainingMs = Math.max(0, idleSince + task.input.idleTimeoutMs - Date.now());
      const hasMessage = await condition(() => state.pendingMessages.length > 0, remainingMs);
      // A follow-up that arrived together with the timeout still counts.
      if (!hasMessage && state.pendingMessages.length === 0) return;
      state.iteration = 0;
    }
  }

  /** One model call, and the tool calls it asks for. */
  private async takeTurn(): Promise<void> {
    const { task } = this;
    const { state, input } = task;
    this.appendPendingMessages();
    if (state.iteration >= input.agent.maxIterations) {
      this.stuck.onMaxIterations();
      throw ApplicationFailure.create({
        type: FailureType.MaxIterationsExceeded,
        message: `Agent '${input.agent.agentName}' reached maxIterations (${input.agent.maxIterations}) without a final answer.`,
        nonRetryable: true,
      });
    }
    if (state.iteration === 0) this.stuck.startRequest();
    state.iteration += 1;
    state.modelCalls += 1;
    task.setStatus(TaskStatus.Thinking);
    task.emit({ type: 'thinking', iteration: state.iteration, callIndex: state.modelCalls });

    const response = await this.invokeModel();
    state.usage = {
      promptTokens: state.usage.promptTokens + response.usage.promptTokens,
      completionTokens: state.usage.completionTokens + response.usage.completionTokens,
    };
    state.messages.push(response.message);

    const toolCalls = response.message.tool_calls ?? [];
    if (toolCalls.length === 0) {
      // An answer that fails the task's output schema is not one: a repair turn comes next.
      if (!acceptFinalAnswer(task, response)) return;
      await this.answer(response.message.content ?? '');
      return;
    }

    task.setStatus(TaskStatus.AwaitingTool);
    // Independent calls run in parallel; their results enter the conversation in call order.
    const hints = response.toolHints ?? {};
    task.budget.beginTurn(toolCalls.filter((call) => call.function.name === MESSAGE_AGENT_TOOL_NAME).length);
    const toolMessages = await Promise.all(
      toolCalls.map((call) => this.tools.run(call, hints[call.function.name], response.approvalHints?.[call.id])),
    );
    state.messages.push(...toolMessages);
    task.markUpdated();
    // The same call (or the same results) again and again: stop, nudge or escalate (`stuck.policy`).
    await this.stuck.afterToolCalls(toolCalls, toolMessages);
  }

  private async answer(text: string): Promise<void> {
    const { task } = this;
    task.state.result = text;
    task.state.modelCallDue = false;
    task.state.idleSince = new Date().toISOString();
    task.state.answerCount += 1;
    task.setStatus(TaskStatus.Completed);
    task.emit({ type: 'completed', result: text });
    // Checked here too: a root task skips the call (and its promise) altogether.
    if (task.input.parentTaskId) await task.notifyParent({ status: 'completed', result: text });
  }

  private async invokeModel(): Promise<InvokeModelResult> {
    const { state, input } = this.task;
    const messageCount = state.messages.length;
    const tail = this.newMessagesInline(messageCount);
    state.previousModelCallCount = messageCount;
    const request: InvokeModelInput = {
      taskId: input.taskId,
      agentName: input.agent.agentName,
      messageCount,
      iteration: state.iteration,
      callIndex: state.modelCalls,
      ...(tail ? { tail } : {}),
      ...(input.agent.output ? { output: input.agent.output } : {}),
      // The worker evaluates the approval predicates in code (the tools' and these agents') on the answer's calls.
      ...(input.approvalRules?.predicates?.length ? { approvalPredicates: input.approvalRules.predicates } : {}),
      ...(input.context !== undefined ? { hasContext: true } : {}),
      // The worker reserves the call's worst case from the tenant's budget, when it has one.
      ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
    };
    if (this.task.budget.active && this.task.patches.has(Patch.Budgets)) {
      const result = await this.invokeModelWithinBudget(request);
      state.lastModelCall = { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, messageCount };
      return result;
    }
    try {
      const result = await this.activities.model.invokeModel(request);
      if (result.costNanoUsd !== undefined) state.costNanoUsd = (state.costNanoUsd ?? 0) + result.costNanoUsd;
      return result;
    } catch (error) {
      // The task was cancelled while the model answered: that is a cancellation, not a provider
      // failure (0.1.0 failed the task here; its histories replay the old path).
      if (isCancellation(error) && this.task.patches.has(Patch.CancelDuringModelCall)) throw error;
      // The tenant's budget refused the call (or cannot price it): a budget failure, not a provider one.
      throw tenantBudgetFailureOf(error, input.taskId, state.costNanoUsd ?? 0) ?? modelCallFailure(error);
    }
  }

  /**
   * A budgeted task's model call: one attempt per activity, retried here with the agent's LLM
   * backoff, so every attempt is charged: its reported usage (also of a failed attempt that
   * reports it), or the worst case it was allowed when its outcome is unknown (a lost worker, a
   * timeout). Before each attempt the budget must allow a call (or a human raises it, `ask`); the
   * activity then checks the call's worst case against what is left, before sending it. Since
   * 0.3.0 a lost attempt is reported by the activity's second attempt, from a live worker, and the
   * first one is made again without the backoff.
   */
  private async invokeModelWithinBudget(request: InvokeModelInput): Promise<InvokeModelResult> {
    const { budget, state, input } = this.task;
    const backoff = llmBackoff(input.agent.llmRetry);
    const startedAt = Date.now();
    let madeLostCallAgain = false;
    for (let attempt = 1; ; attempt += 1) {
      const callBudget = await budget.beforeModelCall();
      try {
        // 0.3.0: a lost attempt is reported from a live worker (see `invokeModelWithinBudget`).
        const result = this.task.patches.has(Patch.BudgetedModelProbe)
          ? await this.activities.budgetedModel.invokeModelWithinBudget({ ...request, budget: callBudget })
          : await this.activities.singleAttemptModel.invokeModel({ ...request, budget: callBudget });
        budget.recordModelCall(result);
        if (result.costNanoUsd !== undefined) state.costNanoUsd = (state.costNanoUsd ?? 0) + result.costNanoUsd;
        return result;
      } catch (error) {
        if (isCancellation(error)) throw error;
        const refusal = budgetRefusalOf(error);
        if (refusal) {
          // Fails the task, or returns once a human raised the limit: then the call is tried again.
          await budget.refusedByActivity(refusal);
          attempt = 0;
          continue;
        }
        if (!(error instanceof ActivityFailure)) throw error;
        const cause = attemptFailure(error.cause);
        const reportedLost = cause instanceof ApplicationFailure && cause.type === FailureType.ModelOutcomeUnknown;
        if (cause instanceof ApplicationFailure && !reportedLost) {
          const reported = reportedUsageOf(cause);
          if (reported) budget.recordFailedAttempt(reported.usage, reported.costNanoUsd);
          if (cause.nonRetryable || backoff.nonRetryableTypes.includes(cause.type ?? '')) throw modelCallFailure(error);
        } else {
          budget.recordLostAttempt(error);
        }
        // The first lost attempt the next one reported (its worker died, or it timed out) is made
        // again at once: the provider reported no failure, and the heartbeat or LLM timeout was
        // waiting enough. Any later one waits the backoff, so a crash loop is not a hot loop.
        const atOnce = reportedLost && !madeLostCallAgain;
        if (reportedLost) madeLostCallAgain = true;
        const delayMs = atOnce ? 0 : nextDelay(backoff, attempt, cause instanceof ApplicationFailure ? cause.nextRetryDelay : undefined);
        const deadlinePassed = input.agent.llmDeadlineMs !== undefined && Date.now() + delayMs - startedAt >= input.agent.llmDeadlineMs;
        if ((backoff.maximumAttempts > 0 && attempt >= backoff.maximumAttempts) || deadlinePassed) throw modelCallFailure(error);
        // (Only the 0.3.0 path reports lost attempts: earlier histories always slept here.)
        if (!atOnce) await sleep(delayMs);
      }
    }
  }

  /**
   * The messages added since the previous model call (its answer, tool results, follow-ups),
   * when they fit the inline budget: the worker that served the previous call then reads nothing.
   */
  private newMessagesInline(messageCount: number): { from: number; messages: ChatMessage[] } | undefined {
    const { state, input } = this.task;
    const budget = input.inlineMessageBytes ?? 0;
    const from = Math.min(state.previousModelCallCount, messageCount);
    if (budget <= 0 || from >= messageCount) return undefined;
    const messages = state.messages.slice(from, messageCount);
    const bytes = messages.reduce((total, message) => total + utf8ByteLength(JSON.stringify(message)), 0);
    return bytes <= budget ? { from, messages } : undefined;
  }

  private appendPendingMessages(): void {
    const { state } = this.task;
    const pending = state.pendingMessages.splice(0);
    for (const content of pending) state.messages.push({ role: 'user', content });
  }
}

/** A model call that failed for good, as the task's failure (`LLM_PROVIDER_ERROR` wrapping the activity's). */
function modelCallFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure) {
    return ApplicationFailure.create({
      type: FailureType.LlmProvider,
      message: `Model call failed: ${describeFailure(error)}`,
      nonRetryable: true,
      cause: error,
    });
  }
  return error;
}

interface LlmBackoff {
  initialMs: number;
  coefficient: number;
  maximumMs: number;
  /** 0: no limit. */
  maximumAttempts: number;
  nonRetryableTypes: string[];
}

/** The agent's LLM retry policy as the workflow's own retry loop uses it. */
function llmBackoff(policy: RetryPolicy): LlmBackoff {
  const initialMs = policy.initialInterval !== undefined ? msToNumber(policy.initialInterval) : 1000;
  return {
    initialMs,
    coefficient: policy.backoffCoefficient ?? 2,
    maximumMs: policy.maximumInterval !== undefined ? msToNumber(policy.maximumInterval) : initialMs * 100,
    maximumAttempts: policy.maximumAttempts ?? 0,
    nonRetryableTypes: policy.nonRetryableErrorTypes ?? [],
  };
}

function nextDelay(backoff: LlmBackoff, attempt: number, requested: Duration | undefined): number {
  if (requested !== undefined) return msToNumber(requested);
  return Math.min(backoff.maximumMs, backoff.initialMs * backoff.coefficient ** (attempt - 1));
}

/** Usage a failed model attempt reported in its details (it was billed): an answer too large, for one. */
function reportedUsageOf(failure: ApplicationFailure): { usage: TokenUsage; costNanoUsd?: number } | undefined {
  const details = failure.details?.[0] as { usage?: TokenUsage; costNanoUsd?: number } | undefined;
  const usage = details?.usage;
  if (!usage || typeof usage.promptTokens !== 'number' || typeof usage.completionTokens !== 'number') return undefined;
  return { usage, ...(typeof details.costNanoUsd === 'number' ? { costNanoUsd: details.costNanoUsd } : {}) };
}
