import type { AgentTaskSettings } from './agent-settings';
import type { ApprovalRequest } from './approval-request';
import { upgradeApprovalRulesSpec, type ApprovalRulesSpec } from './approval-rules';
import type { EventLogState } from './event-log';
import type { JsonValue } from './json';
import { initialBudgetState, type BudgetAmounts, type BudgetSpec, type BudgetState } from './budget';
import type { ChatMessage, MessageContent, TokenUsage } from './messages';
import type { OutputFailure } from './structured-output';
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
 *    `agent.subAgentTimeoutMs` (default 24 hours); `agent.events` (default `{}`) and
 *    `carried.receivedEvents` (default `[]`); `tenantId`, `userId` (default absent) and
 *    `searchAttributes` (default false: no search-attribute upserts); `agent.output` (default
 *    absent: plain answers), `carried.output` (default absent) and `carried.outputRepairs`
 *    (default 0); `agent.stuck` (default absent: no stuck detection), `agent.hooks` (default
 *    `[]`), `agent.hookRetry` (default absent: the built-in policy) and `carried.stuck`
 *    (default: nothing seen); `taskIdFromWorkflowId` (default false), `scheduleId` (default
 *    absent), `agent.nudge` (default absent: no nudges) and `carried.nudged` (default false).
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
  /**
   * History length at which a task that cannot continue as new fails explicitly; unset: the
   * built-in hard stop (40,000 events or 40 MB). Tests use it to reach the hard stop quickly.
   */
  historyHardStopEvents?: number;
  parentTaskId?: string;
  /** The tenant the task belongs to (0.2.0; absent when started without one, and in older tasks). */
  tenantId?: string;
  /** The user the task belongs to (0.2.0; absent when started without one, and in older tasks). */
  userId?: string;
  /**
   * True when the namespace has the zap-agents search attributes registered: the workflow keeps
   * `ZapStatus` up to date and gives its sub-tasks their search attributes (0.2.0; false after the
   * state upgrade, which is how 0.1.0 tasks behave: no upserts).
   */
  searchAttributes?: boolean;
  /** ISO-8601. */
  createdAt: string;
  /**
   * True when Temporal chose the run's workflow id (a scheduled run: the schedule's id and the
   * run's time): the workflow then takes `taskId` from its workflow id and `createdAt` from its
   * run's start, and passes both on with this flag cleared (0.2.0; false after the state upgrade).
   */
  taskIdFromWorkflowId?: boolean;
  /** The schedule that started this task (`zap.schedules`) (0.2.0; absent for other tasks). */
  scheduleId?: string;
  /**
   * The task's budget (`executeTask({ budget })` over the agent's default; a sub-agent's or a
   * pipeline step's is the share its parent reserved). Absent: no budget, as every task before 0.2.0.
   */
  budget?: BudgetSpec;
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
  /**
   * Named events delivered but not yet taken by a `wait_for_event` call, oldest first (0.2.0;
   * `[]` after the state upgrade).
   */
  receivedEvents?: ReceivedEvent[];
  /**
   * The parsed JSON of the latest valid final answer, when the task has an output schema (0.2.0;
   * absent after the state upgrade, and until the first valid answer).
   */
  output?: JsonValue;
  /** Repair turns taken in the current request after answers that failed the output schema (0.2.0; 0 after the state upgrade). */
  outputRepairs?: number;
  /** The answer and issues of the output validation that failed the task (0.2.0; set only as the run fails). */
  outputFailure?: OutputFailure;
  /** What stuck detection has seen in the current request (0.2.0; nothing seen after the state upgrade). */
  stuck?: StuckDetectionState;
  /**
   * True once the agent's nudge was sent in the current quiet period; a real follow-up clears it
   * (0.2.0; false after the state upgrade).
   */
  nudged?: boolean;
  /** The budget's ledger, when the task has a budget (0.2.0; a fresh ledger after the state upgrade of a budgeted task). */
  budget?: BudgetState;
  /** What the task's model calls cost, in nano-dollars, where the worker knew the model's price (0.2.0; 0 after the state upgrade). */
  costNanoUsd?: number;
  /** The previous model call's reported tokens and how many messages it answered: a tight prompt bound for a budget (0.2.0). */
  lastModelCall?: { promptTokens: number; completionTokens: number; messageCount: number };
}

/**
 * What stuck detection carries: the streaks of the latest iteration with tool calls. Calls and
 * results are kept as fingerprints (hashes of their canonical JSON), never as their text.
 */
export interface StuckDetectionState {
  /** Each distinct call (tool name + canonical arguments) of the latest iteration, with its streak. */
  calls: StuckCallStreak[];
  /** The fingerprint of the latest iteration's tool results, and how many consecutive iterations returned exactly these. */
  results?: { fingerprint: string; streak: number };
  /** True once the model was told in this request that it repeats itself (policy `retry`). */
  nudged: boolean;
}

/** A call of the latest iteration and how many consecutive iterations made it. */
export interface StuckCallStreak {
  fingerprint: string;
  toolName: string;
  streak: number;
}

/** A named event delivered to the task (`zap.sendEvent`), kept until a wait takes it. */
export interface ReceivedEvent {
  name: string;
  /** The event's data, validated by the client against the agent's schema. */
  data: JsonValue;
  /** ISO-8601; when the workflow recorded the delivery. */
  receivedAt: string;
  /** The caller's id of the delivery, when it gave one. */
  eventId?: string;
}

/** A decided (or timed-out) approval, kept in workflow state. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected' | 'timed_out';
  reason?: string;
  decidedBy?: string;
  /** ISO-8601. */
  decidedAt: string;
  /** For an approved budget request (`kind: 'budget'`): the new limits. */
  raisedBudget?: BudgetRaise;
}

/** New limits given with the approval of a budget request (each replaces the limit it names). */
export interface BudgetRaise {
  maxUsd?: number;
  maxTokens?: number;
  maxModelCalls?: number;
  maxToolCalls?: number;
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
  /** With a budget: what the child's reports have added to the parent's spend so far (0.2.0). */
  budgetReconciled?: BudgetAmounts;
}

/** What a sub-agent task reports to its parent after each request. */
export interface SubTaskUpdate {
  subTaskId: string;
  /** How many requests the sub-task has finished, this one included. */
  answerNumber: number;
  status: 'completed' | 'failed' | 'cancelled';
  result?: string;
  error?: string;
  /** What the sub-task spent of its budget so far, when it has one (0.2.0). */
  budgetSpent?: BudgetAmounts;
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
  /** The parsed JSON of the last valid answer, when the task has an output schema (0.2.0). */
  output?: JsonValue;
  /** Model calls of the last request (0.2.0; what a pipeline step reports as its iterations). */
  iterations?: number;
  usage: TokenUsage;
  /** What the task (with its own children) spent of its budget, when it has one (0.2.0; reconciled by a parent or pipeline run). */
  budgetSpent?: BudgetAmounts;
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
    searchAttributes: raw.searchAttributes ?? false,
    taskIdFromWorkflowId: raw.taskIdFromWorkflowId ?? false,
  };
  // Rules stored before 0.2.0: no conditions, no predicates, onTimeout 'reject'.
  if (raw.approvalRules) input.approvalRules = upgradeApprovalRulesSpec(raw.approvalRules);
  else delete input.approvalRules;
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
    receivedEvents: [],
    outputRepairs: 0,
    stuck: { calls: [], nudged: false },
    nudged: false,
    ...(input.budget ? { budget: initialBudgetState(input.budget) } : {}),
    costNanoUsd: 0,
  };
}

function upgradeAgentSettings(raw: AgentTaskSettings): AgentTaskSettings {
  const toolRetry = raw.toolRetry ?? {};
  const heartbeatTimeoutMs = raw.heartbeatTimeoutMs ?? SETTINGS_DEFAULTS.heartbeatTimeoutMs;
  return {
    ...raw,
    maxIterations: raw.maxIterations ?? SETTINGS_DEFAULTS.maxIterations,
    subAgents: raw.subAgents ?? [],
    llmRetry: raw.llmRetry ?? {},
    toolRetry,
    llmTimeoutMs: raw.llmTimeoutMs ?? SETTINGS_DEFAULTS.llmTimeoutMs,
    toolTimeoutMs: raw.toolTimeoutMs ?? SETTINGS_DEFAULTS.toolTimeoutMs,
    heartbeatTimeoutMs,
    // Tasks started before 0.3.0 ran local tools with the one heartbeat timeout.
    toolHeartbeatTimeoutMs: raw.toolHeartbeatTimeoutMs ?? heartbeatTimeoutMs,
    toolBackoff: raw.toolBackoff ?? backoffOf(toolRetry),
    retryUnknownOutcomes: raw.retryUnknownOutcomes ?? SETTINGS_DEFAULTS.retryUnknownOutcomes,
    subAgentTimeoutMs: raw.subAgentTimeoutMs ?? SETTINGS_DEFAULTS.subAgentTimeoutMs,
    events: raw.events ?? {},
    // `stuck` and `nudge` stay absent: a task started without them keeps running without them.
    hooks: raw.hooks ?? [],
    ...(raw.approvalRules ? { approvalRules: upgradeApprovalRulesSpec(raw.approvalRules) } : {}),
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
    receivedEvents: raw.receivedEvents ?? [],
    outputRepairs: raw.outputRepairs ?? 0,
    stuck: raw.stuck ?? initial.stuck,
    nudged: raw.nudged ?? false,
    ...(input.budget ? { budget: raw.budget ?? initialBudgetState(input.budget) } : {}),
    costNanoUsd: raw.costNanoUsd ?? 0,
  };
}
