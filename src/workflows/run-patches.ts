import { patched } from '@temporalio/workflow';
import { RUN_PATCHES, type PatchId } from './patches';

/**
 * The changes one run takes: `has(Patch.X)` wherever workflow code branches on one.
 *
 * Created as the run starts, before any command. It asks for the run patches, newest first
 * (`RUN_PATCHES`): a new run records the newest (one marker and one `TemporalChangeVersion`
 * upsert, a visibility write), and then takes every change it covers without asking for their
 * patches. A run started by an older worker replays each run patch it does not have as absent
 * (no command), and asks for every change it has none of as it reaches it, exactly as that worker
 * did. So a new run records one marker in all instead of one per change it reaches (a budgeted
 * task calling a tool that is not idempotent reached five: the status attribute, iterations per
 * request, at-most-once tools, budgets, the budgeted model call), each with its own upsert.
 */
export class RunPatches {
  private readonly covered: ReadonlySet<PatchId>;

  constructor() {
    const taken = RUN_PATCHES.find((runPatch) => patched(runPatch.id));
    this.covered = new Set(taken?.covers ?? []);
  }

  /** True when this run takes change `id`: covered by its run patch, or (asked now) patched. */
  has(id: PatchId): boolean {
    return this.covered.has(id) || patched(id);
  }
}
