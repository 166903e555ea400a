import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { ResolvedAgentTask, ZapActivities } from '../core/activity-contracts';
import { ApprovalRules, mergeApprovalRuleSpecs, type ApprovalRulesOptions, type ApprovalRulesSpec } from '../core/approval-rules';
import { compileBudget, type BudgetSpec, type TaskBudget } from '../core/budget';
import { validateContentParts } from '../core/content';
import { DEFAULT_RESOLVE_AGENT_TIMEOUT, MAX_TASK_CONTENT_BYTES, MAX_TASK_CONTEXT_BYTES, MAX_TASK_ID_LENGTH } from '../core/defaults';
import { ZapError } from '../core/errors';
import { FailureType } from '../core/failure-types';
import { findNonJsonValue, type JsonValue } from '../core/json';
import { utf8ByteLength } from '../core/message-pages';
import type { ContentPart, MessageContent, TokenUsage } from '../core/messages';
import type { AgentWorkflowResult } from '../core/task-state';
import type { agentWorkflow } from './agent-workflow';
import { AGENT_WORKFLOW_TYPE, cancelReasonSignal, subTaskUpdateSignal } from './definitions';
import { subTaskStartOptions } from './sub-task-start';

/** Options of {@link runAgent}. */
export interface RunAgentOptions {
  /** The request: text, or content parts (`textPart`, `imageFromUrl`, … as plain objects). */
  task: MessageContent;
  /**
   * The task's context (plain JSON, at most 256 KiB): what the agent's prompt function, its local
   * tools and the MCP servers that opt in receive, as with `executeTask({ context })`.
   * @default undefined
   */
  context?: JsonValue;
  /**
   * More tool calls that need a human decision, added to the agent's own rules (they never remove
   * them): the options of `new ApprovalRules(…)` as plain JSON (`patterns`, `conditions`,
   * `timeout`, `onTimeout`, …). A `requiresApproval` function cannot be given here (it runs on
   * the worker: put it on the agent).
   * @default undefined (the agent's rules only)
   */
  approvalRules?: RunAgentApprovalRules;
  /**
   * The agent task's id, which is its child workflow id: what `zap.getTask`, `zap.streamTask`,
   * `zap.approve` and follow-ups take. Give one when the calling workflow continues as new (the
   * default numbering starts again in each run).
   * @default `${workflowInfo().workflowId}.agent.<n>`, n counting this run's `runAgent` calls from 1
   */
  taskId?: string;
  /**
   * Task queue of the agent task (and of the activity that resolves its agent): a worker whose
   * Zap defines the agent must poll it.
   * @default the calling workflow's task queue
   */
  taskQueue?: string;
  /**
   * The agent task's budget (`{ maxUsd, maxTokens, maxModelCalls, maxToolCalls, onExceeded }`),
   * as `executeTask({ budget })`: checked before each model call; its sub-agents draw from it.
   * A USD budget needs the model's price on the worker (the Zap's `prices` or the price data).
   * @default undefined (no budget)
   */
  budget?: TaskBudget;
}

/** The approval rules {@link runAgent} takes: `ApprovalRules` options without a predicate function. */
export type RunAgentApprovalRules = Omit<ApprovalRulesOptions, 'requiresApproval'>;

/** What {@link runAgent} returns: the agent task's answer. */
export interface RunAgentResult<TOutput = JsonValue> {
  /** The agent task's id (its child workflow id). */
  taskId: string;
  agentName: string;
  /** The answer as text (for an agent with an output schema, its JSON). */
  result: string;
  /**
   * The parsed answer, when the agent has an output schema (`ZapAgent({ output })`): the worker
   * validated it with that zod schema. Type it with `runAgent<Reply>(…)`.
   */
  output?: TOutput;
  /** Tokens the task used, sub-agents excluded. */
  usage: TokenUsage;
  /** Model calls it took. */
  iterations: number;
}

/**
 * Where the count of `runAgent` calls in this workflow run lives: a global of the run, not module
 * state. Workers preload zap's workflow modules once into the shared V8 context (see
 * `zapWorkflowPreloadModules`), so a module-level variable would count across every run the
 * context serves; the sandbox keeps each run's globals apart, with or without `reuseV8Context`.
 */
const RUN_AGENT_CALLS = Symbol.for('zap-agents.runAgentCalls');

/** Counts this `runAgent` call and returns its number in the run (1, 2, …). */
function nextRunAgentCall(): number {
  const run = globalThis as unknown as Record<symbol, number | undefined>;
  const call = (run[RUN_AGENT_CALLS] ?? 0) + 1;
  run[RUN_AGENT_CALLS] = call;
  return call;
}

/**
 * Runs an agent task as a child workflow of the calling workflow and returns its answer: one agent
 * step inside a workflow of your own. The agent (prompt, model, tools, output schema, approval
 * rules) is the one the worker's Zap defines under `agentName`; its settings are read on a worker
 * (an activity), then the task starts as an ordinary zap task (`agentWorkflow`) that answers once
 * and closes. Approvals, streaming (`zap.streamTask({ taskId })`), `zap.getTask`, follow-ups and
 * cancellation by id work on it as on any task; `listTasks({ parentTaskId })` lists it under the
 * calling workflow.
 *
 * Failures, for the calling workflow to catch:
 * - bad options: an `ApplicationFailure` of type `ZAP_VALIDATION` (non-retryable);
 * - an agent the worker does not define: an `ApplicationFailure` of type `AGENT_NOT_FOUND`
 *   (non-retryable), and nothing is started;
 * - the task failed (max iterations, an output that never matched its schema, a provider error,
 *   cancelled by someone else): the `ChildWorkflowFailure`, whose `cause` is the task's failure
 *   (an `ApplicationFailure` whose `type` is the task's failure type, or a `CancelledFailure`);
 * - the calling workflow (or the scope around `runAgent`) is cancelled: the agent task is
 *   cancelled too (it ends `cancelled`, with a reason naming this workflow) and `runAgent` throws
 *   the `CancelledFailure`.
 *
 * @example
 * ```ts
 * import { proxyActivities } from '@temporalio/workflow';
 * import { runAgent } from 'zap-agents/workflows';
 * export * from 'zap-agents/workflows'; // the worker runs zap's workflows next to yours
 *
 * export async function orderWorkflow(orderId: string): Promise<void> {
 *   await reserveStock(orderId);
 *   const reply = await runAgent<{ subject: string; body: string }>('Support', {
 *     task: 'Draft a reply telling the customer their order shipped.',
 *     context: { orderId },
 *   });
 *   await sendEmail(orderId, reply.output!);
 * }
 * ```
 */
export async function runAgent<TOutput = JsonValue>(agentName: string, options: RunAgentOptions): Promise<RunAgentResult<TOutput>> {
  const call = nextRunAgentCall();
  const request = validateRunAgentRequest(agentName, options);
  const info = workflowInfo();
  const taskId = request.taskId ?? `${info.workflowId}.agent.${call}`;
  const taskQueue = options.taskQueue;
  const scope = CancellationScope.current();

  const { resolveAgentTask } = proxyActivities<ZapActivities>({
    startToCloseTimeout: DEFAULT_RESOLVE_AGENT_TIMEOUT,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
    ...(taskQueue !== undefined ? { taskQueue } : {}),
  });
  let resolved: ResolvedAgentTask;
  try {
    resolved = await resolveAgentTask({
      agentName,
      ...(request.context !== undefined ? { context: request.context } : {}),
      ...(request.withImages ? { withImages: true } : {}),
    });
  } catch (error) {
    // An unknown agent, a prompt function that refuses the context: the activity's own failure,
    // so the workflow branches on its `type` (AGENT_NOT_FOUND, …).
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) throw error.cause;
    throw cancellationOf(error, scope);
  }

  // The task reports each answer to its parent; the result below is what counts, so the reports
  // are taken and dropped instead of waiting unhandled in this workflow.
  setHandler(subTaskUpdateSignal, () => undefined);
  // Started outside the caller's scope, so a cancellation reaches the task with its reason (below).
  const child = await CancellationScope.nonCancellable(() =>
    startChild<typeof agentWorkflow>(AGENT_WORKFLOW_TYPE, {
      ...subTaskStartOptions({
        subTaskId: taskId,
        agent: resolved.agent,
        message: request.content,
        context: request.context,
        // The agent's rules always apply; the caller's add to them.
        approvalRules: mergeApprovalRuleSpecs(resolved.agent.approvalRules, request.approvalRules),
        // One request, then the task closes and its result is this call's answer.
        idleTimeoutMs: 0,
        eventLogLimit: resolved.eventLogLimit,
        inlineMessageBytes: resolved.inlineMessageBytes,
        continueAsNewAfterEvents: resolved.continueAsNewAfterEvents,
        historyHardStopEvents: resolved.historyHardStopEvents,
        parentTaskId: info.workflowId,
        tenantId: undefined,
        userId: undefined,
        searchAttributes: resolved.searchAttributes,
        createdAt: new Date().toISOString(),
        ...(request.budget ? { budget: request.budget } : {}),
      }),
      ...(taskQueue !== undefined ? { taskQueue } : {}),
      // A caller that ends without waiting (terminated, failed elsewhere) asks the task to cancel.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    }),
  );

  let outcome: AgentWorkflowResult;
  try {
    outcome = await Promise.race([child.result(), scope.cancelRequested]);
  } catch (error) {
    if (isCancellation(error) && scope.consideredCancelled) {
      await cancelAgentTask(child, taskId, `The workflow that started it (${info.workflowId}) was cancelled`);
    }
    throw cancellationOf(error, scope);
  }
  return {
    taskId,
    agentName: resolved.agent.agentName,
    result: outcome.result ?? '',
    ...(outcome.output !== undefined ? { output: outcome.output as TOutput } : {}),
    usage: outcome.usage,
    iterations: outcome.iterations ?? 0,
  };
}

/**
 * What to throw for `error`: when the caller's scope is cancelled, the `CancelledFailure` itself
 * (not the activity or child failure wrapping it), so the calling workflow ends cancelled.
 */
function cancellationOf(error: unknown, scope: CancellationScope): unknown {
  if (!scope.consideredCancelled || !isCancellation(error)) return error;
  if ((error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) && error.cause instanceof CancelledFailure) return error.cause;
  return error;
}

/** Cancels the agent task as `zap.cancelTask` does (the reason, then the cancellation) and waits until it has ended. */
async function cancelAgentTask(child: ChildWorkflowHandle<typeof agentWorkflow>, taskId: string, reason: string): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    const handle = getExternalWorkflowHandle(taskId);
    try {
      await handle.signal(cancelReasonSignal, reason);
      await handle.cancel();
    } catch {
      // It has ended already.
    }
    await child.result().then(
      () => undefined,
      () => undefined,
    );
  });
}

/** A {@link RunAgentOptions} checked in the workflow, before anything is scheduled. */
interface RunAgentRequest {
  content: MessageContent;
  context: JsonValue | undefined;
  approvalRules: ApprovalRulesSpec | undefined;
  taskId: string | undefined;
  withImages: boolean;
  budget: BudgetSpec | undefined;
}

/**
 * Checks `runAgent`'s arguments: what would otherwise fail later (a payload too large for
 * Temporal, a context that is not JSON) fails now, as a non-retryable `ZAP_VALIDATION`.
 */
function validateRunAgentRequest(agentName: unknown, options: RunAgentOptions): RunAgentRequest {
  const invalid = (message: string): never => {
    throw ApplicationFailure.create({ type: FailureType.ZapValidation, message: `runAgent: ${message}`, nonRetryable: true });
  };
  if (typeof agentName !== 'string' || agentName.trim() === '') invalid('the agent name must be a non-empty string.');
  if (!options || typeof options !== 'object') return invalid('it needs an options object with `task`.');
  const content = options.task;
  if (typeof content === 'string') {
    if (content.trim() === '') invalid('`task` is empty.');
  } else if (Array.isArray(content) && content.length > 0) {
    if (!content.every(isContentPart)) invalid('`task` must be text or content parts ({ type: "text", text } or { type: "image_url", image_url: { url } }).');
    checkZapError(() => validateContentParts(content), invalid);
  } else {
    invalid('`task` must be a non-empty string or an array of content parts.');
  }
  const contentBytes = utf8ByteLength(JSON.stringify(content));
  if (contentBytes > MAX_TASK_CONTENT_BYTES) {
    invalid(`\`task\` is ${contentBytes} bytes; the limit is ${MAX_TASK_CONTENT_BYTES} (pass large files by URL or through a tool).`);
  }
  const context = options.context;
  if (context !== undefined) {
    const problem = findNonJsonValue(context, 'context');
    if (problem) invalid(`the context must be plain JSON: ${problem}.`);
    const bytes = utf8ByteLength(JSON.stringify(context));
    if (bytes > MAX_TASK_CONTEXT_BYTES) invalid(`the context is ${bytes} bytes of JSON; at most ${MAX_TASK_CONTEXT_BYTES} are accepted.`);
  }
  const taskId = options.taskId;
  if (taskId !== undefined && (typeof taskId !== 'string' || taskId.trim() === '' || taskId.length > MAX_TASK_ID_LENGTH)) {
    invalid(`taskId must be a non-empty string of at most ${MAX_TASK_ID_LENGTH} characters.`);
  }
  if (options.taskQueue !== undefined && (typeof options.taskQueue !== 'string' || options.taskQueue.trim() === '')) {
    invalid('taskQueue must be a non-empty string.');
  }
  let approvalRules: ApprovalRulesSpec | undefined;
  if (options.approvalRules !== undefined) {
    const rules = options.approvalRules;
    if (typeof rules !== 'object' || rules === null) invalid('approvalRules must be ApprovalRules options ({ patterns, conditions, timeout, … }).');
    approvalRules = checkZapError(() => new ApprovalRules(rules).toSpec(), invalid);
  }
  const budget = options.budget === undefined ? undefined : checkZapError(() => compileBudget(options.budget as TaskBudget, 'budget'), invalid);
  return {
    content,
    context,
    approvalRules,
    budget,
    taskId,
    withImages: typeof content !== 'string' && content.some((part) => part.type === 'image_url'),
  };
}

/** Runs a check of core code; its `ZapError` (a plain error, which would fail the workflow task) becomes `invalid`. */
function checkZapError<T>(check: () => T, invalid: (message: string) => never): T {
  try {
    return check();
  } catch (error) {
    if (ZapError.isInstance(error)) return invalid(error.message);
    throw error;
  }
}

function isContentPart(part: unknown): part is ContentPart {
  if (!part || typeof part !== 'object') return false;
  const candidate = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
  if (candidate.type === 'text') return typeof candidate.text === 'string';
  if (candidate.type === 'image_url') return typeof candidate.image_url === 'object' && typeof candidate.image_url?.url === 'string';
  return false;
}
