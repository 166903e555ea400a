import { CancellationScope, condition, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ZAP_STATUS_ATTRIBUTE } from '../core/search-attributes';
import type { TaskStatus } from '../core/task-status';
import { Patch } from './patches';

/**
 * Keeps the task's `ZapStatus` search attribute equal to its status, so `zap.listTasks` filters
 * by status from visibility alone. Status changes are coalesced: the attribute is compared once
 * the activation has settled (a blocked condition is evaluated after every job and microtask of
 * the activation), and upserted at most once per activation, only when the value changed. A
 * change made after this activation's upsert is published in the next activation.
 *
 * Only tasks started with `searchAttributes: true` (the client checked that the namespace has the
 * attributes) do this, behind `patched(Patch.SearchAttributes)`; older tasks never issue an upsert.
 */
export class StatusSearchAttribute {
  /** True when this run upserts `ZapStatus` (and starts sub-tasks with search attributes). */
  readonly enabled: boolean;
  private published: string | undefined;
  /** The activation of the latest upsert. */
  private upsertedIn: string | undefined;

  constructor(
    requested: boolean,
    private readonly status: () => TaskStatus,
  ) {
    // Asked once, when the run starts; a task without the flag never asks (no marker).
    this.enabled = requested && patched(Patch.SearchAttributes);
    if (!this.enabled) return;
    // The run starts with the attributes of its start (continue-as-new inherits the last ones).
    this.published = workflowInfo().typedSearchAttributes.get(ZAP_STATUS_ATTRIBUTE);
    // Not cancellable: a cancelled task must still publish `cancelled`.
    void CancellationScope.nonCancellable(() => this.publishChanges()).catch(() => undefined);
  }

  /**
   * Publishes the status now, unless it is published already or this activation has upserted:
   * called just before the workflow closes (listing maps the Temporal close status anyway).
   */
  publishNow(): void {
    if (this.enabled && this.isDue()) this.upsert();
  }

  private async publishChanges(): Promise<void> {
    for (;;) {
      await condition(() => this.isDue());
      this.upsert();
    }
  }

  private isDue(): boolean {
    return this.status() !== this.published && currentActivation() !== this.upsertedIn;
  }

  private upsert(): void {
    const status = this.status();
    upsertSearchAttributes([{ key: ZAP_STATUS_ATTRIBUTE, value: status }]);
    this.published = status;
    this.upsertedIn = currentActivation();
  }
}

/**
 * Identifies the current activation: the history length it was given and its time (both the
 * same on replay). Two activations of one workflow task may share it; the later one then leaves
 * its change to the next activation.
 */
function currentActivation(): string {
  return `${workflowInfo().historyLength}@${Date.now()}`;
}
