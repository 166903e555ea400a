/**
 * Every error class of zap-agents (`zap-agents/errors`), for `instanceof` and `isInstance`
 * checks: each has a string `code` (also what crosses Temporal as a failure type) and typed fields.
 * The root package exports the common ones too.
 *
 * @example
 * ```ts
 * import { BudgetExceededError } from 'zap-agents/errors';
 * if (BudgetExceededError.isInstance(task.budgetError)) console.log(task.budgetError.limit);
 * ```
 */
export * from '../core/errors';
