import { ActivityFailure, ApplicationFailure, isCancellation, sleep } from '@temporalio/workflow';
import { FailureType, type CallApprovalHint, type CallToolInput, type ToolHint } from '../core/activity-contracts';
import { DEFAULT_APPROVAL_TIMEOUT_MS, specGatesCall, timeoutPolicyOf } from '../core/approval-rules';
import { MESSAGE_AGENT_TOOL_NAME, WAIT_FOR_EVENT_TOOL_NAME } from '../core/built-in-tools';
import { EVENT_PREVIEW_BYTES } from '../core/events';
import { utf8ByteLength, utf8Prefix } from '../core/message-pages';
import type { ToolCall, ToolMessage } from '../core/messages';
import type { ToolCallOutcome } from '../core/tool-definition';
import { describeToolCall } from '../core/tool-phrase';
import { TaskStatus } from '../core/task-status';
import { parseToolArguments } from '../core/tool-arguments';
import { toolHeartbeatTimeoutMs, type TaskActivities } from './activity-proxies';
import type { AgentTask } from './agent-task';
import { TIMEOUT_POLICY_DECIDER } from './approval-gate';
import { attemptFailure, describeFailure } from './describe-failure';
import { Patch } from './patches';

/**
 * Runs the tool calls of a turn: argument parsing, the approval gate, delegation to sub-agents,
 * and the retry rules (idempotent tools are retried by Temporal; others at most once after an
 * ambiguous failure). Every failure becomes an error result the model sees. Idempotent local
 * tools declared `localActivity` run as local activities; everything else about their calls
 * (budget, approvals, events, result bounds) is the same.
 */
export class ToolDispatcher {
  constructor(
    private readonly task: AgentTask,
    private readonly activities: TaskActivities,
  ) {}

  /**
   * Runs one call to its result message; emits `tool_call` and `tool_result`. `toolHint` is what
   * the model activity recorded about the tool (absent: not idempotent, an ordinary activity).
   */
  async run(call: ToolCall, toolHint: ToolHint | undefined, approvalHint?: CallApprovalHint): Promise<ToolMessage> {
    const { task } = this;
    const { name } = call.function;
    const parsed = parseToolArguments(call.function.arguments);
    const args = parsed.ok ? parsed.value : {};
    // Taken before anything waits, so parallel calls of a turn cannot jointly exceed a tool-call budget.
    const withinBudget = task.budget.takeToolCall();
    task.emit({ type: 'tool_call', name, arguments: args, phrase: describeToolCall(name, args), toolCallId: call.id });
    let outcome: ToolCallOutcome;
    if (!withinBudget) {
      outcome = { content: task.budget.toolCallRefusal(), isError: true };
    } else if (!parsed.ok) {
      task.budget.returnToolCall();
      outcome = { content: `Error: the arguments of ${name} are not valid JSON (${parsed.error}).`, isError: true };
    } else {
      const approval = await this.approveIfGated(name, args, approvalHint);
      if (approval && 'content' in approval) {
        task.budget.returnToolCall();
        outcome = approval;
      } else {
        outcome = await this.execute(call, args, toolHint);
        // Approved by the timeout policy: the model learns that no human decided.
        if (approval?.autoApproved) outcome = { ...outcome, content: `[${approval.autoApproved}]\n${outcome.content}` };
      }
    }
    const resultBytes = utf8ByteLength(outcome.content);
    const truncated = resultBytes > EVENT_PREVIEW_BYTES;
    task.emit({
      type: 'tool_result',
      name,
      result: truncated ? utf8Prefix(outcome.content, EVENT_PREVIEW_BYTES) : outcome.content,
      resultBytes,
      ...(truncated ? { truncated } : {}),
      success: !outcome.isError,
      toolCallId: call.id,
    });
    return { role: 'tool', tool_call_id: call.id, content: outcome.content };
  }

  /**
   * Waits for a human decision when the call is gated: its name matches a pattern of the task's
   * rules, a JSON condition of theirs holds (evaluated here, on the arguments and the context), or
   * the worker's predicates said so in the model activity's result (`approvalHint`). Returns the
   * rejection the model sees, or `autoApproved` when the timeout policy approved the call.
   */
  private async approveIfGated(
    toolName: string,
    args: Record<string, unknown>,
    hint: CallApprovalHint | undefined,
  ): Promise<ToolCallOutcome | { autoApproved: string } | undefined> {
    const { task } = this;
    const rules = task.input.approvalRules;
    // Waiting for a named event has no side effect a human would need to approve.
    if (this.isEventWait(toolName)) return undefined;
    const gated = hint?.requiresApproval === true || (rules !== undefined && specGatesCall(rules, toolName, args, task.input.context));
    if (!gated) return undefined;
    task.awaitingApproval += 1;
    task.setStatus(TaskStatus.AwaitingApproval);
    try {
      const phrase = hint?.summary ?? describeToolCall(toolName, args);
      const { request, decision } = await task.approvals.waitForDecision(
        {
          toolName,
          toolArgs: args,
          agentName: task.input.agent.agentName,
          taskId: task.input.taskId,
          summary: hint?.note ? `${phrase} (${hint.note})` : phrase,
        },
        rules?.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
        (approval) => task.emit({ type: 'approval_requested', approval }),
        {
          onTimeout: rules ? timeoutPolicyOf(rules) : 'reject',
          ...(rules?.escalation ? { escalation: rules.escalation } : {}),
          onEscalated: (approval) => task.emit({ type: 'approval_escalated', approval }),
        },
      );
      task.emit({
        type: 'approval_resolved',
        approvalId: request.id,
        decision: decision.decision,
        ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
        ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
      });
      if (decision.decision === 'approved') {
        return decision.decidedBy === TIMEOUT_POLICY_DECIDER && decision.reason !== undefined
          ? { autoApproved: `Approved without a human decision: ${decision.reason}` }
          : undefined;
      }
      const by = decision.decidedBy ? ` by ${decision.decidedBy}` : '';
      const reason =
        decision.decision === 'timed_out' ? `approval timed out (${decision.reason})` : (decision.reason ?? `rejected${by}`);
      return { content: `[Tool call rejected: ${reason}]`, isError: true };
    } finally {
      task.awaitingApproval -= 1;
      task.setStatus(task.toolCallsStatus());
    }
  }

  private async execute(call: ToolCall, args: Record<string, unknown>, toolHint: ToolHint | undefined): Promise<ToolCallOutcome> {
    const { input } = this.task;
    if (call.function.name === MESSAGE_AGENT_TOOL_NAME && input.agent.subAgents.length > 0) {
      return this.task.delegation.messageAgent(args);
    }
    if (this.isEventWait(call.function.name)) return this.task.events.waitForEvent(args, call.id);
    const toolInput: CallToolInput = {
      taskId: input.taskId,
      agentName: input.agent.agentName,
      toolCallId: call.id,
      toolName: call.function.name,
      arguments: args,
      // The context stays in the workflow input; the activity reads it by query when a tool needs it.
      hasContext: input.context !== undefined,
    };
    // Only calls the worker marked local ask for the patch, so 0.1.0 and 0.2.0 histories never do.
    const local = toolHint?.localActivity === true && this.task.patches.has(Patch.LocalToolActivities);
    const tools = this.activities.withToolHeartbeat(toolHeartbeatTimeoutMs(input.agent, toolHint));
    if (local || toolHint?.idempotent === true || input.agent.retryUnknownOutcomes) {
      try {
        return local
          ? await this.activities.localTools.callTool(withInlineContext(toolInput, input.context))
          : await tools.tools.callTool(toolInput);
      } catch (error) {
        if (error instanceof ActivityFailure && !isCancellation(error)) {
          return { content: `Error: ${describeFailure(error)}`, isError: true };
        }
        throw error;
      }
    }
    return this.callAtMostOnceAfterUnknownOutcome(toolInput, tools);
  }

  /**
   * Runs a tool that is not idempotent: failures the tool reported are retried with the agent's
   * tool backoff, but a failure whose outcome is unknown (a timeout, or the worker or MCP server
   * dying mid-call) is not, since the call may already have taken effect. The model is told.
   */
  private async callAtMostOnceAfterUnknownOutcome(
    input: CallToolInput,
    tools: Pick<TaskActivities, 'singleAttemptTools' | 'atMostOnceTools'>,
  ): Promise<ToolCallOutcome> {
    const backoff = this.task.input.agent.toolBackoff;
    for (let attempt = 1; ; attempt += 1) {
      try {
        // Asked as each activity is scheduled: a task opened by 0.2.0 replays its earlier calls as they ran.
        return this.task.patches.has(Patch.AtMostOnceToolActivity)
          ? await tools.atMostOnceTools.callToolAtMostOnce(input)
          : await tools.singleAttemptTools.callTool(input);
      } catch (error) {
        if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
        const cause = attemptFailure(error.cause);
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

  /** The built-in `wait_for_event` of an agent that declares events (else a tool of that name is the agent's own). */
  private isEventWait(toolName: string): boolean {
    return toolName === WAIT_FOR_EVENT_TOOL_NAME && Object.keys(this.task.input.agent.events ?? {}).length > 0;
  }
}

/**
 * The input of a local activity call: the context goes inline. A local activity's input is not
 * written to history, and reading the context by query from inside one would wait for the very
 * workflow task that is running it.
 */
function withInlineContext(input: CallToolInput, context: CallToolInput['context']): CallToolInput {
  const { hasContext: _hasContext, ...rest } = input;
  // As the query answers: a null context reaches the tool as undefined.
  return context === undefined || context === null ? rest : { ...rest, context };
}
