import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  StoredTenantBudgetState,
  TenantBudgetConfiguration,
  TenantBudgetOperation,
  TenantBudgetOperationResult,
  TenantReservationRequest,
  TenantReservationResult,
  TenantSettlementRequest,
  TenantSettlementResult,
} from '../core/tenant-budget';

/**
 * Names of the tenant budget workflow (one per tenant with a budget), shared by the client, the
 * model activity and the workflow. Sandbox-safe: definitions only.
 */

/** Workflow type of a tenant budget. */
export const TENANT_BUDGET_WORKFLOW_TYPE = 'tenantBudgetWorkflow';

/** Workflow id of a tenant's budget. */
export function tenantBudgetWorkflowId(tenantId: string): string {
  return `zap-tenant-budget/${tenantId}`;
}

/** Reserves a model call's worst case before it is sent. */
export const reserveTenantBudgetUpdate = defineUpdate<TenantReservationResult, [TenantReservationRequest]>('zapReserveTenantBudget');
/** Settles a reservation with the call's actual cost. */
export const settleTenantBudgetUpdate = defineUpdate<TenantSettlementResult, [TenantSettlementRequest]>('zapSettleTenantBudget');
/** Reservations and settlements of one worker, in one update (what the model activity sends). */
export const applyTenantBudgetOperationsUpdate = defineUpdate<TenantBudgetOperationResult[], [TenantBudgetOperation[]]>('zapApplyTenantBudgetOperations');
/** Sets a new limit and window; answers the state after it. */
export const configureTenantBudgetUpdate = defineUpdate<StoredTenantBudgetState, [TenantBudgetConfiguration]>('zapConfigureTenantBudget');
/** Ends the budget: the workflow completes, and the tenant's calls are no longer limited. */
export const removeTenantBudgetUpdate = defineUpdate<StoredTenantBudgetState, []>('zapRemoveTenantBudget');
/** The budget's state (the client summarises it at its own time). */
export const tenantBudgetStateQuery = defineQuery<StoredTenantBudgetState>('zapTenantBudgetState');
