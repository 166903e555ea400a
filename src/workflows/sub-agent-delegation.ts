import {
  ActivityFailure,
  CancellationScope,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  condition,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  startChild,
} from '@temporalio/workflow';
import type { ZapActivities } from '../core/activity-contracts';
import { mergeApprovalRuleSpecs } from '../core/approval-rules';
import { formatDuration } from '../core/format-duration';
import { Patch } from './patches';
import type { DurableEventInput } from '../core/events';
import type { ToolCallOutcome } from '../core/tool-definition';
import {
  type AgentWorkflowInput,
  type DelegationState,
  type SubConversation,
  type SubTaskUpdate,
} from '../core/task-state';
import { AGENT_WORKFLOW_TYPE, cancelReasonSignal, followUpSignal } from './definitions';
import { describeFailure } from './describe-failure';
import { subTaskStartOptions } from './sub-task-start';
import type { TaskBudgetKeeper } from './task-budget';
import type { RunPatches } from './run-patches';

/** Arguments of the built-in `message_agent` tool. */
interface MessageAgentArguments {
  agent_name?: unknown;
  message?: unknown;
  conversation_id?: unknown;
}

/** What delegation needs from the task that delegates. */
export interface DelegationHost {
  readonly input: AgentWorkflowInput;
  /** True when sub-tasks start with search attributes (the task has them, behind its patch). */
  readonly searchAttributesEnabled: boolean;
  /** The task's budget: sub-tasks draw from it. */
  readonly budget: TaskBudgetKeeper;
  /** The changes the run takes. */
  readonly patches: RunPatches;
  emit(event: DurableEventInput): void;
}

const { describeAgent, checkSubTask } = proxyLocalActivities<ZapActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * The built-in `message_agent` tool: a new conversation starts a child task of the named
 * sub-agent; `conversation_id` continues that same child task with a follow-up. The child reports
 * each answer back with a signal, so a conversation can go on across many parent turns.
 */
export class SubAgentDelegation {
  constructor(
    private readonly host: DelegationHost,
    private readonly state: DelegationState,
  ) {}

  /** Signal handler: a sub-task answered, failed or was cancelled. */
  onUpdate(update: SubTaskUpdate): void {
    const previous = this.state.updates[update.subTaskId];
    if (!previous || update.answerNumber >= previous.answerNumber) this.state.updates[update.subTaskId] = update;
  }

  subTaskIds(): string[] {
    return this.state.conversations.map((conversation) => conversation.subTaskId);
  }

  /** Runs one `message_agent` call; problems come back as error results for the model, never retried. */
  async messageAgent(args: MessageAgentArguments): Promise<ToolCallOutcome> {
    const message = typeof args.message === 'string' ? args.message.trim() : '';
    if (message === '') return failure('message_agent needs a non-empty `message`.');
    if (args.conversation_id !== undefined && args.conversation_id !== null && args.conversation_id !== '') {
      return this.continueConversation(String(args.conversation_id), args.agent_name, message);
    }
    return this.startConversation(args.agent_name, message);
  }

  /** Cancels every sub-task that may still be open (used when this task is cancelled). */
  async cancelAll(reason: string): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      await Promise.all(
        this.state.conversations
          .filter((conversation) => !isFinal(this.state.updates[conversation.subTaskId]))
          .map(async ({ subTaskId }) => {
            const handle = getExternalWorkflowHandle(subTaskId);
            try {
              await handle.signal(cancelReasonSignal, `Parent task ${this.host.input.taskId} was cancelled: ${reason}`);
              await handle.cancel();
            } catch {
              // Already closed: nothing to cancel.
            }
          }),
      );
    });
  }

  private async startConversation(agentName: unknown, message: string): Promise<ToolCallOutcome> {
    const allowed = this.host.input.agent.subAgents;
    if (typeof agentName !== 'string' || !allowed.includes(agentName)) {
      return failure(
        `Agent ${JSON.stringify(agentName)} is not one you can message. You can message: ${allowed.join(', ') || 'no agents'}.`,
      );
    }
    const { input } = this.host;
    let settings;
    try {
      settings = await describeAgent({ agentName, context: input.context });
    } catch (error) {
      if (error instanceof ActivityFailure) return failure(`Could not start agent ${agentName}: ${describeFailure(error)}`);
      throw error;
    }
    const subTaskId = `${input.taskId}.${agentName}.${this.state.conversations.length + 1}`;
    const conversation: SubConversation = { subTaskId, agentName, awaitingAnswer: true };
    this.state.conversations.push(conversation);
    const createdAt = new Date().toISOString();
    // A sub-task belongs to its parent's tenant and user.
    const { tenantId, userId } = input;
    const searchAttributes = this.host.searchAttributesEnabled;
    await startChild(AGENT_WORKFLOW_TYPE, {
      ...subTaskStartOptions({
        subTaskId,
        agent: settings,
        message,
        context: input.context,
        // The parent's rules when they pass on, and the sub-agent's own rules in any case.
        approvalRules: mergeApprovalRuleSpecs(input.approvalRules?.inherit === false ? undefined : input.approvalRules, settings.approvalRules),
        idleTimeoutMs: input.idleTimeoutMs,
        eventLogLimit: input.eventLogLimit,
        inlineMessageBytes: input.inlineMessageBytes,
        continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        historyHardStopEvents: input.historyHardStopEvents,
        parentTaskId: input.taskId,
        tenantId,
        userId,
        searchAttributes,
        createdAt,
        // A share of what is left of the parent's budget, held until the child reports.
        budget: this.host.budget.reserveForChild(subTaskId, undefined),
      }),
      // The child outlives a continue-as-new of its parent, and stays open for follow-ups after
      // the parent's run ends; cancellation is propagated explicitly (cancelAll).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.TRY_CANCEL,
    });
    this.host.emit({ type: 'sub_task_started', subTaskId, agentName });
    return this.waitForAnswer(conversation, 0);
  }

  /**
   * Waits for the sub-task's answer until the agent's sub-agent timeout, checking now and then
   * (5 s, doubling up to 10 min) that the child can still answer. Returns what went wrong, if
   * anything: a child that was terminated, reset away, timed out, closed without reporting, or
   * is stuck in a failing workflow task is reported to the model instead of blocking the turn.
   */
  private async waitWhileAlive(conversation: SubConversation, answered: () => boolean): Promise<string | undefined> {
    const timeoutMs = this.host.input.agent.subAgentTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (let pause = FIRST_LIVENESS_CHECK_MS; ; pause = Math.min(pause * 2, MAX_LIVENESS_CHECK_MS)) {
      const remaining = deadline - Date.now();
      if (await condition(answered, Math.max(1, Math.min(pause, remaining)))) return undefined;
      if (Date.now() >= deadline) return `gave no answer within ${formatDuration(timeoutMs)}; it may still answer later (continue the conversation to ask again).`;
      let check;
      try {
        check = await checkSubTask({ subTaskId: conversation.subTaskId });
      } catch {
        continue; // The check itself failed (Temporal busy): keep waiting, check again later.
      }
      // The report may have arrived while the check ran.
      if (answered()) return undefined;
      if (check.state === 'not_found') return 'no longer exists.';
      if (check.state === 'closed') return `ended without an answer (${check.detail ?? 'closed'}).`;
      if (check.state === 'stuck') return `is stuck: ${check.detail ?? 'its workflow task keeps failing'}. An operator must fix or reset it.`;
    }
  }

  private async continueConversation(subTaskId: string, agentName: unknown, message: string): Promise<ToolCallOutcome> {
    const conversation = this.state.conversations.find((candidate) => candidate.subTaskId === subTaskId);
    if (!conversation) {
      const known = this.subTaskIds();
      return failure(`Unknown conversation_id '${subTaskId}'. Known conversations: ${known.join(', ') || 'none'}.`);
    }
    if (agentName !== undefined && agentName !== conversation.agentName) {
      return failure(`Conversation '${subTaskId}' is with ${conversation.agentName}, not ${String(agentName)}.`);
    }
    // One message at a time per conversation, so each call gets its own answer.
    await condition(() => !conversation.awaitingAnswer);
    const previous = this.state.updates[subTaskId];
    if (previous && previous.status !== 'completed') {
      return failure(`Conversation '${subTaskId}' has ended (${previous.status}${previous.error ? `: ${previous.error}` : ''}).`);
    }
    conversation.awaitingAnswer = true;
    const budget = this.host.budget.reserveForChild(subTaskId, previous?.budgetSpent);
    try {
      await getExternalWorkflowHandle(subTaskId).signal(followUpSignal, { content: message, ...(budget ? { budgetLimits: budget.limits } : {}) });
    } catch {
      this.reconcile(conversation);
      conversation.awaitingAnswer = false;
      return failure(`Conversation '${subTaskId}' has ended after its idle timeout; start a new one.`);
    }
    return this.waitForAnswer(conversation, previous?.answerNumber ?? 0);
  }

  /** The child reported (or will not): its reservation is released and what it spent is added to the parent's. */
  private reconcile(conversation: SubConversation): void {
    if (!this.host.budget.active) return;
    const spent = this.state.updates[conversation.subTaskId]?.budgetSpent;
    // Without a report the whole reservation counts: the child cannot spend more than it.
    conversation.budgetReconciled = this.host.budget.reconcileChild(conversation.subTaskId, spent, conversation.budgetReconciled);
  }

  private async waitForAnswer(conversation: SubConversation, answeredBefore: number): Promise<ToolCallOutcome> {
    const { subTaskId, agentName } = conversation;
    const answered = (): boolean => {
      const update = this.state.updates[subTaskId];
      return update !== undefined && (update.answerNumber > answeredBefore || update.status !== 'completed');
    };
    if (!this.host.patches.has(Patch.SubTaskLiveness)) {
      await condition(answered);
    } else {
      const problem = await this.waitWhileAlive(conversation, answered);
      if (problem !== undefined) {
        this.reconcile(conversation);
        conversation.awaitingAnswer = false;
        return failure(`Agent ${agentName} (${subTaskId}) ${problem}`);
      }
    }
    this.reconcile(conversation);
    conversation.awaitingAnswer = false;
    const update = this.state.updates[subTaskId] as SubTaskUpdate;
    if (update.status !== 'completed') {
      return failure(`Agent ${agentName} (${subTaskId}) ${update.status}: ${update.error ?? 'no answer'}`);
    }
    return {
      content: JSON.stringify({ conversation_id: subTaskId, agent: agentName, answer: update.result ?? '' }),
      isError: false,
    };
  }
}

/** First pause before a sub-task's liveness is checked; each later pause doubles, up to the cap. */
const FIRST_LIVENESS_CHECK_MS = 5_000;
const MAX_LIVENESS_CHECK_MS = 10 * 60_000;

function failure(message: string): ToolCallOutcome {
  return { content: `Error: ${message}`, isError: true };
}

function isFinal(update: SubTaskUpdate | undefined): boolean {
  return update !== undefined && update.status !== 'completed';
}
