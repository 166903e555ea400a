import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { ZapConfigurationError } from '../core/errors';

/**
 * When a task may move from one build of your workers to another (Temporal Worker Versioning).
 *
 * - `'auto-upgrade'`: the task's next workflow task (a follow-up, an approval decision, a model
 *   or tool result) runs on the deployment's current version. Old builds can stop as soon as the
 *   new one is current. Every change of workflow command order must then be guarded with
 *   `patched()`, which the replay tests check against recorded histories.
 * - `'pinned'`: the task stays on the build it started on until it closes; see
 *   {@link ZapWorkerDeploymentOptions.versioningBehavior} for how such a build drains.
 */
export type ZapVersioningBehavior = 'auto-upgrade' | 'pinned';

/** The versioning behaviour of agent tasks unless a worker says otherwise. */
export const DEFAULT_VERSIONING_BEHAVIOR: ZapVersioningBehavior = 'auto-upgrade';

/** The values {@link ZapVersioningBehavior} accepts, in the order error messages list them. */
export const VERSIONING_BEHAVIORS: readonly ZapVersioningBehavior[] = ['auto-upgrade', 'pinned'];

/**
 * A worker's place in a Temporal Worker Deployment (`zap.createWorker({ deployment })`). With it
 * the worker polls only for tasks routed to its deployment version, `<name>` + `<buildId>`, and
 * new tasks go to whichever version you made current
 * (`temporal worker deployment set-current-version --deployment-name <name> --build-id <buildId>`).
 *
 * @example
 * ```ts
 * const worker = await zap.createWorker({
 *   deployment: { name: 'support-agents', buildId: process.env.GIT_SHA! },
 * });
 * await worker.run();
 * ```
 */
export interface ZapWorkerDeploymentOptions {
  /**
   * Name of the worker deployment; the same for every build of these workers. Non-empty, without
   * '.' or ':' and not starting with '__' (Temporal's rules).
   */
  name: string;
  /** Identifies this build (a git sha, an image tag); unique within the deployment. Non-empty, not starting with '__'. */
  buildId: string;
  /**
   * How the agent tasks this worker runs move between builds. Set on the worker as its
   * `defaultVersioningBehavior`; the agent workflow declares none of its own.
   *
   * Agent tasks live for days (an answered task waits up to 24 hours for a follow-up, an approval
   * may wait for days), so the default is `'auto-upgrade'`: once a new build is current, open tasks
   * continue on it at their next step and the old build can be stopped right away.
   *
   * With `'pinned'` a task runs on the build it started on until it closes. Making a new build
   * current only routes new tasks to it: the old build must keep polling until its pinned tasks
   * have closed (answered tasks close after their idle timeout; a task awaiting approval waits for
   * the decision or the approval timeout). Stopping it earlier fails nothing but stalls those
   * tasks: follow-ups and decisions wait, and `zap.getTask` (a query) fails, until a worker of
   * their build polls again. List what is left with the visibility query
   * `TemporalWorkerDeploymentVersion = '<name>:<buildId>' AND ExecutionStatus = 'Running'`, or
   * wait for the version's drainage status to become DRAINED
   * (`temporal worker deployment describe-version`; the server refreshes it every few minutes).
   * A pinned run could move to the current build only at continue-as-new, if the workflow
   * continued with `makeContinueAsNewFunc({ initialVersioningBehavior: 'AUTO_UPGRADE' })`
   * (experimental in `@temporalio/workflow` 1.24; plain `continueAsNew()` takes no options, and
   * `workflowInfo().targetWorkerDeploymentVersionChanged` tells a run that its target changed).
   * The agent workflow uses plain `continueAsNew()`, so a pinned task keeps its build across
   * continue-as-new.
   *
   * @default 'auto-upgrade'
   */
  versioningBehavior?: ZapVersioningBehavior;
}

/** How error messages name each field: the option path, or the environment variable it came from. */
export interface DeploymentFieldLabels {
  name: string;
  buildId: string;
  versioningBehavior: string;
}

/** Labels of `zap.createWorker({ deployment })`. */
export const DEPLOYMENT_OPTION_LABELS: DeploymentFieldLabels = {
  name: 'Worker `deployment.name`',
  buildId: 'Worker `deployment.buildId`',
  versioningBehavior: 'Worker `deployment.versioningBehavior`',
};

/** Names Temporal keeps for itself start with this. */
const RESERVED_PREFIX = '__';

/**
 * Validates {@link ZapWorkerDeploymentOptions} and turns them into the `workerDeploymentOptions`
 * of `@temporalio/worker`. Invalid options are a `ZapConfigurationError` naming the field by its
 * label.
 */
export function compileWorkerDeploymentOptions(
  options: ZapWorkerDeploymentOptions,
  labels: DeploymentFieldLabels = DEPLOYMENT_OPTION_LABELS,
): WorkerDeploymentOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ZapConfigurationError({
      message: `Worker \`deployment\` must be an object with \`name\` and \`buildId\`, not ${describeValue(options)}.`,
    });
  }
  const deploymentName = requireName(options.name, labels.name);
  const buildId = requireName(options.buildId, labels.buildId);
  // Temporal refuses these; a worker given one polls without ever registering its version and
  // without an error, so every task routed to it would wait forever. Refuse them here instead.
  const delimiter = ['.', ':'].find((character) => deploymentName.includes(character));
  if (delimiter) {
    throw new ZapConfigurationError({
      message: `${labels.name} must not contain '${delimiter}' (Temporal separates deployment name and build id with it): ${JSON.stringify(deploymentName)}.`,
    });
  }
  for (const [label, value] of [
    [labels.name, deploymentName],
    [labels.buildId, buildId],
  ] as const) {
    if (value.startsWith(RESERVED_PREFIX)) {
      throw new ZapConfigurationError({
        message: `${label} must not start with '${RESERVED_PREFIX}' (reserved by Temporal): ${JSON.stringify(value)}.`,
      });
    }
  }
  const behavior = options.versioningBehavior ?? DEFAULT_VERSIONING_BEHAVIOR;
  if (!VERSIONING_BEHAVIORS.includes(behavior)) {
    throw new ZapConfigurationError({
      message: `${labels.versioningBehavior} must be ${listBehaviors()}, not ${describeValue(behavior)}.`,
    });
  }
  return {
    useWorkerVersioning: true,
    version: { deploymentName, buildId },
    defaultVersioningBehavior: behavior === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE',
  };
}

/** `'auto-upgrade' or 'pinned'`, for error messages. */
export function listBehaviors(): string {
  return VERSIONING_BEHAVIORS.map((behavior) => `'${behavior}'`).join(' or ');
}

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ZapConfigurationError({ message: `${what} must be a non-empty string, not ${describeValue(value)}.` });
  }
  if (value.trim() !== value) {
    throw new ZapConfigurationError({ message: `${what} must not start or end with whitespace: ${JSON.stringify(value)}.` });
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
