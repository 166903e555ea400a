import { ZapValidationError } from './errors';

/** Default time a tool call waits for a human decision before it counts as rejected. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

const PATTERN_CHARACTERS = /^[A-Za-z0-9_\-*?]+$/;

/** Options of {@link ApprovalRules}. */
export interface ApprovalRulesOptions {
  /** Glob patterns over tool names: `*` matches any run of characters, `?` one character. */
  patterns: string[];
  /**
   * How long a gated call waits for a decision; then the model is told it was rejected
   * (`timed_out`). Milliseconds or a string such as `'7 days'`, `'90 minutes'`, `'30s'`.
   * @default '7 days'
   */
  timeout?: number | string;
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
}

/**
 * Which tool calls need a human decision before they run. Matching calls pause the task
 * (`awaiting_approval`) while the other calls of the same model turn go on.
 *
 * @example
 * ```ts
 * const rules = new ApprovalRules({ patterns: ['transfer_*', 'delete_*'], timeout: '2 days' });
 * rules.previewMatches(await zap.getAgentTools('Finance')); // { 'transfer_*': ['transfer_funds'], 'delete_*': [] }
 * ```
 */
export class ApprovalRules {
  readonly patterns: readonly string[];
  readonly timeoutMs: number;
  readonly inherit: boolean;
  private readonly expressions: readonly RegExp[];

  constructor(options: ApprovalRulesOptions) {
    if (!options || !Array.isArray(options.patterns) || options.patterns.length === 0) {
      throw new ZapValidationError({ message: 'ApprovalRules needs a non-empty `patterns` array.' });
    }
    for (const pattern of options.patterns) {
      if (typeof pattern !== 'string' || !PATTERN_CHARACTERS.test(pattern)) {
        throw new ZapValidationError({
          message: `ApprovalRules: pattern ${JSON.stringify(pattern)} is invalid; use tool-name characters with * and ? wildcards.`,
        });
      }
    }
    this.patterns = [...new Set(options.patterns)];
    this.timeoutMs = parseTimeout(options.timeout);
    this.inherit = options.inherit ?? true;
    this.expressions = this.patterns.map(globToRegExp);
  }

  /** Rebuilds rules from their JSON form. */
  static fromSpec(spec: ApprovalRulesSpec): ApprovalRules {
    return new ApprovalRules({ patterns: spec.patterns, timeout: spec.timeoutMs, inherit: spec.inherit });
  }

  /** True when a call of this tool needs approval. */
  matches(toolName: string): boolean {
    return this.expressions.some((expression) => expression.test(toolName));
  }

  /** For each pattern, the tools it gates. */
  previewMatches(toolNames: readonly string[]): Record<string, string[]> {
    const preview: Record<string, string[]> = {};
    this.patterns.forEach((pattern, index) => {
      const expression = this.expressions[index] as RegExp;
      preview[pattern] = toolNames.filter((name) => expression.test(name));
    });
    return preview;
  }

  /** Patterns that gate none of these tools (probably a typo). */
  unmatchedPatterns(toolNames: readonly string[]): string[] {
    return Object.entries(this.previewMatches(toolNames))
      .filter(([, matched]) => matched.length === 0)
      .map(([pattern]) => pattern);
  }

  toSpec(): ApprovalRulesSpec {
    return { patterns: [...this.patterns], timeoutMs: this.timeoutMs, inherit: this.inherit };
  }
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
  return {
    patterns: [...new Set([...first.patterns, ...second.patterns])],
    timeoutMs: Math.min(first.timeoutMs, second.timeoutMs),
    inherit: first.inherit || second.inherit,
  };
}

/** True when the tool name matches one of the spec's patterns (sandbox-safe; used by the workflow). */
export function specMatches(spec: ApprovalRulesSpec, toolName: string): boolean {
  return spec.patterns.some((pattern) => globToRegExp(pattern).test(toolName));
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

function parseTimeout(timeout: number | string | undefined): number {
  if (timeout === undefined) return DEFAULT_APPROVAL_TIMEOUT_MS;
  if (typeof timeout === 'number') {
    if (Number.isFinite(timeout) && timeout > 0) return timeout;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(timeout);
    const unit = match ? UNIT_MILLISECONDS[(match[2] as string).toLowerCase()] : undefined;
    if (match && unit !== undefined && Number(match[1]) > 0) return Number(match[1]) * unit;
  }
  throw new ZapValidationError({ message: `ApprovalRules: timeout ${JSON.stringify(timeout)} is not a positive duration.` });
}
