import { CancellationScope, condition, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS } from '../core/defaults';
import { ZAP_STATUS_ATTRIBUTE } from '../core/search-attributes';
import { TaskStatus } from '../core/task-status';
import { Patch } from './patches';
import type { RunPatches } from './run-patches';

/** The statuses a working task alternates between at every step (model call, tool calls). */
const WORKING_STATUSES: ReadonlySet<string> = new Set([TaskStatus.Thinking, TaskStatus.AwaitingTool]);

/**
 * Keeps the task's `ZapStatus` search attribute equal to its status, so `zap.listTasks` filters
 * by status from visibility alone. Status changes are coalesced: the attribute is compared once
 * the activation has settled (a blocked condition is evaluated after every job and microtask of
 * the activation), and upserted at most once per activation, only when the value changed. A
 * change made after this activation's upsert is published in the next activation.
 *
 * A run that took `Patch.CoarseStatusAttribute` also publishes a change from `thinking` to
 * `awaiting_tool` or back (the flip of every step) at most once per
 * `DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS` of workflow time, in the first activation after that
 * interval: one upsert (a visibility write) per step would otherwise be the largest part of the
 * server's work per step. Every other change (`awaiting_approval`, `awaiting_event`, `completed`,
 * `failed`, `cancelled`, and `pending` to anything) is published at once, so listing by them stays
 * exact.
 *
 * Only tasks started with `searchAttributes: true` (the client checked that the namespace has the
 * attributes) do this, behind `Patch.CoarseStatusAttribute` (new runs) or
 * `Patch.SearchAttributes` (runs started by 0.2.0); older tasks never issue an upsert.
 */
export class StatusSearchAttribute {
  /** True when this run upserts `ZapStatus` (and starts sub-tasks with search attributes). */
  readonly enabled: boolean;
  /** True when flips between working statuses wait for the interval (`Patch.CoarseStatusAttribute`). */
  private readonly coarse: boolean;
  private published: string | undefined;
  /** Workflow time (ms) of the latest upsert. */
  private publishedAt = 0;
  /** The activation of the latest upsert. */
  private upsertedIn: string | undefined;

  constructor(
    patches: RunPatches,
    requested: boolean,
    private readonly status: () => TaskStatus,
  ) {
    // Asked once, when the run starts, in this order: a new run has both from its run patch (no
    // marker of its own), a run started by 0.2.0 replays `false` for the first and `true` for the
    // second. A task without the flag never asks.
    this.coarse = requested && patches.has(Patch.CoarseStatusAttribute);
    this.enabled = this.coarse || (requested && patches.has(Patch.SearchAttributes));
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
      // The condition may have seen a deferred flip just before the step moved the status back to
      // the published value (the tool result is applied before the loop runs on): nothing to say.
      if (this.coarse && this.status() === this.published) continue;
      this.upsert();
    }
  }

  private isDue(): boolean {
    const status = this.status();
    if (status === this.published) return false;
    if (this.coarse && this.isFlip(status) && Date.now() - this.publishedAt < DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS) return false;
    return currentActivation() !== this.upsertedIn;
  }

  /** True when `status` and the published one are both working statuses. */
  private isFlip(status: string): boolean {
    return WORKING_STATUSES.has(status) && this.published !== undefined && WORKING_STATUSES.has(this.published);
  }

  private upsert(): void {
    const status = this.status();
    upsertSearchAttributes([{ key: ZAP_STATUS_ATTRIBUTE, value: status }]);
    this.published = status;
    this.publishedAt = Date.now();
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
