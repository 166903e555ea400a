/**
 * Every `patched()` id of the agent workflow, in one place. A task can live for days, so each
 * worker deploy replays histories written by older code: any change to the commands a workflow
 * issues (activities, timers, children, local activities, their order) must branch on a patch,
 *
 *   if (task.patches.has(Patch.SomeChange)) { new commands } else { old commands }
 *
 * (`RunPatches.has`, which asks `patched()` unless the run's run patch covers the change)
 * and the replay gate (`npm run test:replay`) proves it. Rules:
 * - ids are `zap-<change>` in kebab case, never reused, never renamed;
 * - each entry says the release that added it;
 * - a release that adds patches adds a run patch in front of `RUN_PATCHES` covering them and
 *   every patch before (a released run patch's list never changes);
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
  /** 0.2.0: the built-in `wait_for_event` tool waits for a named event (a durable timer and a condition). */
  NamedEvents: 'zap-named-events',
  /**
   * 0.2.0: a task whose namespace has the zap-agents search attributes keeps `ZapStatus` up to
   * date (at most one upsert per activation) and starts its sub-tasks with search attributes.
   */
  SearchAttributes: 'zap-search-attributes',
  /**
   * 0.2.0: a task with an output schema checks each final answer; an invalid one gets repair turns
   * (more model calls) and then fails the task. Only tasks with an output schema reach it.
   */
  StructuredOutput: 'zap-structured-output',
  /**
   * 0.2.0: a task with stuck settings acts on a detected repetition (fails, nudges the model, or
   * waits for a human on a durable timer). Only tasks started with stuck settings reach it.
   */
  StuckDetection: 'zap-stuck-detection',
  /** 0.2.0: the agent's lifecycle hooks run as `runHook` activities. Only agents with hooks reach it. */
  LifecycleHooks: 'zap-lifecycle-hooks',
  /**
   * 0.2.0: an approval whose rules say `onTimeout: 'approve' | 'fail' | 'escalate'` acts on its
   * timeout (runs the call, fails the task, or escalates and waits on a second timer). Only tasks
   * started with such rules reach it; the default (`reject`) issues the same commands as 0.1.0.
   */
  ApprovalTimeoutPolicies: 'zap-approval-timeout-policies',
  /**
   * 0.2.0: a task with a budget makes its model calls one attempt per activity and retries them
   * itself (each attempt is charged: reported usage, or the worst case of a lost attempt), and
   * waits for a human on a budget request under `onExceeded: 'ask'`. Only budgeted tasks reach it.
   */
  Budgets: 'zap-budgets',
  /**
   * 0.2.0: an answered task whose agent has a nudge waits on a durable timer for the nudge's
   * quiet period before its idle wait, and then receives the nudge as a follow-up. Only tasks of
   * agents with a nudge reach it.
   */
  Nudges: 'zap-nudges',
  /**
   * 0.3.0: a task with search attributes publishes `ZapStatus` changes between `thinking` and
   * `awaiting_tool` at most once per `DEFAULT_STATUS_ATTRIBUTE_INTERVAL_MS` of workflow time (other
   * changes at once). Asked first, when the run starts; a run that takes it never asks for
   * `zap-search-attributes` (whose behaviour it includes), so a run still records one marker.
   */
  CoarseStatusAttribute: 'zap-coarse-status-attribute',
  /**
   * 0.3.0: a call of a tool that the model activity's result marks `localActivity` (an idempotent
   * local tool declared with `localActivity: true`) runs as a local activity (a marker instead of
   * `ScheduleActivityTask`). Asked only for such calls; results of 0.1.0 and 0.2.0 workers never
   * carry the hint, so their histories never reach it.
   */
  LocalToolActivities: 'zap-local-tool-activities',
  /**
   * 0.3.0: a call of a tool that is not idempotent is a `callToolAtMostOnce` activity (two
   * attempts, the second of which only reports the outcome unknown) instead of a single-attempt
   * `callTool`. Asked as each such call starts; 0.1.0 and 0.2.0 histories replay `callTool`.
   */
  AtMostOnceToolActivity: 'zap-at-most-once-tool-activity',
  /**
   * 0.3.0: a budgeted task's model call is an `invokeModelWithinBudget` activity (two attempts,
   * the second of which calls nothing but reports the outcome unknown with the first's worst case)
   * instead of a single-attempt `invokeModel`. Asked as each attempt starts; only budgeted tasks
   * reach it, and 0.1.0 and 0.2.0 histories replay `invokeModel`.
   */
  BudgetedModelProbe: 'zap-budgeted-model-probe',
} as const satisfies Record<string, `zap-${string}`>;

/** A patch id of the agent workflow. */
export type PatchId = (typeof Patch)[keyof typeof Patch];

/**
 * Run patches, newest first. Each run asks for them as it starts (see `RunPatches`): a new run
 * records the newest and takes every change it covers without asking for their patches, so it
 * records one marker instead of one per change it reaches; a run started by an older worker
 * replays without them and asks for each change as before.
 */
export const RUN_PATCHES: readonly { readonly id: `zap-${string}`; readonly covers: readonly PatchId[] }[] = [
  {
    /** 0.3.0: every change of 0.2.0 and 0.3.0. */
    id: 'zap-run-0-3-0',
    covers: [
      Patch.CancelDuringModelCall,
      Patch.ContinueAsNewLimits,
      Patch.IterationsPerRequest,
      Patch.FailOnTemporalFailure,
      Patch.SubTaskLiveness,
      Patch.NamedEvents,
      Patch.SearchAttributes,
      Patch.StructuredOutput,
      Patch.StuckDetection,
      Patch.LifecycleHooks,
      Patch.ApprovalTimeoutPolicies,
      Patch.Budgets,
      Patch.Nudges,
      Patch.CoarseStatusAttribute,
      Patch.LocalToolActivities,
      Patch.AtMostOnceToolActivity,
      Patch.BudgetedModelProbe,
    ],
  },
];
