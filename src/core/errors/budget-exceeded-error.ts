import type { BudgetLimitName } from '../budget';
import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.BudgetExceeded;

/** Options of {@link BudgetExceededError}. */
export interface BudgetExceededErrorOptions {
  /** The limit that was reached (`tenantUsd`: the task's tenant budget, `zap.tenantBudgets`). */
  limit: BudgetLimitName;
  /** Its value (US dollars for `usd`; for `tenantUsd`, what the tenant's budget had left). */
  max: number;
  /** What the task had spent of it (US dollars for `usd` and `tenantUsd`). */
  spent: number;
  /** What the next model call could have needed at worst, when that was the reason. @default undefined */
  needed?: number;
  /** @default undefined */
  taskId?: string;
  /** @default "Task '<taskId>' reached its budget: <option> <max> (spent <spent>)." */
  message?: string;
  cause?: unknown;
}

/**
 * A task reached a limit of its budget (`budget: { maxUsd, maxTokens, maxModelCalls }`) and its
 * policy is `fail` (or a budget request under `ask` was rejected or timed out): the next model
 * call was not made. The task is failed and keeps its conversation. Tool-call limits never fail a
 * task (the model is told and answers).
 *
 * Inside Temporal it travels as an `ApplicationFailure` of type `BUDGET_EXCEEDED` whose first
 * details object holds `limit`, `max`, `spent`, `needed` and `taskId`; a task's snapshot says
 * `errorCode: 'BUDGET_EXCEEDED'` and `task.budgetError` is this error.
 *
 * @example
 * ```ts
 * if (BudgetExceededError.isInstance(task.budgetError)) console.log(`${task.budgetError.limit}: ${task.budgetError.spent}/${task.budgetError.max}`);
 * ```
 */
export class BudgetExceededError extends ZapError {
  readonly limit: BudgetLimitName;
  readonly max: number;
  readonly spent: number;
  readonly needed: number | undefined;
  readonly taskId: string | undefined;

  constructor({ limit, max, spent, needed, taskId, message, cause }: BudgetExceededErrorOptions) {
    const option = limit === 'usd' ? 'maxUsd' : limit === 'tokens' ? 'maxTokens' : limit === 'modelCalls' ? 'maxModelCalls' : 'maxToolCalls';
    const what = limit === 'tenantUsd' ? `its tenant's budget, which has $${max} left` : `its budget: ${option} ${max} (spent ${spent})`;
    super({ code: CODE, message: message ?? `Task '${taskId ?? '?'}' reached ${what}.`, cause });
    this.limit = limit;
    this.max = max;
    this.spent = spent;
    this.needed = needed;
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is BudgetExceededError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
