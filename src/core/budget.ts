import { msToNumber } from '@temporalio/common/lib/time';
import { ZapValidationError } from './errors';
import type { TokenUsage } from './messages';

/**
 * Budgets: hard caps on what one task (with its sub-agents) may spend. Pure and sandbox-safe:
 * the workflow keeps the ledger, the client compiles the options. Money is counted in integer
 * nano-dollars (1e-9 USD), so sums are exact and replays reach the same totals.
 */

/** What a task may spend; any subset. Absent limits are unlimited. */
export interface TaskBudget {
  /** US dollars for all model calls of the task and its sub-agents (from the model's price). */
  maxUsd?: number;
  /** Tokens (prompt + completion) of all model calls of the task and its sub-agents. */
  maxTokens?: number;
  /** Model calls of the task and its sub-agents. */
  maxModelCalls?: number;
  /** Tool calls of the task and its sub-agents (`message_agent` and `wait_for_event` included). */
  maxToolCalls?: number;
  /**
   * What happens when a model call would not fit: `fail` (the task fails with
   * `BudgetExceededError`), or `ask` (the task pauses with a budget approval, `kind: 'budget'`:
   * approve it with a new limit to go on, reject it to fail). Tool-call limits never fail a task:
   * further tool calls are refused with a message the model sees, and the model then answers.
   * @default 'fail'
   */
  onExceeded?: BudgetPolicy;
  /**
   * How long an `ask` waits for a decision before the task fails.
   * @default '7 days'
   */
  askTimeout?: number | string;
}

/** What a task does when a model call would not fit its budget. */
export type BudgetPolicy = 'fail' | 'ask';

/** Which limit a budget decision is about; `tenantUsd` is the task's tenant budget (`zap.tenantBudgets`), not its own. */
export type BudgetLimitName = 'usd' | 'tokens' | 'modelCalls' | 'toolCalls' | 'tenantUsd';

/** Amounts in the ledger's units. */
export interface BudgetAmounts {
  nanoUsd: number;
  tokens: number;
  modelCalls: number;
  toolCalls: number;
}

/** Limits in the ledger's units; an absent one is unlimited. */
export type BudgetLimits = Partial<BudgetAmounts>;

/** The JSON form of a {@link TaskBudget} in workflow input. */
export interface BudgetSpec {
  limits: BudgetLimits;
  onExceeded: BudgetPolicy;
  askTimeoutMs: number;
}

/** The ledger a task carries (across continue-as-new). */
export interface BudgetState {
  /** The limits now in force (an approved `ask` raises them). */
  limits: BudgetLimits;
  /** What the task's own model and tool calls cost, and what its closed reservations were reconciled to. */
  spent: BudgetAmounts;
  /** Held for running sub-agent tasks and pipeline steps, by child task id. */
  reserved: Record<string, BudgetAmounts>;
  /** Of `spent`: estimates for attempts whose usage the provider never reported (a worker lost mid-call). */
  estimated: BudgetAmounts;
}

/** Price of a model in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cached prompt tokens; absent: the input price. */
  cachedInput?: number;
}

/** A model price as a task records it (where it came from, for the snapshot). */
export interface ResolvedModelPrice extends ModelPrice {
  model: string;
  /** `prices` of the Zap, or the price data package (`@pydantic/genai-prices`). */
  source: 'override' | 'genai-prices';
}

/** What a budget looks like to a reader: limits, spent, held for children, and what is left. */
export interface BudgetSnapshot {
  limits: { maxUsd?: number; maxTokens?: number; maxModelCalls?: number; maxToolCalls?: number };
  spent: { usd: number; tokens: number; modelCalls: number; toolCalls: number };
  reserved: { usd: number; tokens: number; modelCalls: number; toolCalls: number };
  /** Of `spent.usd`: estimated for attempts whose usage was never reported. */
  estimatedUsd: number;
  remaining: { usd?: number; tokens?: number; modelCalls?: number; toolCalls?: number };
  onExceeded: BudgetPolicy;
}

export const NANO_USD_PER_USD = 1_000_000_000;
/** Default of `askTimeout`. */
export const DEFAULT_BUDGET_ASK_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Fewest completion tokens a model call is made with when the budget cannot pay for the agent's
 * whole `maxTokens`: the call's `max_tokens` is lowered to what the budget can pay, down to this
 * many; below it the call is not made.
 */
export const MIN_BUDGET_COMPLETION_TOKENS = 64;

export const ZERO_AMOUNTS: Readonly<BudgetAmounts> = Object.freeze({ nanoUsd: 0, tokens: 0, modelCalls: 0, toolCalls: 0 });

/** Validates a {@link TaskBudget} and compiles it (`where` names the option in errors). */
export function compileBudget(budget: TaskBudget, where: string): BudgetSpec {
  if (typeof budget !== 'object' || budget === null || Array.isArray(budget)) {
    throw new ZapValidationError({ message: `${where} must be an object such as { maxUsd: 0.5 }.` });
  }
  const known = ['maxUsd', 'maxTokens', 'maxModelCalls', 'maxToolCalls', 'onExceeded', 'askTimeout'];
  const unknown = Object.keys(budget).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new ZapValidationError({ message: `${where} has unknown option ${unknown.map((key) => `'${key}'`).join(', ')} (use ${known.join(', ')}).` });
  const limits: BudgetLimits = {};
  if (budget.maxUsd !== undefined) {
    if (typeof budget.maxUsd !== 'number' || !Number.isFinite(budget.maxUsd) || budget.maxUsd < 0) {
      throw new ZapValidationError({ message: `${where}.maxUsd must be a non-negative number of US dollars.` });
    }
    limits.nanoUsd = Math.round(budget.maxUsd * NANO_USD_PER_USD);
  }
  for (const [option, key] of [['maxTokens', 'tokens'], ['maxModelCalls', 'modelCalls'], ['maxToolCalls', 'toolCalls']] as const) {
    const value = budget[option];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) throw new ZapValidationError({ message: `${where}.${option} must be a non-negative integer.` });
    limits[key] = value;
  }
  const onExceeded = budget.onExceeded ?? 'fail';
  if (onExceeded !== 'fail' && onExceeded !== 'ask') throw new ZapValidationError({ message: `${where}.onExceeded must be 'fail' or 'ask'.` });
  let askTimeoutMs = DEFAULT_BUDGET_ASK_TIMEOUT_MS;
  if (budget.askTimeout !== undefined) {
    let parsed: number;
    try {
      parsed = msToNumber(budget.askTimeout as Parameters<typeof msToNumber>[0]);
    } catch {
      parsed = Number.NaN;
    }
    if (!Number.isFinite(parsed) || parsed <= 0) {
      throw new ZapValidationError({ message: `${where}.askTimeout must be a positive duration such as '2 days'.` });
    }
    askTimeoutMs = parsed;
  }
  return { limits, onExceeded, askTimeoutMs };
}

/** An agent's default budget with a task's own on top: each limit the task gives replaces the agent's. */
export function mergeBudgetSpecs(defaults: BudgetSpec | undefined, own: BudgetSpec | undefined): BudgetSpec | undefined {
  if (!defaults) return own;
  if (!own) return defaults;
  return { limits: { ...defaults.limits, ...own.limits }, onExceeded: own.onExceeded, askTimeoutMs: own.askTimeoutMs };
}

/** A new ledger for a spec. */
export function initialBudgetState(spec: BudgetSpec): BudgetState {
  return { limits: { ...spec.limits }, spent: { ...ZERO_AMOUNTS }, reserved: {}, estimated: { ...ZERO_AMOUNTS } };
}

/** What a model call cost, in nano-dollars, rounded up (a budget never under-counts). */
export function costOfUsage(usage: TokenUsage, price: ModelPrice | undefined): number {
  if (!price) return 0;
  const cached = Math.min(usage.cachedPromptTokens ?? 0, usage.promptTokens);
  const nano = (usage.promptTokens - cached) * price.input * 1000 + cached * (price.cachedInput ?? price.input) * 1000 + usage.completionTokens * price.output * 1000;
  return Math.ceil(nano - 1e-6);
}

/** Sum of the amounts held for children. */
export function reservedTotal(state: BudgetState): BudgetAmounts {
  return Object.values(state.reserved).reduce(addAmounts, { ...ZERO_AMOUNTS });
}

/** What is left under each limit (undefined: unlimited), after what is spent and held for children. */
export function remainingOf(state: BudgetState): BudgetLimits {
  const held = addAmounts(state.spent, reservedTotal(state));
  const left: BudgetLimits = {};
  for (const key of AMOUNT_KEYS) {
    const limit = state.limits[key];
    if (limit !== undefined) left[key] = Math.max(0, limit - held[key]);
  }
  return left;
}

export function addAmounts(a: BudgetAmounts, b: BudgetAmounts): BudgetAmounts {
  return { nanoUsd: a.nanoUsd + b.nanoUsd, tokens: a.tokens + b.tokens, modelCalls: a.modelCalls + b.modelCalls, toolCalls: a.toolCalls + b.toolCalls };
}

/** The budget a reader sees. */
export function budgetSnapshot(state: BudgetState, spec: BudgetSpec): BudgetSnapshot {
  const held = reservedTotal(state);
  const left = remainingOf(state);
  return {
    limits: {
      ...(state.limits.nanoUsd !== undefined ? { maxUsd: toUsd(state.limits.nanoUsd) } : {}),
      ...(state.limits.tokens !== undefined ? { maxTokens: state.limits.tokens } : {}),
      ...(state.limits.modelCalls !== undefined ? { maxModelCalls: state.limits.modelCalls } : {}),
      ...(state.limits.toolCalls !== undefined ? { maxToolCalls: state.limits.toolCalls } : {}),
    },
    spent: { usd: toUsd(state.spent.nanoUsd), tokens: state.spent.tokens, modelCalls: state.spent.modelCalls, toolCalls: state.spent.toolCalls },
    reserved: { usd: toUsd(held.nanoUsd), tokens: held.tokens, modelCalls: held.modelCalls, toolCalls: held.toolCalls },
    estimatedUsd: toUsd(state.estimated.nanoUsd),
    remaining: {
      ...(left.nanoUsd !== undefined ? { usd: toUsd(left.nanoUsd) } : {}),
      ...(left.tokens !== undefined ? { tokens: left.tokens } : {}),
      ...(left.modelCalls !== undefined ? { modelCalls: left.modelCalls } : {}),
      ...(left.toolCalls !== undefined ? { toolCalls: left.toolCalls } : {}),
    },
    onExceeded: spec.onExceeded,
  };
}

/**
 * Reserves `1 / slots` of what is left for a child task (a sub-agent's request, a pipeline step)
 * and returns the child's limits: its own spend so far plus the share, for each limit the ledger
 * has. Siblings reserving in turn each get an equal share, so together they cannot exceed it.
 */
export function reserveForChild(ledger: BudgetState, childTaskId: string, slots: number, childSpent: BudgetAmounts | undefined): BudgetLimits {
  const divisor = Math.max(1, slots);
  const left = remainingOf(ledger);
  const share: BudgetAmounts = {
    nanoUsd: Math.floor((left.nanoUsd ?? 0) / divisor),
    tokens: Math.floor((left.tokens ?? 0) / divisor),
    modelCalls: Math.floor((left.modelCalls ?? 0) / divisor),
    toolCalls: Math.floor((left.toolCalls ?? 0) / divisor),
  };
  ledger.reserved[childTaskId] = share;
  const base = childSpent ?? ZERO_AMOUNTS;
  const limits: BudgetLimits = {};
  for (const key of AMOUNT_KEYS) {
    if (left[key] !== undefined) limits[key] = base[key] + share[key];
  }
  return limits;
}

/**
 * A child reported (answered, failed, was cancelled): its reservation is released and what it
 * spent since the previous report (`reconciled`) is added. A child that never reported its spend
 * counts its whole reservation. Returns the child's total now reconciled.
 */
export function reconcileChild(ledger: BudgetState, childTaskId: string, childSpent: BudgetAmounts | undefined, reconciled: BudgetAmounts | undefined): BudgetAmounts {
  const reservation = ledger.reserved[childTaskId];
  delete ledger.reserved[childTaskId];
  const before = reconciled ?? ZERO_AMOUNTS;
  const total = childSpent ?? addAmounts(before, reservation ?? ZERO_AMOUNTS);
  const delta = { nanoUsd: total.nanoUsd - before.nanoUsd, tokens: total.tokens - before.tokens, modelCalls: total.modelCalls - before.modelCalls, toolCalls: total.toolCalls - before.toolCalls };
  ledger.spent = addAmounts(ledger.spent, delta);
  return total;
}

/** What a model call may have cost at most (`budgetCharge` in its heartbeat, or in a report of it lost). */
export interface ModelCallCharge {
  nanoUsd: number;
  tokens: number;
}

/** The `budgetCharge` of heartbeat or failure details, when they carry a valid one. */
export function budgetChargeOf(details: unknown): ModelCallCharge | undefined {
  const charge = typeof details === 'object' && details !== null ? (details as { budgetCharge?: unknown }).budgetCharge : undefined;
  if (typeof charge !== 'object' || charge === null) return undefined;
  const { nanoUsd, tokens } = charge as { nanoUsd?: unknown; tokens?: unknown };
  return typeof nanoUsd === 'number' && Number.isFinite(nanoUsd) && typeof tokens === 'number' && Number.isFinite(tokens) ? { nanoUsd, tokens } : undefined;
}

/** Nano-dollars as dollars. */
export function toUsd(nanoUsd: number): number {
  return nanoUsd / NANO_USD_PER_USD;
}

/** A limit's name as the option that sets it. */
export function limitOptionName(limit: BudgetLimitName): 'maxUsd' | 'maxTokens' | 'maxModelCalls' | 'maxToolCalls' {
  return limit === 'usd' || limit === 'tenantUsd' ? 'maxUsd' : limit === 'tokens' ? 'maxTokens' : limit === 'modelCalls' ? 'maxModelCalls' : 'maxToolCalls';
}

const AMOUNT_KEYS = ['nanoUsd', 'tokens', 'modelCalls', 'toolCalls'] as const;
