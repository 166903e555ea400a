/**
 * Every `patched()` id of the agent workflow, in one place. A task can live for days, so each
 * worker deploy replays histories written by older code: any change to the commands a workflow
 * issues (activities, timers, children, local activities, their order) must branch on a patch,
 *
 *   if (patched(Patch.SomeChange)) { new commands } else { old commands }
 *
 * and the replay gate (`npm run test:replay`) proves it. Rules:
 * - ids are `zap-<change>` in kebab case, never reused, never renamed;
 * - each entry says the release that added it;
 * - a patch becomes `deprecatePatch(id)` (keeping only the new branch) once no supported release
 *   older than its own can have tasks open, i.e. when the history sets of those releases are
 *   dropped from `test/replay/histories/`; the id is removed a release after that.
 *
 * Sandbox-safe: constants only.
 */
export const Patch = {
  /** 0.2.0: a cancellation during a model call cancels the task (0.1.0 failed it). */
  CancelDuringModelCall: 'zap-cancel-during-model-call',
  /**
   * 0.2.0: continue-as-new measures the whole next input, is tried again each time it is due, and
   * a task that can neither continue nor grow fails explicitly before Temporal's hard limits.
   */
  ContinueAsNewLimits: 'zap-continue-as-new-limits',
  /** 0.2.0: each request starts counting iterations at 0, also when it arrived mid-answer. */
  IterationsPerRequest: 'zap-iterations-per-request',
  /** 0.2.0: any Temporal failure that ends a task fails it explicitly (event, parent told). */
  FailOnTemporalFailure: 'zap-fail-on-temporal-failure',
  /** 0.2.0: a sub-agent wait has a timeout and checks the child's liveness (a local activity). */
  SubTaskLiveness: 'zap-sub-task-liveness',
} as const satisfies Record<string, `zap-${string}`>;

/** A patch id of the agent workflow. */
export type PatchId = (typeof Patch)[keyof typeof Patch];
