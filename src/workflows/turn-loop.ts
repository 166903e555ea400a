import { ActivityFailure, ApplicationFailure, condition, isCancellation, patched } from '@temporalio/workflow';
import { FailureType, type InvokeModelResult } from '../core/activity-contracts';
import { utf8ByteLength } from '../core/message-pages';
import type { ChatMessage } from '../core/messages';
import { TaskStatus } from '../core/task-status';
import type { TaskActivities } from './activity-proxies';
import type { AgentTask } from './agent-task';
import { continueAsNewIfDue } from './continue-as-new';
import { describeFailure } from './describe-failure';
import { acceptFinalAnswer } from './output-check';
import { Patch } from './patches';
import { StuckDetection } from './stuck-detector';
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
    for (;;) {
      if (state.modelCallDue || state.pendingMessages.length > 0) {
        // A follow-up that arrived while the previous answer was being made starts a new request.
        if (!state.modelCallDue && patched(Patch.IterationsPerRequest)) state.iteration = 0;
        await continueAsNewIfDue(task);
        state.modelCallDue = true;
        await this.takeTurn();
        continue;
      }
      await continueAsNewIfDue(task);
      const idleSince = Date.parse(state.idleSince ?? state.updatedAt);
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
    const toolMessages = await Promise.all(
      toolCalls.map((call) => this.tools.run(call, hints[call.function.name]?.idempotent === true)),
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
    await task.notifyParent({ status: 'completed', result: text });
  }

  private async invokeModel(): Promise<InvokeModelResult> {
    const { state, input } = this.task;
    const messageCount = state.messages.length;
    const tail = this.newMessagesInline(messageCount);
    state.previousModelCallCount = messageCount;
    try {
      return await this.activities.model.invokeModel({
        taskId: input.taskId,
        agentName: input.agent.agentName,
        messageCount,
        iteration: state.iteration,
        callIndex: state.modelCalls,
        ...(tail ? { tail } : {}),
        ...(input.agent.output ? { output: input.agent.output } : {}),
      });
    } catch (error) {
      // The task was cancelled while the model answered: that is a cancellation, not a provider
      // failure (0.1.0 failed the task here; its histories replay the old path).
      if (isCancellation(error) && patched(Patch.CancelDuringModelCall)) throw error;
      if (error instanceof ActivityFailure) {
        throw ApplicationFailure.create({
          type: FailureType.LlmProvider,
          message: `Model call failed: ${describeFailure(error)}`,
          nonRetryable: true,
          cause: error,
        });
      }
      throw error;
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
