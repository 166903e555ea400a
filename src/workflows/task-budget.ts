import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { FailureType, type InvokeModelResult, type ModelCallBudget } from '../core/activity-contracts';
import {
  addAmounts,
  budgetChargeOf,
  budgetSnapshot,
  compileBudget,
  initialBudgetState,
  limitOptionName,
  reconcileChild,
  remainingOf,
  reserveForChild,
  reservedTotal,
  toUsd,
  ZERO_AMOUNTS,
  type BudgetAmounts,
  type BudgetLimitName,
  type BudgetLimits,
  type BudgetSnapshot,
  type BudgetSpec,
  type BudgetState,
  type ModelCallCharge,
} from '../core/budget';
import type { TokenUsage } from '../core/messages';
import { TaskStatus } from '../core/task-status';
import type { AgentTask } from './agent-task';
import { attemptFailure } from './describe-failure';

/** Why a model call cannot be made (from the workflow's own check or the model activity's). */
export interface BudgetShortfall {
  limit: BudgetLimitName;
  /** What the call would need at worst, in the limit's unit (nano-dollars for `usd`). */
  needed?: number;
  /** What is left, in the limit's unit. */
  remaining: number;
}

/** The details of a `BUDGET_WOULD_EXCEED` failure of the model activity. */
export interface BudgetRefusalDetails extends BudgetShortfall {
  promptTokensUpperBound: number;
}

/**
 * The budget of one task: the ledger in its carried state, the checks before each model call and
 * tool call, the reservations for sub-agents, and what happens when a limit is reached (`fail`,
 * or `ask` through the approval mechanism). Tasks without a budget (`input.budget` absent) never
 * reach any of it; only budgeted tasks issue its commands, behind `Patch.Budgets`.
 *
 * Exactness: usage is added once, from the model activity's recorded result, so replays,
 * continue-as-new (the ledger is carried) and worker restarts never lose or double it. A model
 * call whose attempt was lost (its worker died, it timed out) may have been billed without any
 * usage reported: it is charged at the worst case its attempt was allowed (from its heartbeat, or
 * planned again by the second attempt of `invokeModelWithinBudget` when that heartbeat never
 * reached the server), so a cap is never exceeded, at the price of counting such attempts high.
 */
export class TaskBudgetKeeper {
  private readonly spec: BudgetSpec | undefined;
  private readonly ledger: BudgetState | undefined;
  /** Sub-agent calls of the current turn still to be given a share of the remaining budget. */
  private unsharedSubAgentCalls = 0;

  constructor(private readonly task: AgentTask) {
    this.spec = task.input.budget;
    if (this.spec) this.ledger = task.state.budget ??= initialBudgetState(this.spec);
  }

  get active(): boolean {
    return this.ledger !== undefined;
  }

  /** The budget as a reader sees it (undefined without one). */
  snapshot(): BudgetSnapshot | undefined {
    return this.ledger && this.spec ? budgetSnapshot(this.ledger, this.spec) : undefined;
  }

  /** What the task and its children spent in all (reported to a parent or a pipeline run). */
  spentTotal(): BudgetAmounts | undefined {
    return this.ledger?.spent;
  }

  /**
   * Before a model call: the call count and what is left must allow one more call, or the policy
   * applies (`fail` throws `BUDGET_EXCEEDED`; `ask` waits for a human to raise the limit). Returns
   * what the model activity needs to check the call's worst case against the rest.
   */
  async beforeModelCall(): Promise<ModelCallBudget> {
    for (;;) {
      const shortfall = this.modelCallShortfall();
      if (!shortfall) return this.modelCallInput();
      await this.exhausted(shortfall);
    }
  }

  /** The activity refused the call: its worst case does not fit. Fail or ask, then the caller tries again. */
  async refusedByActivity(details: BudgetRefusalDetails): Promise<void> {
    await this.exhausted(details);
  }

  /** Records a model call's reported usage (and cost, from the worker's price) once. */
  recordModelCall(result: Pick<InvokeModelResult, 'usage' | 'costNanoUsd'>): void {
    this.charge(result.usage, result.costNanoUsd ?? 0, false);
  }

  /** Usage a failed attempt reported (an answer too large, …): it was billed, so it counts. */
  recordFailedAttempt(usage: TokenUsage, costNanoUsd: number | undefined): void {
    this.charge(usage, costNanoUsd ?? 0, false);
  }

  /** An attempt whose outcome is unknown (its worker died or it timed out): charged at its worst case. */
  recordLostAttempt(error: ActivityFailure): void {
    const charge = lostAttemptCharge(error);
    this.charge({ promptTokens: charge.tokens, completionTokens: 0 }, charge.nanoUsd, true);
  }

  /** Adds one model call to the ledger (and to its estimates) and emits its `usage` event. */
  private charge(usage: TokenUsage, nanoUsd: number, estimated: boolean): void {
    if (!this.ledger) return;
    const amounts = { nanoUsd, tokens: usage.promptTokens + usage.completionTokens, modelCalls: 1, toolCalls: 0 };
    this.ledger.spent = addAmounts(this.ledger.spent, amounts);
    if (estimated) this.ledger.estimated = addAmounts(this.ledger.estimated, amounts);
    this.task.emit({
      type: 'usage',
      usage,
      costUsd: toUsd(nanoUsd),
      ...(estimated ? { estimated } : {}),
      budget: this.snapshot() as BudgetSnapshot,
    });
  }

  /** The limits a parent gives this sub-task for its next request (with a follow-up). */
  setLimits(limits: BudgetLimits): void {
    if (this.ledger) this.ledger.limits = { ...limits };
  }

  /** A new turn: `subAgentCalls` of its tool calls are `message_agent` calls sharing what is left. */
  beginTurn(subAgentCalls: number): void {
    this.unsharedSubAgentCalls = subAgentCalls;
  }

  /**
   * Takes one tool call from the budget, synchronously (parallel calls of a turn cannot jointly
   * exceed it). False when the tool-call limit is reached: the call is not run.
   */
  takeToolCall(): boolean {
    if (!this.ledger) return true;
    const left = remainingOf(this.ledger).toolCalls;
    if (left !== undefined && left <= 0) return false;
    this.ledger.spent = addAmounts(this.ledger.spent, { ...ZERO_AMOUNTS, toolCalls: 1 });
    return true;
  }

  /** Gives back a tool call taken for a call that did not run (rejected, refused). */
  returnToolCall(): void {
    if (!this.ledger || this.ledger.spent.toolCalls === 0) return;
    this.ledger.spent = addAmounts(this.ledger.spent, { ...ZERO_AMOUNTS, toolCalls: -1 });
  }

  /** True when the tool-call limit is reached: the next model call is asked to answer without tools. */
  toolCallsExhausted(): boolean {
    if (!this.ledger) return false;
    const left = remainingOf(this.ledger).toolCalls;
    return left !== undefined && left <= 0;
  }

  /** The message a model gets for a tool call the budget refused. */
  toolCallRefusal(): string {
    const limit = this.ledger?.limits.toolCalls ?? 0;
    return `[Tool call not run: this task's tool-call budget (maxToolCalls ${limit}) is used up. Answer with what you have.]`;
  }

  /**
   * Reserves a share of what is left for a sub-agent's request (the calls of one turn share it
   * equally, so siblings running in parallel cannot jointly overspend) and returns the child's
   * limits: its own spend so far plus the share. Undefined without a budget.
   */
  reserveForChild(childTaskId: string, childSpent: BudgetAmounts | undefined): BudgetSpec | undefined {
    if (!this.ledger || !this.spec) return undefined;
    const slots = Math.max(1, this.unsharedSubAgentCalls);
    this.unsharedSubAgentCalls = Math.max(0, this.unsharedSubAgentCalls - 1);
    const limits = reserveForChild(this.ledger, childTaskId, slots, childSpent);
    return { limits, onExceeded: 'fail', askTimeoutMs: this.spec.askTimeoutMs };
  }

  /**
   * A child reported (answered, failed, was cancelled): its reservation is released and what it
   * spent since the last report is added. `reconciled` is what earlier reports of it already added.
   */
  reconcileChild(childTaskId: string, childSpent: BudgetAmounts | undefined, reconciled: BudgetAmounts | undefined): BudgetAmounts | undefined {
    return this.ledger ? reconcileChild(this.ledger, childTaskId, childSpent, reconciled) : undefined;
  }

  private modelCallShortfall(): BudgetShortfall | undefined {
    const left = remainingOf(this.ledger as BudgetState);
    if (left.modelCalls !== undefined && left.modelCalls <= 0) return { limit: 'modelCalls', remaining: 0 };
    if (left.tokens !== undefined && left.tokens <= 0) return { limit: 'tokens', remaining: 0 };
    if (left.nanoUsd !== undefined && left.nanoUsd <= 0) return { limit: 'usd', remaining: 0 };
    return undefined;
  }

  private modelCallInput(): ModelCallBudget {
    const left = remainingOf(this.ledger as BudgetState);
    const previous = this.task.state.lastModelCall;
    return {
      ...(left.nanoUsd !== undefined ? { remainingNanoUsd: left.nanoUsd } : {}),
      ...(left.tokens !== undefined ? { remainingTokens: left.tokens } : {}),
      ...(previous ? { previous } : {}),
      ...(this.toolCallsExhausted() ? { noMoreToolCalls: true } : {}),
    };
  }

  /** A limit is reached: `fail` throws; `ask` waits for a human who raises the limit (or not: then it throws). */
  private async exhausted(shortfall: BudgetShortfall): Promise<void> {
    const spec = this.spec as BudgetSpec;
    const ledger = this.ledger as BudgetState;
    // A tenant's limit is not the task's to raise: it fails the task whatever the policy.
    if (spec.onExceeded === 'ask' && shortfall.limit !== 'tenantUsd') {
      const { task } = this;
      task.awaitingApproval += 1;
      task.setStatus(TaskStatus.AwaitingApproval);
      try {
        const { request, decision } = await task.approvals.waitForDecision(
          {
            kind: 'budget',
            toolName: limitOptionName(shortfall.limit),
            toolArgs: {},
            agentName: task.input.agent.agentName,
            taskId: task.input.taskId,
            summary: shortfallPhrase(shortfall, ledger),
            budget: { limit: shortfall.limit as Exclude<BudgetLimitName, 'tenantUsd'>, ...this.snapshotFields() },
          },
          spec.askTimeoutMs,
          (approval) => task.emit({ type: 'approval_requested', approval }),
        );
        task.emit({
          type: 'approval_resolved',
          approvalId: request.id,
          decision: decision.decision,
          ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
          ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
        });
        if (decision.decision === 'approved' && decision.raisedBudget) {
          const raised = compileBudget(decision.raisedBudget, 'budget');
          ledger.limits = { ...ledger.limits, ...raised.limits };
          task.emit({ type: 'budget_raised', approvalId: request.id, budget: this.snapshot() as BudgetSnapshot });
          return;
        }
      } finally {
        task.awaitingApproval -= 1;
        task.setStatus(task.toolCallsStatus());
      }
    }
    throw budgetExceeded(shortfall, ledger, this.task.input.taskId);
  }

  private snapshotFields(): { spentUsd: number; maxUsd?: number; spentTokens: number; maxTokens?: number; modelCalls: number; maxModelCalls?: number } {
    const ledger = this.ledger as BudgetState;
    return {
      spentUsd: toUsd(ledger.spent.nanoUsd),
      ...(ledger.limits.nanoUsd !== undefined ? { maxUsd: toUsd(ledger.limits.nanoUsd) } : {}),
      spentTokens: ledger.spent.tokens,
      ...(ledger.limits.tokens !== undefined ? { maxTokens: ledger.limits.tokens } : {}),
      modelCalls: ledger.spent.modelCalls,
      ...(ledger.limits.modelCalls !== undefined ? { maxModelCalls: ledger.limits.modelCalls } : {}),
    };
  }
}

/**
 * The worst case of a lost attempt: what the second attempt of `invokeModelWithinBudget` reported
 * (`MODEL_OUTCOME_UNKNOWN`: from the first attempt's heartbeat, or the call planned again), or
 * what the attempt heartbeated before it went silent (a timeout). Without either, nothing is
 * known to charge.
 */
function lostAttemptCharge(error: ActivityFailure): ModelCallCharge {
  const cause = error.cause;
  let details: unknown;
  if (cause instanceof ApplicationFailure && cause.type === FailureType.ModelOutcomeUnknown) details = cause.details?.[0];
  else if (cause instanceof TimeoutFailure) details = cause.lastHeartbeatDetails;
  return budgetChargeOf(details) ?? { nanoUsd: 0, tokens: 0 };
}

function shortfallPhrase(shortfall: BudgetShortfall, ledger: BudgetState): string {
  const held = addAmounts(ledger.spent, reservedTotal(ledger));
  switch (shortfall.limit) {
    case 'usd':
      return `The task's budget of $${toUsd(ledger.limits.nanoUsd ?? 0)} is used up ($${toUsd(held.nanoUsd)} spent or held${
        shortfall.needed !== undefined ? `; the next model call may cost up to $${toUsd(shortfall.needed)}` : ''
      }). Approve with a higher maxUsd to go on.`;
    case 'tokens':
      return `The task's budget of ${ledger.limits.tokens ?? 0} tokens is used up (${held.tokens} spent or held${
        shortfall.needed !== undefined ? `; the next model call may use up to ${shortfall.needed}` : ''
      }). Approve with a higher maxTokens to go on.`;
    case 'modelCalls':
      return `The task made all ${ledger.limits.modelCalls ?? 0} model calls its budget allows. Approve with a higher maxModelCalls to go on.`;
    default:
      return `The task's tool-call budget (${ledger.limits.toolCalls ?? 0}) is used up.`;
  }
}

/** The failure that ends a task over its budget (`BudgetExceededError` on the client). */
export function budgetExceeded(shortfall: BudgetShortfall, ledger: BudgetState, taskId: string): ApplicationFailure {
  const { limit } = shortfall;
  const inUsd = limit === 'usd' || limit === 'tenantUsd';
  const needed = shortfall.needed === undefined ? undefined : inUsd ? toUsd(shortfall.needed) : shortfall.needed;
  let max: number;
  let spent: number;
  let what: string;
  if (limit === 'tenantUsd') {
    // The tenant's rolling budget: what it had left, and what this task spent.
    max = toUsd(shortfall.remaining);
    spent = toUsd(ledger.spent.nanoUsd);
    what = `its tenant's budget, which has $${max} left`;
  } else {
    const key = limit === 'usd' ? 'nanoUsd' : limit;
    max = inUsd ? toUsd(ledger.limits.nanoUsd ?? 0) : (ledger.limits[key] ?? 0);
    spent = inUsd ? toUsd(ledger.spent.nanoUsd) : ledger.spent[key];
    what = `its budget: ${limitOptionName(limit)} ${max} (spent ${spent})`;
  }
  return ApplicationFailure.create({
    type: FailureType.BudgetExceeded,
    message: `Task '${taskId}' reached ${what}${needed !== undefined ? `; the next model call could need up to ${needed}` : ''}.`,
    details: [{ taskId, limit, option: limit === 'tenantUsd' ? 'tenant' : limitOptionName(limit), max, spent, ...(needed !== undefined ? { needed } : {}) }],
    nonRetryable: true,
  });
}

/** Reads the details of the model activity's `BUDGET_WOULD_EXCEED` refusal. */
export function budgetRefusalOf(error: unknown): BudgetRefusalDetails | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = attemptFailure(error.cause);
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureType.BudgetWouldExceed) return undefined;
  return cause.details?.[0] as BudgetRefusalDetails | undefined;
}

