import type { AgentTaskSettings } from '../core/agent-settings';
import type { ApprovalRulesSpec } from '../core/approval-rules';
import type { EventLogState } from '../core/event-log';
import type { JsonValue } from '../core/json';
import type { ChatMessage, MessageContent, TokenUsage } from '../core/messages';
import type { TaskStatus } from '../core/task-status';
import type { ApprovalRecord } from './approval-gate';
import type { DelegationState } from './sub-agent-delegation';

/** What starts an agent workflow. Plain JSON. */
export interface AgentWorkflowInput {
  taskId: string;
  agent: AgentTaskSettings;
  /** The first user message. */
  message: MessageContent;
  context?: JsonValue;
  /** Tool calls that need a human decision; inherited by sub-agents unless `inherit` is false. */
  approvalRules?: ApprovalRulesSpec;
  /** How long an answered task waits for a follow-up before it ends, in milliseconds. */
  idleTimeoutMs: number;
  /** Durable events kept for streaming consumers. */
  eventLogLimit: number;
  /** Budget for the newest messages passed inline to a model call (0 = always read by query). */
  inlineMessageBytes?: number;
  /**
   * Continue-as-new once the run's history has this many events, even if Temporal has not
   * suggested it yet. Leave unset in production; tests use it to force continue-as-new.
   */
  continueAsNewAfterEvents?: number;
  parentTaskId?: string;
  /** ISO-8601. */
  createdAt: string;
  /** State carried from the previous run after continue-as-new. */
  carried?: CarriedTaskState;
}

/** Everything a run hands to the next one at continue-as-new. */
export interface CarriedTaskState {
  messages: ChatMessage[];
  status: TaskStatus;
  result?: string;
  /** True when a model call is due (a request is being worked on). */
  modelCallDue: boolean;
  iteration: number;
  pendingMessages: MessageContent[];
  eventLog: EventLogState;
  usage: TokenUsage;
  /** ISO-8601; when the task last became idle. */
  idleSince?: string;
  updatedAt: string;
  cancelReason?: string;
  /** Runs so far, the first one included. */
  runCount: number;
  /** Requests answered so far (reported to a parent task). */
  answerCount: number;
  /** Model calls so far. */
  modelCalls: number;
  /** `messageCount` of the previous model call of this run (0 before the first). */
  previousModelCallCount: number;
  approvals: ApprovalRecord[];
  delegation: DelegationState;
}

/** What a task's workflow returns when it ends cleanly (idle timeout after an answer). */
export interface AgentWorkflowResult {
  taskId: string;
  status: TaskStatus;
  result?: string;
  usage: TokenUsage;
}
