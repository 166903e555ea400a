import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType, type CallToolInput, type InvokeModelResult, type ZapActivities } from '../core/activity-contracts';
import { specMatches } from '../core/approval-rules';
import { EventLog } from '../core/event-log';
import type { DurableEventInput } from '../core/events';
import { takeMessagePage, utf8ByteLength } from '../core/message-pages';
import type { ChatMessage, ToolCall, ToolMessage } from '../core/messages';
import type { ToolCallOutcome } from '../core/tool-definition';
import { describeToolCall } from '../core/tool-phrase';
import { TaskStatus } from '../core/task-status';
import type { TaskSnapshot } from '../core/task-snapshot';
import {
  initialTaskState,
  upgradeWorkflowInput,
  type AgentWorkflowInput,
  type AgentWorkflowResult,
  type CarriedTaskState,
} from '../core/task-state';
import { ApprovalGate } from './approval-gate';
import {
  cancelReasonSignal,
  decideApprovalUpdate,
  followUpSignal,
  getEventsQuery,
  getMessagesQuery,
  getTaskStateQuery,
  subTaskUpdateSignal,
} from './definitions';
import type { SubTaskUpdate } from '../core/task-state';
import { describeFailure } from './describe-failure';
import { SubAgentDelegation } from './sub-agent-delegation';

/**
 * Largest state carried into a new run. Temporal refuses payloads over 2 MB (and warns above
 * 512 KB), so anything larger stays in the current run.
 */
const MAX_CARRIED_STATE_BYTES = 1_800_000;

/** Name of the built-in delegation tool (kept in sync with `src/tools/message-agent-tool.ts`). */
const MESSAGE_AGENT_TOOL_NAME = 'message_agent';

/**
 * One agent task. The conversation lives in workflow state; each model call and each tool call
 * is an activity. After an answer the task stays open for follow-ups until `idleTimeoutMs`
 * passes without one, then ends cleanly. Failures end the run failed, cancellation cancelled.
 */
export async function agentWorkflow(input: AgentWorkflowInput): Promise<AgentWorkflowResult> {
  // Tasks started (or continued as new) by older workers carry older shapes: upgrade first.
  const run = new AgentTaskRun(upgradeWorkflowInput(input));
  run.registerHandlers();
  return run.execute();
}

class AgentTaskRun {
  private readonly state: CarriedTaskState;
  private readonly eventLog: EventLog;
  private readonly approvals: ApprovalGate;
  private readonly delegation: SubAgentDelegation;
  private readonly modelActivities: ZapActivities;
  private readonly toolActivities: ZapActivities;
  /** One attempt per activity: for tools whose calls must not be repeated blindly. */
  private readonly singleAttemptToolActivities: ZapActivities;
  /** Tool calls of the current turn still waiting for a human decision. */
  private awaitingApproval = 0;
  /** True once the task has ended for good; reported to streaming consumers. */
  private closed = false;
  /** Set when the state is too large to carry into a new run. */
  private continueAsNewRefused = false;
  private error: string | undefined;

  constructor(readonly input: AgentWorkflowInput) {
    const { agent } = input;
    this.state = input.carried ?? initialTaskState(input);
    this.eventLog = new EventLog(input.taskId, input.eventLogLimit, this.state.eventLog);
    this.approvals = new ApprovalGate(this.state.approvals);
    this.delegation = new SubAgentDelegation(this, this.state.delegation);
    this.modelActivities = proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.llmTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: agent.llmRetry,
    });
    this.toolActivities = proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: agent.toolRetry,
    });
    this.singleAttemptToolActivities = proxyActivities<ZapActivities>({
      startToCloseTimeout: agent.toolTimeoutMs,
      heartbeatTimeout: agent.heartbeatTimeoutMs,
      retry: { maximumAttempts: 1 },
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
    setHandler(subTaskUpdateSignal, (update) => this.delegation.onUpdate(update));
    setHandler(
      decideApprovalUpdate,
      (decision) => {
        const result = this.approvals.decide(decision);
        if (!result.alreadyDecided) this.touch();
        return result;
      },
      { validator: (decision) => this.approvals.validate(decision) },
    );
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
        const reason = this.state.cancelReason ?? 'Cancelled through Temporal';
        this.setStatus(TaskStatus.Cancelled);
        this.emit({ type: 'cancelled', reason });
        this.closed = true;
        await this.delegation.cancelAll(reason);
        await this.notifyParent({ status: 'cancelled', error: reason });
        throw error;
      }
      if (error instanceof ApplicationFailure && error.nonRetryable) {
        this.fail(error.message);
        await this.notifyParent({ status: 'failed', error: error.message });
        throw error;
      }
      // Anything else is a bug in this workflow or a continue-as-new: let Temporal handle it
      // (a workflow task failure is retried after a fix is deployed; no state is lost).
      throw error;
    }
  }

  emit(event: DurableEventInput): void {
    this.eventLog.append(event, new Date());
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
      // A follow-up that arrived together with the timeout still counts.
      if (!hasMessage && this.state.pendingMessages.length === 0) return;
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
    this.state.modelCalls += 1;
    this.setStatus(TaskStatus.Thinking);
    this.emit({ type: 'thinking', iteration: this.state.iteration, callIndex: this.state.modelCalls });

    const response = await this.invokeModel();
    this.state.usage = {
      promptTokens: this.state.usage.promptTokens + response.usage.promptTokens,
      completionTokens: this.state.usage.completionTokens + response.usage.completionTokens,
    };
    this.state.messages.push(response.message);

    const toolCalls = response.message.tool_calls ?? [];
    if (toolCalls.length === 0) {
      await this.answer(response.message.content ?? '');
      return;
    }

    this.setStatus(TaskStatus.AwaitingTool);
    // Independent calls run in parallel; their results enter the conversation in call order.
    const hints = response.toolHints ?? {};
    const toolMessages = await Promise.all(
      toolCalls.map((call) => this.runToolCall(call, hints[call.function.name]?.idempotent === true)),
    );
    this.state.messages.push(...toolMessages);
    this.touch();
  }

  private async answer(text: string): Promise<void> {
    this.state.result = text;
    this.state.modelCallDue = false;
    this.state.idleSince = new Date().toISOString();
    this.state.answerCount += 1;
    this.setStatus(TaskStatus.Completed);
    this.emit({ type: 'completed', result: text });
    await this.notifyParent({ status: 'completed', result: text });
  }

  private async invokeModel(): Promise<InvokeModelResult> {
    const messageCount = this.state.messages.length;
    const tail = this.inlineTail(messageCount);
    this.state.previousModelCallCount = messageCount;
    try {
      return await this.modelActivities.invokeModel({
        taskId: this.input.taskId,
        agentName: this.input.agent.agentName,
        messageCount,
        iteration: this.state.iteration,
        callIndex: this.state.modelCalls,
        ...(tail ? { tail } : {}),
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

  /**
   * The messages added since the previous model call (its answer, tool results, follow-ups),
   * when they fit the inline budget: the worker that served the previous call then reads nothing.
   */
  private inlineTail(messageCount: number): { from: number; messages: ChatMessage[] } | undefined {
    const budget = this.input.inlineMessageBytes ?? 0;
    const from = Math.min(this.state.previousModelCallCount, messageCount);
    if (budget <= 0 || from >= messageCount) return undefined;
    const messages = this.state.messages.slice(from, messageCount);
    const bytes = messages.reduce((total, message) => total + utf8ByteLength(JSON.stringify(message)), 0);
    return bytes <= budget ? { from, messages } : undefined;
  }

  private async runToolCall(call: ToolCall, idempotent: boolean): Promise<ToolMessage> {
    const { name } = call.function;
    const parsed = parseToolArguments(call.function.arguments);
    const args = parsed.ok ? parsed.value : {};
    this.emit({ type: 'tool_call', name, arguments: args, phrase: describeToolCall(name, args), toolCallId: call.id });
    let outcome: ToolCallOutcome;
    if (!parsed.ok) {
      outcome = { content: `Error: the arguments of ${name} are not valid JSON (${parsed.error}).`, isError: true };
    } else {
      const rejection = await this.approveIfGated(name, args);
      outcome = rejection ?? (await this.executeToolCall(call, args, idempotent));
    }
    this.emit({ type: 'tool_result', name, result: outcome.content, success: !outcome.isError, toolCallId: call.id });
    return { role: 'tool', tool_call_id: call.id, content: outcome.content };
  }

  /** Waits for a human decision when approval rules gate this tool; returns the rejection, if any. */
  private async approveIfGated(toolName: string, args: Record<string, unknown>): Promise<ToolCallOutcome | undefined> {
    const rules = this.input.approvalRules;
    if (!rules || !specMatches(rules, toolName)) return undefined;
    this.awaitingApproval += 1;
    this.setStatus(TaskStatus.AwaitingApproval);
    try {
      const { request, decision } = await this.approvals.waitForDecision(
        { toolName, toolArgs: args, agentName: this.input.agent.agentName, taskId: this.input.taskId },
        rules.timeoutMs,
        (approval) => this.emit({ type: 'approval_requested', approval }),
      );
      this.emit({
        type: 'approval_resolved',
        approvalId: request.id,
        decision: decision.decision,
        ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
        ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
      });
      if (decision.decision === 'approved') return undefined;
      const by = decision.decidedBy ? ` by ${decision.decidedBy}` : '';
      const reason =
        decision.decision === 'timed_out'
          ? `approval timed out (${decision.reason})`
          : (decision.reason ?? `rejected${by}`);
      return { content: `[Tool call rejected: ${reason}]`, isError: true };
    } finally {
      this.awaitingApproval -= 1;
      this.setStatus(this.awaitingApproval > 0 ? TaskStatus.AwaitingApproval : TaskStatus.AwaitingTool);
    }
  }

  private async executeToolCall(call: ToolCall, args: Record<string, unknown>, idempotent: boolean): Promise<ToolCallOutcome> {
    if (call.function.name === MESSAGE_AGENT_TOOL_NAME && this.input.agent.subAgents.length > 0) {
      return this.delegation.messageAgent(args);
    }
    const input: CallToolInput = {
      taskId: this.input.taskId,
      agentName: this.input.agent.agentName,
      toolCallId: call.id,
      toolName: call.function.name,
      arguments: args,
      context: this.input.context,
    };
    if (idempotent || this.input.agent.retryUnknownOutcomes) {
      try {
        return await this.toolActivities.callTool(input);
      } catch (error) {
        if (error instanceof ActivityFailure && !isCancellation(error)) {
          return { content: `Error: ${describeFailure(error)}`, isError: true };
        }
        throw error;
      }
    }
    return this.callToolAtMostOnceBlindly(input);
  }

  /**
   * Runs a tool that is not idempotent: failures the tool reported are retried with the agent's
   * tool backoff, but a failure whose outcome is unknown (a timeout, or the worker or MCP server
   * dying mid-call) is not, since the call may already have taken effect. The model is told.
   */
  private async callToolAtMostOnceBlindly(input: CallToolInput): Promise<ToolCallOutcome> {
    const backoff = this.input.agent.toolBackoff;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.singleAttemptToolActivities.callTool(input);
      } catch (error) {
        if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
        const cause = error.cause;
        const reported = cause instanceof ApplicationFailure && cause.type !== FailureType.ToolOutcomeUnknown;
        if (!reported) {
          return {
            content:
              `[Tool call outcome unknown: ${describeFailure(error)}. It may or may not have taken effect; ` +
              `${input.toolName} is not idempotent, so it was not retried. Check before calling it again.]`,
            isError: true,
          };
        }
        if (cause.nonRetryable || attempt >= backoff.maximumAttempts) {
          return { content: `Error: ${describeFailure(error)}`, isError: true };
        }
        await sleep(Math.min(backoff.maximumMs, backoff.initialMs * backoff.coefficient ** (attempt - 1)));
      }
    }
  }

  private appendPendingMessages(): void {
    const pending = this.state.pendingMessages.splice(0);
    for (const content of pending) this.state.messages.push({ role: 'user', content });
  }

  /** Tells the parent task (if any) that this sub-task answered, failed or was cancelled. */
  private async notifyParent(report: Omit<SubTaskUpdate, 'subTaskId' | 'answerNumber'>): Promise<void> {
    const parentTaskId = this.input.parentTaskId;
    if (!parentTaskId) return;
    const update: SubTaskUpdate = { subTaskId: this.input.taskId, answerNumber: this.state.answerCount, ...report };
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(parentTaskId).signal(subTaskUpdateSignal, update);
      } catch {
        // The parent has ended; nobody is waiting for this answer.
      }
    });
  }

  private async continueAsNewIfDue(): Promise<void> {
    if (this.continueAsNewRefused) return;
    const info = workflowInfo();
    const limit = this.input.continueAsNewAfterEvents;
    const due = info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
    if (!due) return;
    const carried: CarriedTaskState = { ...this.state, eventLog: this.eventLog.toState(), runCount: this.state.runCount + 1 };
    const carriedBytes = utf8ByteLength(JSON.stringify(carried));
    if (carriedBytes > MAX_CARRIED_STATE_BYTES) {
      // The next run's input would exceed Temporal's payload limit and the continue-as-new would
      // fail forever. Keep this run instead: its history can still grow far (up to 50 MB), and a
      // conversation this large has long outgrown any model's context.
      this.continueAsNewRefused = true;
      log.warn('Not continuing as new: the task state is too large to carry', { carriedBytes, taskId: this.input.taskId });
      return;
    }
    await condition(allHandlersFinished);
    await continueAsNew<typeof agentWorkflow>({ ...this.input, carried });
  }

  private fail(message: string): void {
    this.error = message;
    this.setStatus(TaskStatus.Failed);
    this.emit({ type: 'error', error: message });
    this.closed = true;
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
      subTasks: this.delegation.subTaskIds(),
      usage: this.state.usage,
      pendingApprovals: this.approvals.pending(),
      approvals: this.approvals.all().map(({ request, decision }) => ({ ...request, ...decision })),
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
