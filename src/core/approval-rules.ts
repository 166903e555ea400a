import {
  evaluateApprovalCondition,
  validateApprovalCondition,
  type ApprovalConditionRule,
} from './approval-conditions';
import type { ApprovalTimeoutPolicy } from './approval-request';
import { ZapValidationError } from './errors';

/** Default time a tool call waits for a human decision before it counts as rejected. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

const PATTERN_CHARACTERS = /^[A-Za-z0-9_\-*?]+$/;

/** What a predicate of {@link ApprovalRules} or of a tool sees: the call, and the task's context. */
export interface ApprovalCheck<Context = unknown> {
  toolName: string;
  /** The call's parsed arguments. */
  args: Record<string, unknown>;
  /** The task's context (undefined when it has none). */
  context: Context;
  agentName: string;
  taskId: string;
}

/**
 * A predicate over a tool call. It runs on the worker, inside the model activity that produced
 * the call, and its answer is recorded with the activity's result, so replays never run it again.
 * It may be async and read anything; when it throws, the call needs approval (fail closed).
 */
export type ApprovalPredicate<Context = unknown> = (check: ApprovalCheck<Context>) => boolean | Promise<boolean>;

/** After the first timeout of an approval whose policy is `escalate`. */
export interface ApprovalEscalationOptions {
  /**
   * How much longer the approval waits after it was escalated.
   * @default the first timeout again
   */
  timeout?: number | string;
  /**
   * What happens when the second wait ends without a decision.
   * @default 'reject'
   */
  then?: Exclude<ApprovalTimeoutPolicy, 'escalate'>;
}

/** Options of {@link ApprovalRules}; at least one of `patterns`, `conditions` or `requiresApproval`. */
export interface ApprovalRulesOptions<Context = unknown> {
  /** Glob patterns over tool names: `*` matches any run of characters, `?` one character. Every call of a matching tool is gated. */
  patterns?: string[];
  /**
   * Rules on the call's arguments and the task's context, in JSON: they travel with the task and
   * the workflow evaluates them (deterministic). `{ tool: 'refund', when: { arg: 'amount', gt: 100 } }`.
   * @default []
   */
  conditions?: ApprovalConditionRule[];
  /**
   * A predicate in code, for what JSON cannot say. It runs on the worker, so only rules that live
   * on the worker may have one: an agent's `approvalRules` (not the rules passed to `executeTask`,
   * which the client serializes). Its answer is recorded in history.
   */
  requiresApproval?: ApprovalPredicate<Context>;
  /**
   * How long a gated call waits for a decision; then `onTimeout` applies. Milliseconds or a string
   * such as `'7 days'`, `'90 minutes'`, `'30s'`.
   * @default '7 days'
   */
  timeout?: number | string;
  /**
   * What happens when no decision arrives in time: `reject` (the model is told the approval timed
   * out), `approve` (the call runs and the model is told no human decided), `fail` (the task fails
   * with `APPROVAL_TIMED_OUT`), `escalate` (an `approval_escalated` event and the agent's
   * `onApprovalEscalated` hook, then one more wait, see `escalation`).
   * @default 'reject'
   */
  onTimeout?: ApprovalTimeoutPolicy;
  /** With `onTimeout: 'escalate'`: the second wait. */
  escalation?: ApprovalEscalationOptions;
  /**
   * Whether sub-agents started by the task use the same rules.
   * @default true
   */
  inherit?: boolean;
}

/** The JSON form of {@link ApprovalRules} that travels in workflow input. */
export interface ApprovalRulesSpec {
  patterns: string[];
  timeoutMs: number;
  inherit: boolean;
  /** JSON rules on arguments and context (0.2.0; `[]` after the state upgrade). */
  conditions?: ApprovalConditionRule[];
  /**
   * Agents whose `approvalRules.requiresApproval` predicate applies (evaluated by the worker in the
   * model activity; a sub-agent that inherits the rules keeps its parent's agent here) (0.2.0; `[]`).
   */
  predicates?: string[];
  /** (0.2.0; `'reject'` after the state upgrade.) */
  onTimeout?: ApprovalTimeoutPolicy;
  /** With `onTimeout: 'escalate'` (0.2.0). */
  escalation?: { timeoutMs: number; then: Exclude<ApprovalTimeoutPolicy, 'escalate'> };
}

/**
 * Which tool calls need a human decision before they run. Matching calls pause the task
 * (`awaiting_approval`) while the other calls of the same model turn go on.
 *
 * @example
 * ```ts
 * const rules = new ApprovalRules({
 *   patterns: ['delete_*'],
 *   conditions: [{ tool: 'transfer_*', when: { arg: 'amount', gt: 100 } }],
 *   timeout: '2 days',
 *   onTimeout: 'escalate',
 * });
 * rules.previewMatches(await zap.getAgentTools('Finance')); // { 'transfer_*': ['transfer_funds'], 'delete_*': [] }
 * ```
 */
export class ApprovalRules<Context = unknown> {
  readonly patterns: readonly string[];
  readonly conditions: readonly ApprovalConditionRule[];
  readonly requiresApproval: ApprovalPredicate<Context> | undefined;
  readonly timeoutMs: number;
  readonly onTimeout: ApprovalTimeoutPolicy;
  readonly escalation: { timeoutMs: number; then: Exclude<ApprovalTimeoutPolicy, 'escalate'> } | undefined;
  readonly inherit: boolean;
  private readonly expressions: readonly RegExp[];

  constructor(options: ApprovalRulesOptions<Context>) {
    if (!options || typeof options !== 'object') throw new ZapValidationError({ message: 'ApprovalRules needs options.' });
    const patterns = options.patterns ?? [];
    const conditions = options.conditions ?? [];
    if (!Array.isArray(patterns) || !Array.isArray(conditions)) {
      throw new ZapValidationError({ message: 'ApprovalRules: `patterns` and `conditions` must be arrays.' });
    }
    if (options.requiresApproval !== undefined && typeof options.requiresApproval !== 'function') {
      throw new ZapValidationError({ message: 'ApprovalRules: `requiresApproval` must be a function ({ toolName, args, context }) => boolean.' });
    }
    if (patterns.length === 0 && conditions.length === 0 && options.requiresApproval === undefined) {
      throw new ZapValidationError({ message: 'ApprovalRules needs `patterns`, `conditions` or `requiresApproval`.' });
    }
    for (const pattern of patterns) checkPattern(pattern, 'pattern');
    conditions.forEach((rule, index) => {
      if (!rule || typeof rule !== 'object') throw new ZapValidationError({ message: `ApprovalRules: conditions[${index}] must be an object.` });
      checkPattern(rule.tool, `conditions[${index}].tool`);
      if (rule.when !== undefined) validateApprovalCondition(rule.when, `conditions[${index}].when`);
    });
    this.patterns = [...new Set(patterns)];
    this.conditions = conditions.map((rule) => ({ ...rule }));
    this.requiresApproval = options.requiresApproval;
    this.timeoutMs = parseTimeout(options.timeout, 'timeout');
    this.onTimeout = checkPolicy(options.onTimeout ?? 'reject', 'onTimeout', true);
    if (options.escalation !== undefined && this.onTimeout !== 'escalate') {
      throw new ZapValidationError({ message: "ApprovalRules: `escalation` applies only with onTimeout: 'escalate'." });
    }
    this.escalation =
      this.onTimeout === 'escalate'
        ? {
            timeoutMs: options.escalation?.timeout === undefined ? this.timeoutMs : parseTimeout(options.escalation.timeout, 'escalation.timeout'),
            then: checkPolicy(options.escalation?.then ?? 'reject', 'escalation.then', false) as Exclude<ApprovalTimeoutPolicy, 'escalate'>,
          }
        : undefined;
    this.inherit = options.inherit ?? true;
    this.expressions = this.patterns.map(globToRegExp);
  }

  /** Rebuilds rules from their JSON form (a predicate in code does not travel: it stays with its agent). */
  static fromSpec(spec: ApprovalRulesSpec): ApprovalRules {
    return new ApprovalRules({
      patterns: spec.patterns,
      conditions: spec.conditions ?? [],
      timeout: spec.timeoutMs,
      onTimeout: spec.onTimeout ?? 'reject',
      ...(spec.escalation ? { escalation: { timeout: spec.escalation.timeoutMs, then: spec.escalation.then } } : {}),
      inherit: spec.inherit,
    });
  }

  /** True when every call of this tool needs approval (its name matches a pattern). */
  matches(toolName: string): boolean {
    return this.expressions.some((expression) => expression.test(toolName));
  }

  /** For each pattern and condition tool glob, the tools it gates (or may gate). */
  previewMatches(toolNames: readonly string[]): Record<string, string[]> {
    const preview: Record<string, string[]> = {};
    for (const pattern of [...this.patterns, ...this.conditions.map((rule) => rule.tool)]) {
      const expression = globToRegExp(pattern);
      preview[pattern] = toolNames.filter((name) => expression.test(name));
    }
    return preview;
  }

  /** Patterns that gate none of these tools (probably a typo). */
  unmatchedPatterns(toolNames: readonly string[]): string[] {
    return Object.entries(this.previewMatches(toolNames))
      .filter(([, matched]) => matched.length === 0)
      .map(([pattern]) => pattern);
  }

  /**
   * The JSON form. `predicateOwner` is the agent whose worker evaluates `requiresApproval`; rules
   * with a predicate and no owner (the rules of `executeTask`, serialized by the client) are refused.
   */
  toSpec(predicateOwner?: string): ApprovalRulesSpec {
    if (this.requiresApproval && predicateOwner === undefined) {
      throw new ZapValidationError({
        message:
          'ApprovalRules with a `requiresApproval` function can only be an agent\'s rules (ZapAgent({ approvalRules })): the predicate runs on the worker. ' +
          'For the rules of a task, use JSON `conditions` (evaluated in the workflow) or a tool\'s own `requiresApproval`.',
      });
    }
    return {
      patterns: [...this.patterns],
      timeoutMs: this.timeoutMs,
      inherit: this.inherit,
      conditions: this.conditions.map((rule) => ({ ...rule })),
      predicates: this.requiresApproval && predicateOwner !== undefined ? [predicateOwner] : [],
      onTimeout: this.onTimeout,
      ...(this.escalation ? { escalation: { ...this.escalation } } : {}),
    };
  }
}

/** Strictness of a timeout policy: when two rule sets apply, the stricter one holds. */
const POLICY_STRICTNESS: Record<ApprovalTimeoutPolicy, number> = { approve: 0, reject: 1, escalate: 2, fail: 3 };

function stricter<P extends ApprovalTimeoutPolicy>(first: P, second: P): P {
  return POLICY_STRICTNESS[second] > POLICY_STRICTNESS[first] ? second : first;
}

/** The timeout policy of a spec (absent in specs stored before 0.2.0: `reject`). */
export function timeoutPolicyOf(spec: ApprovalRulesSpec): ApprovalTimeoutPolicy {
  return spec.onTimeout ?? 'reject';
}

/** The defaults of a spec stored before 0.2.0 (used by the state upgrade). */
export function upgradeApprovalRulesSpec(spec: ApprovalRulesSpec): ApprovalRulesSpec {
  return { ...spec, conditions: spec.conditions ?? [], predicates: spec.predicates ?? [], onTimeout: spec.onTimeout ?? 'reject' };
}

function checkPattern(pattern: unknown, where: string): void {
  if (typeof pattern !== 'string' || !PATTERN_CHARACTERS.test(pattern)) {
    throw new ZapValidationError({
      message: `ApprovalRules: ${where} ${JSON.stringify(pattern)} is invalid; use tool-name characters with * and ? wildcards.`,
    });
  }
}

function checkPolicy(policy: unknown, where: string, allowEscalate: boolean): ApprovalTimeoutPolicy {
  const allowed = allowEscalate ? ['reject', 'approve', 'fail', 'escalate'] : ['reject', 'approve', 'fail'];
  if (typeof policy !== 'string' || !allowed.includes(policy)) {
    throw new ZapValidationError({ message: `ApprovalRules: ${where} must be one of ${allowed.map((item) => `'${item}'`).join(', ')}.` });
  }
  return policy as ApprovalTimeoutPolicy;
}

/**
 * The rules of a task made of two sets (the agent's own and the task's, or a parent's inherited
 * ones and a sub-agent's own): a call needs approval when either set says so, waits as long as
 * the shorter timeout allows, and the rules pass to sub-agents when either set passes them on.
 * Sandbox-safe; undefined when neither set exists.
 */
export function mergeApprovalRuleSpecs(first: ApprovalRulesSpec | undefined, second: ApprovalRulesSpec | undefined): ApprovalRulesSpec | undefined {
  if (!first) return second;
  if (!second) return first;
  const onTimeout = stricter(timeoutPolicyOf(first), timeoutPolicyOf(second));
  const escalations = [first, second].filter((spec) => timeoutPolicyOf(spec) === 'escalate' && spec.escalation).map((spec) => spec.escalation!);
  const escalation =
    onTimeout === 'escalate' && escalations.length > 0
      ? escalations.reduce((a, b) => ({ timeoutMs: Math.min(a.timeoutMs, b.timeoutMs), then: stricter(a.then, b.then) }))
      : undefined;
  return {
    patterns: [...new Set([...first.patterns, ...second.patterns])],
    timeoutMs: Math.min(first.timeoutMs, second.timeoutMs),
    inherit: first.inherit || second.inherit,
    conditions: [...(first.conditions ?? []), ...(second.conditions ?? [])],
    predicates: [...new Set([...(first.predicates ?? []), ...(second.predicates ?? [])])],
    onTimeout,
    ...(escalation ? { escalation } : {}),
  };
}

/** True when the tool name matches one of the spec's patterns (sandbox-safe; used by the workflow). */
export function specMatches(spec: ApprovalRulesSpec, toolName: string): boolean {
  return spec.patterns.some((pattern) => globToRegExp(pattern).test(toolName));
}

/**
 * True when the spec's JSON rules gate this call: its name matches a pattern, or a condition rule
 * of a matching tool holds for its arguments and the task's context. Sandbox-safe and
 * deterministic (the workflow evaluates it); predicates in code are the worker's part.
 */
export function specGatesCall(spec: ApprovalRulesSpec, toolName: string, args: Record<string, unknown>, context: unknown): boolean {
  if (specMatches(spec, toolName)) return true;
  return (spec.conditions ?? []).some(
    (rule) => globToRegExp(rule.tool).test(toolName) && (rule.when === undefined || evaluateApprovalCondition(rule.when, args, context)),
  );
}

function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((character) => (character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[-]/g, '\\-')))
    .join('');
  return new RegExp(`^${source}$`);
}

const UNIT_MILLISECONDS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

function parseTimeout(timeout: number | string | undefined, where: string): number {
  if (timeout === undefined) return DEFAULT_APPROVAL_TIMEOUT_MS;
  if (typeof timeout === 'number') {
    if (Number.isFinite(timeout) && timeout > 0) return timeout;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(timeout);
    const unit = match ? UNIT_MILLISECONDS[(match[2] as string).toLowerCase()] : undefined;
    if (match && unit !== undefined && Number(match[1]) > 0) return Number(match[1]) * unit;
  }
  throw new ZapValidationError({ message: `ApprovalRules: ${where} ${JSON.stringify(timeout)} is not a positive duration.` });
}
