import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { ZERO_AMOUNTS } from '../core/budget';
import { FailureType } from '../core/failure-types';
import { budgetExceeded, type BudgetRefusalDetails } from './task-budget';

/**
 * The details of the model activity's `BUDGET_WOULD_EXCEED` refusal when the task's tenant budget
 * (`zap.tenantBudgets`) cannot hold the call's worst case: `needed` and `remaining` as for a
 * task's own budget (nano-dollars), and the tenant's side of it.
 */
export interface TenantBudgetRefusalDetails extends BudgetRefusalDetails {
  limit: 'tenantUsd';
  tenantId: string;
  /** The tenant's limit per window, in nano-dollars. */
  tenantMax: number;
  /** What the window held when the call was refused (spent, and reserved by calls in flight), in nano-dollars. */
  tenantHeld: number;
  windowMs: number;
}

/**
 * For a task without a budget of its own: the failure its model call ends it with when its tenant
 * budget refused the call (`BUDGET_EXCEEDED` with limit `tenantUsd`, as `budgetExceeded` makes it
 * for a budgeted task) or the model's price is unknown under a tenant budget
 * (`MODEL_PRICE_UNKNOWN`). Undefined for any other failure.
 */
export function tenantBudgetFailureOf(error: unknown, taskId: string, spentNanoUsd: number): ApplicationFailure | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  if (cause.type === FailureType.ModelPriceUnknown) {
    return ApplicationFailure.create({ type: FailureType.ModelPriceUnknown, message: cause.message, details: cause.details ?? [], nonRetryable: true });
  }
  const details = cause.details?.[0] as Partial<TenantBudgetRefusalDetails> | undefined;
  if (cause.type !== FailureType.BudgetWouldExceed || details?.limit !== 'tenantUsd') return undefined;
  const ledger = { limits: {}, spent: { ...ZERO_AMOUNTS, nanoUsd: spentNanoUsd }, reserved: {}, estimated: { ...ZERO_AMOUNTS } };
  return budgetExceeded(details as TenantBudgetRefusalDetails, ledger, taskId);
}
