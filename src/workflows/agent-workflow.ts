import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType, type ZapActivities } from '../core/activity-contracts';
import { EventLog } from '../core/event-log';
import type { DurableEventInput } from '../core/events';
import type { AssistantMessage, ToolCall, ToolMessage } from '../core/messages';
import { takeMessagePage } from '../core/message-pages';
import type { ToolCallOutcome } from '../core/tool-definition';
import { describeToolCall } from '../core/tool-phrase';
import { TaskStatus } from '../core/task-status';
import type { TaskSnapshot } from '../core/task-snapshot';
import type { AgentWorkflowInput, AgentWorkflowResult, CarriedTaskState } from './agent-workflow-input';
import {
  cancelReasonSignal,
  followUpSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskStateQuery,
} from './definitions';
import { describeFailure } from './describe-failure';

/**
 * One agent task. The conversation lives in workflow state; each model call and each tool call
 * is an activity. After an answer the task stays open for follow-ups until `idleTimeoutMs`
 * passes without one, then ends cleanly. Failures end the run failed, cancellation cancelled.
 */
export async function agentWorkflow(input: AgentWorkflowInput): Promise<AgentWorkflowResult> {
  const run = new AgentTaskRun(input);
  run.registerHandlers();
  return run.execute();
}

class AgentTaskRun {
  private readonly state: CarriedTaskState;
  private readonly eventLog: EventLog;
  private readonly modelActivities: ZapActivities;
  private readonly toolActivities: ZapActivities;
  /** True once the task has ended for good; reported to streaming consumers. */
  private closed = false;
  private error: string | undefined;

  constructor(private readonly input: AgentWorkflowInput) {
    const { agent } = input;
    this.state = input.carried ?? {
      messages: [
        { role: 'system', content: agent.systemPrompt },
        { role: 'user', content: input.message },
      ],
      status: TaskStatus.Pending,
      modelCallDue: true,
      iteration: 0,
      pendingMessages: [],
      eventLog: { events: [], lastSeq: 0 },
      usage: { promptTokens: 0, completionTokens: 0 },
      subTasks: [],
      updatedAt: input.createdAt,
      runCount: 1,
    };
    this.eventLog = new EventLog(input.taskId, input.eventLogLimit, this.state.eventLog);
    this.modelActivities = proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      retry: agent.llmRetry,
    });
    this.toolActivities = proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      retry: agent.toolRetry,
    });
  }

  registerHandlers(): void {
    setHandler(followUpSignal, ({ content }) => {
      this.state.pendingMessages.push(content);
      // A follow-up reopens an answered task at once, so a caller that reads the task right
      // after sending one never mistakes the previous answer for the new one.
      if (this.state.status === TaskStatus.Completed) this.state.status = TaskStatus.Thinking;
      this.touch();
    });
    setHandler(cancelReasonSignal, (reason) => {
      this.state.cancelReason = reason;
    });
    setHandler(getTaskStateQuery, () => this.snapshot());
    setHandler(getMessagesQuery, ({ from, to, maxBytes }) => {
      if (to > this.state.messages.length) {
        throw new Error(`The conversation has ${this.state.messages.length} messages; ${to} were asked for.`);
      }
      return takeMessagePage(this.state.messages, from, to, maxBytes);
    });
    setHandler(getEventsQuery, (since) => ({
      events: this.eventLog.since(since),
      firstRetainedSeq: this.eventLog.firstRetainedSeq(),
      lastSeq: this.eventLog.latestSeq(),
      closed: this.closed,
    }));
  }

  async execute(): Promise<AgentWorkflowResult> {
    try {
      await this.converse();
      this.closed = true;
      return {
        taskId: this.input.taskId,
        status: this.state.status,
        result: this.state.result,
        usage: this.state.usage,
      };
    } catch (error) {
      if (isCancellation(error)) {
        this.setStatus(TaskStatus.Cancelled);
        this.emit({ type: 'cancelled', reason: this.state.cancelReason ?? 'Cancelled through Temporal' });
        this.closed = true;
        throw error;
      }
      if (error instanceof ApplicationFailure && error.nonRetryable) {
        this.fail(error.message);
        throw error;
      }
      // Anything else is a bug in this workflow or a continue-as-new: let Temporal handle it
      // (a workflow task failure is retried after a fix is deployed; no state is lost).
      throw error;
    }
  }

  /** Answers requests until the task has been idle for its idle timeout. */
  private async converse(): Promise<void> {
    for (;;) {
      if (this.state.modelCallDue || this.state.pendingMessages.length > 0) {
        await this.continueAsNewIfDue();
        this.state.modelCallDue = true;
        await this.takeTurn();
        continue;
      }
      await this.continueAsNewIfDue();
      const idleSince = Date.parse(this.state.idleSince ?? this.state.updatedAt);
      const remainingMs = Math.max(0, idleSince + this.input.idleTimeoutMs - Date.now());
      const hasMessage = await condition(() => this.state.pendingMessages.length > 0, remainingMs);
      if (!hasMessage) return;
      this.state.iteration = 0;
    }
  }

  /** One model call, and the tool calls it asks for. */
  private async takeTurn(): Promise<void> {
    this.appendPendingMessages();
    if (this.state.iteration >= this.input.agent.maxIterations) {
      throw ApplicationFailure.create({
        type: FailureType.MaxIterationsExceeded,
        message:
          `Agent '${this.input.agent.agentName}' reached maxIterations (${this.input.agent.maxIterations}) ` +
          'without a final answer.',
        nonRetryable: true,
      });
    }
    this.state.iteration += 1;
    this.setStatus(TaskStatus.Thinking);
    this.emit({ type: 'thinking', iteration: this.state.iteration });

    const response = await this.invokeModel();
    this.state.usage = {
      promptTokens: this.state.usage.promptTokens + response.usage.promptTokens,
      completionTokens: this.state.usage.completionTokens + response.usage.completionTokens,
    };
    this.state.messages.push(response.message);

    const toolCalls = response.message.tool_calls ?? [];
    if (toolCalls.length === 0) {
      const answer = response.message.content ?? '';
      this.state.result = answer;
      this.state.modelCallDue = false;
      this.state.idleSince = new Date().toISOString();
      this.setStatus(TaskStatus.Completed);
      this.emit({ type: 'completed', result: answer });
      return;
    }

    this.setStatus(TaskStatus.AwaitingTool);
    // Independent calls run in parallel; their results enter the conversation in call order.
    const toolMessages = await Promise.all(toolCalls.map((call) => this.runToolCall(call)));
    this.state.messages.push(...toolMessages);
    this.touch();
  }

  private async invokeModel(): Promise<{ message: AssistantMessage; usage: { promptTokens: number; completionTokens: number } }> {
    try {
      return await this.modelActivities.invokeModel({
        taskId: this.input.taskId,
        agentName: this.input.agent.agentName,
        messageCount: this.state.messages.length,
        iteration: this.state.iteration,
      });
    } catch (error) {
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

  private async runToolCall(call: ToolCall): Promise<ToolMessage> {
    const { name } = call.function;
    const parsed = parseToolArguments(call.function.arguments);
    this.emit({
      type: 'tool_call',
      name,
      arguments: parsed.ok ? parsed.value : {},
      phrase: describeToolCall(name, parsed.ok ? parsed.value : {}),
      toolCallId: call.id,
    });
    const outcome: ToolCallOutcome = parsed.ok
      ? await this.callTool(call, parsed.value)
      : { content: `Error: the arguments of ${name} are not valid JSON (${parsed.error}).`, isError: true };
    this.emit({
      type: 'tool_result',
      name,
      result: outcome.content,
      success: !outcome.isError,
      toolCallId: call.id,
    });
    return { role: 'tool', tool_call_id: call.id, content: outcome.content };
  }

  private async callTool(call: ToolCall, args: Record<string, unknown>): Promise<ToolCallOutcome> {
    try {
      return await this.toolActivities.callTool({
        taskId: this.input.taskId,
        agentName: this.input.agent.agentName,
        toolCallId: call.id,
        toolName: call.function.name,
        arguments: args,
        context: this.input.context,
      });
    } catch (error) {
      if (error instanceof ActivityFailure) {
        return { content: `Error: ${describeFailure(error)}`, isError: true };
      }
      throw error;
    }
  }

  private appendPendingMessages(): void {
    const pending = this.state.pendingMessages.splice(0);
    for (const content of pending) this.state.messages.push({ role: 'user', content });
  }

  private async continueAsNewIfDue(): Promise<void> {
    const info = workflowInfo();
    const limit = this.input.continueAsNewAfterEvents;
    const due = info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
    if (!due) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof agentWorkflow>({
      ...this.input,
      carried: { ...this.state, eventLog: this.eventLog.toState(), runCount: this.state.runCount + 1 },
    });
  }

  private fail(message: string): void {
    this.error = message;
    this.setStatus(TaskStatus.Failed);
    this.emit({ type: 'error', error: message });
    this.closed = true;
  }

  private emit(event: DurableEventInput): void {
    this.eventLog.append(event, new Date());
  }

  private setStatus(status: TaskStatus): void {
    this.state.status = status;
    this.touch();
  }

  private touch(): void {
    this.state.updatedAt = new Date().toISOString();
  }

  private snapshot(): TaskSnapshot {
    return {
      taskId: this.input.taskId,
      agentName: this.input.agent.agentName,
      status: this.state.status,
      result: this.state.result,
      error: this.error,
      history: takeMessagePage(this.state.messages, 0, this.state.messages.length),
      messageCount: this.state.messages.length,
      subTasks: this.state.subTasks,
      usage: this.state.usage,
      pendingApprovals: [],
      parentTaskId: this.input.parentTaskId,
      lastEventSeq: this.eventLog.latestSeq(),
      createdAt: this.input.createdAt,
      updatedAt: this.state.updatedAt,
    };
  }
}

type ParsedArguments = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

function parseToolArguments(text: string): ParsedArguments {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: 'expected a JSON object' };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

