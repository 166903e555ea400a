import { ActivityFailure, CancellationScope, log, proxyActivities } from '@temporalio/workflow';
import type { RunHookInput, ZapActivities } from '../core/activity-contracts';
import type { LifecycleHookName } from '../core/agent-settings';
import { DEFAULT_HOOK_RETRY_POLICY, DEFAULT_HOOK_TIMEOUT_MS } from '../core/defaults';
import type { TaskEvent } from '../core/events';
import type { TaskStatusSnapshot } from '../core/task-snapshot';
import type { AgentWorkflowInput } from '../core/task-state';
import { describeFailure } from './describe-failure';
import { Patch } from './patches';
import type { RunPatches } from './run-patches';

/** What the hooks need from their task. */
export interface LifecycleHookHost {
  /** A task's input, or what a pipeline run gives in its place (its run id, `pipeline:<name>`, its hooks). */
  readonly input: Pick<AgentWorkflowInput, 'taskId' | 'createdAt'> & {
    agent: Pick<AgentWorkflowInput['agent'], 'agentName' | 'hooks' | 'heartbeatTimeoutMs' | 'hookRetry'>;
  };
  statusSnapshot(): TaskStatusSnapshot;
  /** The changes the run takes. */
  readonly patches: RunPatches;
}

/**
 * The lifecycle hooks of one task run. The workflow knows only which hooks the agent has (their
 * names, in the agent settings); each one runs on a worker as a `runHook` activity with the task's
 * status snapshot: durable, retried with a bounded policy (`retry.hook`), at least once.
 *
 * A hook never blocks the task: its activity starts when the event happens and the task goes on.
 * It is started outside cancellation (a cancelled task still reports what happened before), and
 * the run waits for every started hook before it ends (answered and idle, failed, cancelled) or
 * continues as new, so no hook is lost with its run. A hook that fails past its retries is
 * logged and the task goes on.
 *
 * Scheduling hooks is a change of the commands a workflow issues, behind
 * `Patch.LifecycleHooks`; tasks whose agent has no hooks (all tasks of 0.1.0) never get
 * there.
 */
export class LifecycleHooks {
  private readonly names: ReadonlySet<LifecycleHookName>;
  private readonly running = new Set<Promise<void>>();
  private activities: ZapActivities | undefined;

  constructor(private readonly host: LifecycleHookHost) {
    this.names = new Set(host.input.agent.hooks ?? []);
  }

  /** The task started (its first run; a continued or retried run is the same task). */
  onTaskStarted(): void {
    const { input } = this.host;
    this.run('onStart', { deliveryId: `${input.taskId}/onStart/0`, occurredAt: input.createdAt });
  }

  /** A durable event was recorded: runs the hook that listens to its type, if the agent has one. */
  onEvent(event: TaskEvent): void {
    const listener = hookOfEvent(event);
    if (!listener) return;
    const deliveryId = `${this.host.input.taskId}/${listener.hook}/${event.seq}`;
    this.run(listener.hook, { deliveryId, occurredAt: event.timestamp, ...listener.fields });
  }

  /** Waits until every hook started in this run has finished (or given up). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private run(hook: LifecycleHookName, fields: Omit<RunHookInput, 'hook' | 'taskId' | 'agentName' | 'snapshot'>): void {
    if (!this.names.has(hook) || !this.host.patches.has(Patch.LifecycleHooks)) return;
    const { input } = this.host;
    const hookInput: RunHookInput = {
      hook,
      taskId: input.taskId,
      agentName: input.agent.agentName,
      snapshot: this.host.statusSnapshot(),
      ...fields,
    };
    const activities = (this.activities ??= proxyActivities<ZapActivities>({
      startToCloseTimeout: DEFAULT_HOOK_TIMEOUT_MS,
      // A worker that dies mid-hook is noticed after the agent's heartbeat timeout, not the start-to-close one.
      heartbeatTimeout: input.agent.heartbeatTimeoutMs,
      retry: input.agent.hookRetry ?? DEFAULT_HOOK_RETRY_POLICY,
    }));
    const running: Promise<void> = CancellationScope.nonCancellable(() => activities.runHook(hookInput))
      .catch((error: unknown) => {
        log.warn('A lifecycle hook failed after its retries; the task goes on', {
          hook,
          taskId: input.taskId,
          deliveryId: hookInput.deliveryId,
          error: error instanceof ActivityFailure ? describeFailure(error) : String(error),
        });
      })
      .finally(() => this.running.delete(running));
    this.running.add(running);
  }
}

/** The hook that listens to an event's type, and what it gets of the event. */
function hookOfEvent(
  event: TaskEvent,
): { hook: LifecycleHookName; fields: Pick<RunHookInput, 'approval' | 'result' | 'error' | 'stuck'> } | undefined {
  switch (event.type) {
    case 'approval_requested':
      return { hook: 'onApprovalRequested', fields: { approval: event.approval } };
    case 'approval_escalated':
      return { hook: 'onApprovalEscalated', fields: { approval: event.approval } };
    case 'stuck': {
      const { reason, toolName, repeats, policy, action, iteration } = event;
      return { hook: 'onStuck', fields: { stuck: { reason, ...(toolName !== undefined ? { toolName } : {}), repeats, policy, action, iteration } } };
    }
    case 'completed':
      return { hook: 'onComplete', fields: { result: event.result } };
    case 'error':
      return { hook: 'onFailed', fields: { error: event.error } };
    default:
      return undefined;
  }
}
