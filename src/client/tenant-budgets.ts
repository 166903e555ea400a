import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NoWorkerError, ZapValidationError } from '../core/errors';
import { compileTenantBudgetOptions, summarizeTenantBudget, type TenantBudget, type TenantBudgetOptions } from '../core/tenant-budget';
import {
  configureTenantBudgetUpdate,
  removeTenantBudgetUpdate,
  TENANT_BUDGET_WORKFLOW_TYPE,
  tenantBudgetStateQuery,
  tenantBudgetWorkflowId,
} from '../workflows/tenant-budget-definitions';
import type { tenantBudgetWorkflow } from '../workflows/tenant-budget-workflow';
import { validateOwnerId } from './task-scope';

/** What {@link ZapTenantBudgets} needs from its `Zap`. */
export interface ZapTenantBudgetsDependencies {
  client: () => Client;
  /**
   * The Zap's namespace and task queue (the budget workflows run on its workers), and how long to
   * wait for a worker to poll before `NoWorkerError` (its `noWorkerTimeout`).
   */
  location: () => { namespace: string; taskQueue: string; noWorkerTimeoutMs: number };
  /** Whether a worker polls the task queue now (the budget workflow answers through one). */
  workersPolling: () => Promise<boolean>;
}

/**
 * Rolling per-tenant spending limits (`zap.tenantBudgets`), enforced across all tasks started
 * with that `tenantId` (their sub-tasks and pipeline steps included): each tenant with a budget
 * has one durable workflow, `zap-tenant-budget/<tenantId>`, on the Zap's task queue. Before a
 * model call of such a task is sent, the worker reserves the call's worst case from it (prompt
 * bound plus the call's `max_tokens`, at the model's price) and settles with the actual cost
 * after; a call that does not fit is not made, and its task fails with `BudgetExceededError`
 * (`limit: 'tenantUsd'`), or asks under `budget: { onExceeded: 'ask' }`. Reservations are
 * answered one at a time against one ledger, so concurrent tasks cannot jointly overspend.
 *
 * `set`, `get` and `remove` are answered by the workflow through a worker of the task queue
 * (`NoWorkerError` when none polls).
 *
 * @example
 * ```ts
 * await zap.tenantBudgets.set('acme', { maxUsd: 50, per: '1 day' });
 * const budget = await zap.tenantBudgets.get('acme'); // { maxUsd: 50, spentUsd: 12.5, reservedUsd: 0.02, remainingUsd: 37.48, … }
 * await zap.tenantBudgets.remove('acme');
 * ```
 */
export class ZapTenantBudgets {
  constructor(private readonly dependencies: ZapTenantBudgetsDependencies) {}

  /**
   * Starts the tenant's budget, or changes its limit and window (what was spent and held stays,
   * and counts against the new limit). Idempotent: the same call twice leaves one budget with
   * these settings. `ZapValidationError` for a bad tenant id, `maxUsd` or `per`.
   */
  async set(tenantId: string, options: TenantBudgetOptions): Promise<TenantBudget> {
    const id = requireTenantId(tenantId, 'tenantBudgets.set');
    const configuration = compileTenantBudgetOptions(options, 'tenantBudgets.set');
    await this.requireWorker(`the budget of tenant '${id}' was not set`);
    const state = await this.dependencies.client().workflow.executeUpdateWithStart(configureTenantBudgetUpdate, {
      args: [configuration],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof tenantBudgetWorkflow>(TENANT_BUDGET_WORKFLOW_TYPE, {
        workflowId: tenantBudgetWorkflowId(id),
        taskQueue: this.dependencies.location().taskQueue,
        args: [{ tenantId: id, ...configuration }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    return summarizeTenantBudget(state, Date.now());
  }

  /**
   * The tenant's budget now: its limit and window, what was spent in the current window (and of
   * it, estimated for calls whose worker was lost), what calls in flight hold, and what is left.
   * Undefined when the tenant has no budget.
   */
  async get(tenantId: string): Promise<TenantBudget | undefined> {
    const id = requireTenantId(tenantId, 'tenantBudgets.get');
    const handle = this.dependencies.client().workflow.getHandle(tenantBudgetWorkflowId(id));
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return undefined;
      await this.requireWorker(`the budget of tenant '${id}' cannot be read`);
      return summarizeTenantBudget(await handle.query(tenantBudgetStateQuery), Date.now());
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Removes the tenant's budget: its workflow completes and the tenant's calls are no longer
   * limited (workers notice at their next call). True when there was one.
   */
  async remove(tenantId: string): Promise<boolean> {
    const id = requireTenantId(tenantId, 'tenantBudgets.remove');
    const handle = this.dependencies.client().workflow.getHandle(tenantBudgetWorkflowId(id));
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return false;
      await this.requireWorker(`the budget of tenant '${id}' was not removed`);
      await handle.executeUpdate(removeTenantBudgetUpdate);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** Waits up to the no-worker timeout for a worker to poll (one that has just started may not have yet). */
  private async requireWorker(action: string): Promise<void> {
    const { namespace, taskQueue, noWorkerTimeoutMs } = this.dependencies.location();
    const deadline = Date.now() + noWorkerTimeoutMs;
    while (!(await this.dependencies.workersPolling())) {
      if (Date.now() >= deadline) throw new NoWorkerError({ namespace, taskQueue, action });
      await new Promise((resolve) => setTimeout(resolve, WORKER_POLL_INTERVAL_MS));
    }
  }
}

/** Between two looks for a polling worker. */
const WORKER_POLL_INTERVAL_MS = 200;

function requireTenantId(tenantId: unknown, where: string): string {
  const id = validateOwnerId(tenantId, 'tenantId');
  if (id === undefined) throw new ZapValidationError({ message: `${where} needs a tenantId.` });
  return id;
}
