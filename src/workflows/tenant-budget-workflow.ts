import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../core/failure-types';
import {
  applyTenantBudgetOperations,
  configurationProblem,
  operationsProblem,
  configureTenantBudget,
  refreshTenantBudget,
  reservationRequestProblem,
  reserveTenantBudget,
  settlementRequestProblem,
  settleTenantBudget,
  upgradeTenantBudgetState,
  type StoredTenantBudgetState,
} from '../core/tenant-budget';
import {
  applyTenantBudgetOperationsUpdate,
  configureTenantBudgetUpdate,
  removeTenantBudgetUpdate,
  reserveTenantBudgetUpdate,
  settleTenantBudgetUpdate,
  tenantBudgetStateQuery,
} from './tenant-budget-definitions';

/** How a tenant budget workflow ends: only when the budget is removed (it continues as new otherwise). */
export interface TenantBudgetWorkflowResult {
  removed: true;
  /** The state when it was removed. */
  state: StoredTenantBudgetState;
}

/**
 * The budget of one tenant (`zap-tenant-budget/<tenantId>`): every model call of the tenant's
 * tasks reserves its worst case here before it is sent (`reserve`) and settles with its actual
 * cost after (`settle`); workers send theirs in batches (`apply`, one update in flight per tenant
 * and worker). Handlers run one at a time and never wait, so twenty calls racing for the last
 * dollars are answered in some order against the same ledger and cannot jointly overspend.
 * Time is the workflow's clock (the time of the workflow task handling the update), so replays
 * reach the same state. The ledger is in `core/tenant-budget.ts`.
 *
 * The workflow issues no commands while it runs: no timers (expired reservations and spend that
 * left the window are dealt with at the next update, and by readers at their own time), no
 * activities. It continues as new with its state when its history grows long, after its handlers
 * finished; it completes when the budget is removed. Any later change to the commands it issues
 * goes behind a patch (`Patch` in patches.ts), and new state fields get defaults in `upgradeTenantBudgetState`.
 */
export async function tenantBudgetWorkflow(stored: StoredTenantBudgetState): Promise<TenantBudgetWorkflowResult> {
  const state = upgradeTenantBudgetState(stored);
  let removed = false;
  setHandler(reserveTenantBudgetUpdate, (request) => reserveTenantBudget(state, request, Date.now()), {
    validator: (request) => refuseIf(reservationRequestProblem(request)),
  });
  setHandler(settleTenantBudgetUpdate, (request) => settleTenantBudget(state, request, Date.now()), {
    validator: (request) => refuseIf(settlementRequestProblem(request)),
  });
  setHandler(applyTenantBudgetOperationsUpdate, (operations) => applyTenantBudgetOperations(state, operations, Date.now()), {
    validator: (operations) => refuseIf(operationsProblem(operations)),
  });
  setHandler(
    configureTenantBudgetUpdate,
    (configuration) => {
      configureTenantBudget(state, configuration, Date.now());
      return state;
    },
    { validator: (configuration) => refuseIf(configurationProblem(configuration)) },
  );
  setHandler(removeTenantBudgetUpdate, () => {
    removed = true;
    refreshTenantBudget(state, Date.now());
    return state;
  });
  setHandler(tenantBudgetStateQuery, () => state);

  await condition(() => removed || continueAsNewDue(state.eventsPerRun));
  // Updates are answered in the activation they arrive in; none is left waiting on the old run.
  await condition(allHandlersFinished);
  if (removed) return { removed: true, state };
  refreshTenantBudget(state, Date.now());
  return continueAsNew<typeof tenantBudgetWorkflow>(state);
}

function continueAsNewDue(eventsPerRun: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= eventsPerRun;
}

function refuseIf(problem: string | undefined): void {
  if (problem !== undefined) throw ApplicationFailure.create({ type: FailureType.ZapValidation, message: problem, nonRetryable: true });
}
