import type { Client } from '@temporalio/client';
import { decodeVersioningBehavior, type VersioningBehavior, type WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const POLL_INTERVAL_MS = 100;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Polls `probe` until it returns a value other than `undefined`; fails with its last problem after `timeoutMs`. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastProblem = undefined;
    } catch (error) {
      lastProblem = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms${lastProblem ? `; last error: ${String(lastProblem)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** The deployment as the server describes it (NOT_FOUND until a worker of it has polled). */
export async function describeDeployment(client: Client, deploymentName: string) {
  return client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName });
}

/**
 * Waits until the server has seen the version poll both the workflow and the activity side of
 * `taskQueue`. A version is registered when its first poller arrives and each task queue type
 * joins it as its pollers do; until both have, making it current is refused
 * (FAILED_PRECONDITION: "missing active task queues from the current version").
 */
export async function waitForVersionPolling(client: Client, version: WorkerDeploymentVersion, taskQueue: string): Promise<void> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  await pollUntil(`${version.deploymentName}:${version.buildId} polling ${taskQueue}`, async () => {
    const described = await client.workflowService.describeWorkerDeploymentVersion({
      namespace: client.options.namespace,
      deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
    });
    const types = (described.workerDeploymentVersionInfo?.taskQueueInfos ?? [])
      .filter((info) => info.name === taskQueue)
      .map((info) => info.type);
    return types.includes(TASK_QUEUE_TYPE_WORKFLOW) && types.includes(TASK_QUEUE_TYPE_ACTIVITY) ? true : undefined;
  });
}

/**
 * Makes the version current (new tasks, and auto-upgrade tasks at their next step, go to it) once
 * it polls `taskQueue`, and waits until the routing change has reached the task queues.
 */
export async function makeVersionCurrent(client: Client, version: WorkerDeploymentVersion, taskQueue: string): Promise<void> {
  await waitForVersionPolling(client, version, taskQueue);
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    identity: 'worker-versioning-test',
  });
  await pollUntil(`${version.deploymentName}:${version.buildId} becoming current`, async () => {
    const info = (await describeDeployment(client, version.deploymentName)).workerDeploymentInfo;
    const current = info?.routingConfig?.currentDeploymentVersion?.buildId;
    const propagating =
      info?.routingConfigUpdateState === temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS;
    return current === version.buildId && !propagating ? true : undefined;
  });
}

/** What the server records about a workflow's versioning (from `describe().raw`). */
export interface WorkflowVersioning {
  /** Behaviour the last completed workflow task reported. */
  behavior: VersioningBehavior | undefined;
  /** Build that completed the last workflow task. */
  buildId: string | undefined;
  deploymentName: string | undefined;
}

export async function describeVersioning(client: Client, workflowId: string): Promise<WorkflowVersioning> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: decodeVersioningBehavior(info?.behavior),
    buildId: info?.deploymentVersion?.buildId ?? undefined,
    deploymentName: info?.deploymentVersion?.deploymentName ?? undefined,
  };
}

/** Number of open workflows whose effective version is `version` (what an old pinned build must still serve). */
export async function countOpenWorkflowsOn(client: Client, version: WorkerDeploymentVersion): Promise<number> {
  const query =
    `TemporalWorkerDeploymentVersion = '${version.deploymentName}:${version.buildId}' AND ExecutionStatus = 'Running' AND WorkflowType = 'agentWorkflow'`;
  return (await client.workflow.count(query)).count;
}
