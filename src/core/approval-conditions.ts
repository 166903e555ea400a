import { ZapValidationError } from './errors';

/**
 * A test on one value of a tool call: `arg` is a dotted path into the call's parsed arguments
 * (`'amount'`, `'customer.email'`), `context` one into the task's context. Every operator given
 * must hold; a missing value fails every operator but `exists: false`, `notEquals`, `notIn` and
 * `notMatches`.
 */
export interface ApprovalValueTest {
  arg?: string;
  context?: string;
  equals?: unknown;
  notEquals?: unknown;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  in?: unknown[];
  notIn?: unknown[];
  /** A regular expression (JavaScript syntax) the value, as a string, must match. */
  matches?: string;
  /** A regular expression the value, as a string, must not match. */
  notMatches?: string;
  exists?: boolean;
}

/**
 * A condition on a tool call, in JSON so it travels with the task and is evaluated in the
 * workflow (pure, deterministic): a value test, or `all` / `any` / `not` of conditions.
 *
 * @example
 * ```ts
 * { arg: 'amount', gt: 100 }
 * { any: [{ arg: 'to', notMatches: '@example\\.com$' }, { context: 'environment', equals: 'production' }] }
 * ```
 */
export type ApprovalCondition = ApprovalValueTest | { all: ApprovalCondition[] } | { any: ApprovalCondition[] } | { not: ApprovalCondition };

/** A JSON rule of {@link ApprovalRules}: calls of tools matching `tool` (a glob) for which `when` holds need approval. */
export interface ApprovalConditionRule {
  /** Glob over tool names, as in `patterns`. */
  tool: string;
  /** When absent, every call of the tool needs approval (like a pattern). */
  when?: ApprovalCondition;
}

const OPERATORS = ['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'matches', 'notMatches', 'exists'] as const;
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const MAX_DEPTH = 16;

/** Refuses a malformed condition with the path of the first problem (`when.any[1].gt`). */
export function validateApprovalCondition(condition: unknown, where: string, depth = 0): asserts condition is ApprovalCondition {
  const fail = (problem: string): never => {
    throw new ZapValidationError({ message: `ApprovalRules: ${where}${problem.startsWith('.') ? '' : ' '}${problem}` });
  };
  if (depth > MAX_DEPTH) fail(`nests deeper than ${MAX_DEPTH} levels.`);
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) fail('must be an object.');
  const record = condition as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const combinator of ['all', 'any'] as const) {
    if (combinator in record) {
      if (keys.length !== 1) fail(`mixes '${combinator}' with other keys.`);
      const list = record[combinator];
      if (!Array.isArray(list) || list.length === 0) fail(`.${combinator} must be a non-empty array.`);
      (list as unknown[]).forEach((item, index) => validateApprovalCondition(item, `${where}.${combinator}[${index}]`, depth + 1));
      return;
    }
  }
  if ('not' in record) {
    if (keys.length !== 1) fail("mixes 'not' with other keys.");
    validateApprovalCondition(record.not, `${where}.not`, depth + 1);
    return;
  }
  const sources = ['arg', 'context'].filter((key) => key in record);
  if (sources.length !== 1) fail("needs exactly one of 'arg' or 'context' (a dotted path), or 'all' / 'any' / 'not'.");
  const path = record[sources[0] as string];
  if (typeof path !== 'string' || !PATH.test(path)) fail(`.${sources[0]} must be a dotted path such as 'amount' or 'customer.email'.`);
  const operators = keys.filter((key) => key !== 'arg' && key !== 'context');
  if (operators.length === 0) fail(`needs an operator (${OPERATORS.join(', ')}).`);
  for (const operator of operators) {
    if (!(OPERATORS as readonly string[]).includes(operator)) fail(`has unknown operator '${operator}' (use ${OPERATORS.join(', ')}).`);
    const operand = record[operator];
    if (['gt', 'gte', 'lt', 'lte'].includes(operator) && (typeof operand !== 'number' || !Number.isFinite(operand))) {
      fail(`.${operator} must be a finite number.`);
    }
    if ((operator === 'in' || operator === 'notIn') && !Array.isArray(operand)) fail(`.${operator} must be an array.`);
    if (operator === 'exists' && typeof operand !== 'boolean') fail('.exists must be a boolean.');
    if (operator === 'matches' || operator === 'notMatches') {
      if (typeof operand !== 'string') fail(`.${operator} must be a regular expression string.`);
      try {
        new RegExp(operand as string);
      } catch (error) {
        fail(`.${operator} is not a valid regular expression (${error instanceof Error ? error.message : String(error)}).`);
      }
    }
  }
}

/** Whether a condition holds for a call (sandbox-safe and deterministic: the workflow evaluates it). */
export function evaluateApprovalCondition(condition: ApprovalCondition, args: Record<string, unknown>, context: unknown): boolean {
  if ('all' in condition) return condition.all.every((item) => evaluateApprovalCondition(item, args, context));
  if ('any' in condition) return condition.any.some((item) => evaluateApprovalCondition(item, args, context));
  if ('not' in condition) return !evaluateApprovalCondition(condition.not, args, context);
  const value = condition.arg !== undefined ? valueAt(args, condition.arg) : valueAt(context, condition.context as string);
  const present = value !== undefined && value !== null;
  const checks: boolean[] = [];
  if (condition.exists !== undefined) checks.push(condition.exists === present);
  if ('equals' in condition) checks.push(present && jsonEqual(value, condition.equals));
  if ('notEquals' in condition) checks.push(!present || !jsonEqual(value, condition.notEquals));
  if (condition.gt !== undefined) checks.push(asNumber(value) !== undefined && (asNumber(value) as number) > condition.gt);
  if (condition.gte !== undefined) checks.push(asNumber(value) !== undefined && (asNumber(value) as number) >= condition.gte);
  if (condition.lt !== undefined) checks.push(asNumber(value) !== undefined && (asNumber(value) as number) < condition.lt);
  if (condition.lte !== undefined) checks.push(asNumber(value) !== undefined && (asNumber(value) as number) <= condition.lte);
  if (condition.in !== undefined) checks.push(present && condition.in.some((item) => jsonEqual(value, item)));
  if (condition.notIn !== undefined) checks.push(!present || !condition.notIn.some((item) => jsonEqual(value, item)));
  if (condition.matches !== undefined) checks.push(present && new RegExp(condition.matches).test(String(value)));
  if (condition.notMatches !== undefined) checks.push(!present || !new RegExp(condition.notMatches).test(String(value)));
  return checks.length > 0 && checks.every(Boolean);
}

function valueAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Numbers, and strings that are numbers (models often send `"250"`), compare as numbers. */
function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  return aKeys.length === bKeys.length && aKeys.every((key) => jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
