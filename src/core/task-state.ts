import type { AgentTaskSettings } from './agent-settings';
import type { ApprovalRequest } from './approval-request';
import type { ApprovalRulesSpec } from './approval-rules';
import type { EventLogState } from './event-log';
import type { JsonValue } from './json';
import type { ChatMessage, MessageContent, TokenUsage } from './messages';
import { TaskStatus } from './task-status';

/**
 * The durable state of a task: what starts its workflow, what one run hands to the next at
 * continue-as-new, and the approval and delegation records inside it. A task lives for days, so
 * a worker of a newer zap-agents meets state written by an older one: every reader goes through
 * {@link upgradeWorkflowInput}, which gives each field added since 0.1.0 its default.
 *
 * Rules for changing this module (also in the README, "Changing workflow code"):
 * - a new field is optional in the stored shape and gets its default in `upgradeWorkflowInput`;
 * - a change of meaning bumps {@link TASK_STATE_SCHEMA_VERSION} and adds a step to the upgrade;
 * - nothing here is ever removed while a supported release may still have tasks open.
 *
 * Pure and sandbox-safe: imported by workflow code and by the client.
 */

/**
 * Version of the state shape written by this code. 0.1.0 wrote none (version 1).
 * 2: `schemaVersion` itself; every field of 0.1.0 may be missing and gets a default;
 *    `agent.subAgentTimeoutMs` (default 24 hours).
 */
export const TASK_STATE_SCHEMA_VERSION = 2;

/** What starts an agent workflow. Plain JSON. */
export interface AgentWorkflowInput {
  /** Shape of this input and of `carried`; missing in tasks started by 0.1.0. */
  schemaVersion?: number;
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
  /**
   * Length of the conversation when the previous model call was made (0 before the first): the
   * messages after it are new to the worker that served that call.
   */
  previousModelCallCount: number;
  approvals: ApprovalRecord[];
  delegation: DelegationState;
}

/** A decided (or timed-out) approval, kept in workflow state. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected' | 'timed_out';
  reason?: string;
  decidedBy?: string;
  /** ISO-8601. */
  decidedAt: string;
}

/** An approval request and, once there is one, its decision. */
export interface ApprovalRecord {
  request: ApprovalRequest;
  decision?: ApprovalDecision;
}

/** One conversation with a sub-agent: a child task that stays open like any task. */
export interface SubConversation {
  subTaskId: string;
  agentName: string;
  /** True while a message to it waits for its answer; messages to one conversation are serialised. */
  awaitingAnswer: boolean;
}

/** What a sub-agent task reports to its parent after each request. */
export interface SubTaskUpdate {
  subTaskId: string;
  /** How many requests the sub-task has finished, this one included. */
  answerNumber: number;
  status: 'completed' | 'failed' | 'cancelled';
  result?: string;
  error?: string;
}

/** What delegation carries across continue-as-new. */
export interface DelegationState {
  conversations: SubConversation[];
  /** The latest report of each sub-task, by id. */
  updates: Record<string, SubTaskUpdate>;
}

/** What a task's workflow returns when it ends cleanly (idle timeout after an answer). */
export interface AgentWorkflowResult {
  taskId: string;
  status: TaskStatus;
  result?: string;
  usage: TokenUsage;
}

/** Defaults of agent settings that older tasks may lack (the values 0.1.0 used). */
const SETTINGS_DEFAULTS = {
  maxIterations: 50,
  llmTimeoutMs: 120_000,
  toolTimeoutMs: 60_000,
  heartbeatTimeoutMs: 20_000,
  retryUnknownOutcomes: false,
  subAgentTimeoutMs: 24 * 60 * 60 * 1000,
} as const;

/** Defaults of the task-level settings that older tasks may lack. */
const INPUT_DEFAULTS = {
  idleTimeoutMs: 24 * 60 * 60 * 1000,
  eventLogLimit: 1000,
} as const;

/**
 * Brings a workflow input of any supported version (0.1.0 onwards) to the current shape, with a
 * default for every field that version may lack, including inside the carried state. Pure and
 * deterministic; the result is a new object. An input written by a NEWER version than this code
 * throws: the workflow task then fails and is retried until a worker that knows the shape picks
 * it up (as during a rolling deploy), and nothing is lost.
 */
export function upgradeWorkflowInput(raw: AgentWorkflowInput): AgentWorkflowInput {
  const version = raw.schemaVersion ?? 1;
  if (version > TASK_STATE_SCHEMA_VERSION) {
    throw new Error(
      `Task ${raw.taskId} was started by a newer zap-agents (task state v${version}; this worker knows up to ` +
        `v${TASK_STATE_SCHEMA_VERSION}). It waits for an upgraded worker.`,
    );
  }
  const agent = upgradeAgentSettings(raw.agent);
  const input: AgentWorkflowInput = {
    ...raw,
    schemaVersion: TASK_STATE_SCHEMA_VERSION,
    agent,
    idleTimeoutMs: raw.idleTimeoutMs ?? INPUT_DEFAULTS.idleTimeoutMs,
    eventLogLimit: raw.eventLogLimit ?? INPUT_DEFAULTS.eventLogLimit,
    createdAt: raw.createdAt ?? new Date(0).toISOString(),
  };
  if (raw.carried) input.carried = upgradeCarriedState(raw.carried, input);
  else delete input.carried;
  return input;
}

/** The state of a task's first run. */
export function initialTaskState(input: AgentWorkflowInput): CarriedTaskState {
  return {
    messages: [
      { role: 'system', content: input.agent.systemPrompt },
      { role: 'user', content: input.message },
    ],
    status: TaskStatus.Pending,
    modelCallDue: true,
    iteration: 0,
    pendingMessages: [],
    eventLog: { events: [], lastSeq: 0 },
    usage: { promptTokens: 0, completionTokens: 0 },
    updatedAt: input.createdAt,
    runCount: 1,
    answerCount: 0,
    modelCalls: 0,
    previousModelCallCount: 0,
    approvals: [],
    delegation: { conversations: [], updates: {} },
  };
}

function upgradeAgentSettings(raw: AgentTaskSettings): AgentTaskSettings {
  const toolRetry = raw.toolRetry ?? {};
  return {
    ...raw,
    maxIterations: raw.maxIterations ?? SETTINGS_DEFAULTS.maxIterations,
    subAgents: raw.subAgents ?? [],
    llmRetry: raw.llmRetry ?? {},
    toolRetry,
    llmTimeoutMs: raw.llmTimeoutMs ?? SETTINGS_DEFAULTS.llmTimeoutMs,
    toolTimeoutMs: raw.toolTimeoutMs ?? SETTINGS_DEFAULTS.toolTimeoutMs,
    heartbeatTimeoutMs: raw.heartbeatTimeoutMs ?? SETTINGS_DEFAULTS.heartbeatTimeoutMs,
    toolBackoff: raw.toolBackoff ?? backoffOf(toolRetry),
    retryUnknownOutcomes: raw.retryUnknownOutcomes ?? SETTINGS_DEFAULTS.retryUnknownOutcomes,
    subAgentTimeoutMs: raw.subAgentTimeoutMs ?? SETTINGS_DEFAULTS.subAgentTimeoutMs,
  };
}

/** The backoff an old task's tool retry policy implies (numbers only; durations were compiled by the client). */
function backoffOf(policy: AgentTaskSettings['toolRetry']): AgentTaskSettings['toolBackoff'] {
  const initialMs = typeof policy.initialInterval === 'number' ? policy.initialInterval : 1000;
  const maximumMs = typeof policy.maximumInterval === 'number' ? policy.maximumInterval : initialMs * 100;
  const maximumAttempts = policy.maximumAttempts && policy.maximumAttempts > 0 ? policy.maximumAttempts : 3;
  return { initialMs, coefficient: policy.backoffCoefficient ?? 2, maximumMs, maximumAttempts };
}

function upgradeCarriedState(raw: CarriedTaskState, input: AgentWorkflowInput): CarriedTaskState {
  const initial = initialTaskState(input);
  const delegation = raw.delegation ?? initial.delegation;
  return {
    ...raw,
    messages: raw.messages ?? initial.messages,
    status: raw.status ?? TaskStatus.Thinking,
    modelCallDue: raw.modelCallDue ?? false,
    iteration: raw.iteration ?? 0,
    pendingMessages: raw.pendingMessages ?? [],
    eventLog: { events: raw.eventLog?.events ?? [], lastSeq: raw.eventLog?.lastSeq ?? 0 },
    usage: {
      promptTokens: raw.usage?.promptTokens ?? 0,
      completionTokens: raw.usage?.completionTokens ?? 0,
    },
    updatedAt: raw.updatedAt ?? input.createdAt,
    runCount: raw.runCount ?? 2,
    answerCount: raw.answerCount ?? 0,
    modelCalls: raw.modelCalls ?? 0,
    // Unknown: the next model call then reads the conversation by query instead of inline.
    previousModelCallCount: raw.previousModelCallCount ?? 0,
    approvals: raw.approvals ?? [],
    delegation: { conversations: delegation.conversations ?? [], updates: delegation.updates ?? {} },
  };
}
