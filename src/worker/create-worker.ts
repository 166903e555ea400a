import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { CompiledZapOptions } from '../client/zap-options';
import { ZapConfigurationError, ZapConnectionError } from '../core/errors';
import { compileWorkerDeploymentOptions, type ZapWorkerDeploymentOptions } from './worker-deployment';
import { publishToolCatalog } from './publish-tool-catalog';
import { openWorkerResources, withPayloadCodec } from './worker-resources';
import { withDefaultMaxCachedWorkflows } from './sticky-cache';
import { EventLoopDelayMonitor } from './event-loop-delay-monitor';
import { shortestHeartbeatTimeoutMs, withDefaultHeartbeatThrottle } from './heartbeat-options';
import { withZapWorkflowCode } from './workflow-code';

/** Grace period for in-flight activities when the worker shuts down. */
export const DEFAULT_SHUTDOWN_GRACE_TIME = '30 seconds';

/** Options of `zap.createWorker()`. */
export interface ZapWorkerOptions {
  /**
   * Extra `@temporalio/worker` options (concurrency, cache size, tuner, interceptors, …).
   * `connection`, `taskQueue`, `namespace` and `activities` are set by zap-agents.
   * `maxCachedWorkflows` defaults to `DEFAULT_MAX_CACHED_WORKFLOWS` (500 runs; the SDK's
   * heap-derived default if that is smaller) instead of the SDK's default, and
   * `maxHeartbeatThrottleInterval` to half the agents' shortest heartbeat timeout (at most
   * `DEFAULT_HEARTBEAT_THROTTLE_INTERVAL`, 2 s) instead of the SDK's 60 s (see `ZapAgent` `timeouts`).
   * Workflow code: from the published package (`dist`) workers load the bundle built once at
   * `npm run build` and start without webpack; from TypeScript sources they bundle at start. Pass
   * `workflowBundle` (a bundle of your own) or `workflowsPath` to choose.
   * @default {}
   */
  worker?: Omit<WorkerOptions, 'connection' | 'taskQueue' | 'namespace' | 'activities'>;
  /**
   * Runs the worker as one build of a Temporal Worker Deployment (Worker Versioning): it then
   * receives only the tasks routed to `name` + `buildId`, and agent tasks move between builds as
   * `versioningBehavior` says (`'auto-upgrade'` unless set). Sets the worker's
   * `workerDeploymentOptions`; give one or the other, not both. The `zap-worker` process reads
   * it from `ZAP_DEPLOYMENT_NAME`, `ZAP_BUILD_ID` and `ZAP_VERSIONING_BEHAVIOR`.
   * @default undefined (an unversioned worker)
   */
  deployment?: ZapWorkerDeploymentOptions;
}

/** What {@link createZapWorker} needs from the `Zap`. */
export interface CreateZapWorkerInput {
  options: CompiledZapOptions<any>;
  client: Client;
  workerOptions: ZapWorkerOptions;
}


/**
 * Builds a worker for the Zap's task queue. MCP servers are connected and every agent's tools
 * discovered before the worker exists, so a server that does not start or two tools with the
 * same name fail here, not in the middle of a task.
 */
export async function createZapWorker(
  input: CreateZapWorkerInput,
): Promise<{ worker: Worker; connection: NativeConnection; close(): Promise<void> }> {
  const { options, client, workerOptions } = input;
  const extra = workerOptions.worker ?? {};
  const deploymentOptions = compileDeployment(workerOptions.deployment, extra);
  const resources = await openWorkerResources(options, client);
  let connection: NativeConnection | undefined;
  try {
    const { address, tls, apiKey } = options.temporal;
    try {
      connection = await NativeConnection.connect({ address, tls, apiKey });
    } catch (error) {
      throw new ZapConnectionError({
        message: `Worker could not connect to Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    const { payloadCodec } = options;
    const dataConverter = withPayloadCodec(extra.dataConverter, payloadCodec);
    const worker = await Worker.create({
      shutdownGraceTime: DEFAULT_SHUTDOWN_GRACE_TIME,
      ...withDefaultHeartbeatThrottle(withDefaultMaxCachedWorkflows(withZapWorkflowCode(extra)), options.agents.values()),
      connection,
      namespace: options.temporal.namespace,
      taskQueue: options.taskQueue,
      activities: resources.activities,
      ...(deploymentOptions ? { workerDeploymentOptions: deploymentOptions } : {}),
      ...(payloadCodec ? { dataConverter } : {}),
    });
    await publishToolCatalog({
      client,
      taskQueue: options.taskQueue,
      agentNames: options.agents.keys(),
      toolbox: resources.toolbox,
      ...(deploymentOptions ? { build: `${deploymentOptions.version.deploymentName}:${deploymentOptions.version.buildId}` } : {}),
      logger: options.logger,
    });
    const openConnection = connection;
    const eventLoopMonitor = new EventLoopDelayMonitor({ heartbeatTimeoutMs: shortestHeartbeatTimeoutMs(options.agents.values()), logger: options.logger });
    let closed = false;
    return {
      worker,
      connection: openConnection,
      async close() {
        if (closed) return;
        closed = true;
        eventLoopMonitor.stop();
        if (worker.getState() === 'RUNNING') {
          worker.shutdown();
        }
        await waitForWorkerStop(worker);
        await resources.close();
        await closeWhenReleased(openConnection);
      },
    };
  } catch (error) {
    await resources.close();
    await connection?.close();
    throw error;
  }
}

/** Validates `deployment` before anything is connected, and refuses a second way of versioning. */
function compileDeployment(
  deployment: ZapWorkerDeploymentOptions | undefined,
  extra: NonNullable<ZapWorkerOptions['worker']>,
): WorkerOptions['workerDeploymentOptions'] {
  if (deployment === undefined) return undefined;
  if (extra.workerDeploymentOptions) {
    throw new ZapConfigurationError({
      message: 'Give the worker deployment either as `deployment` or as worker `workerDeploymentOptions`, not both.',
    });
  }
  if (extra.useVersioning || extra.buildId !== undefined) {
    throw new ZapConfigurationError({
      message: '`deployment` (Worker Versioning with deployments) cannot be combined with the deprecated worker `buildId` / `useVersioning`.',
    });
  }
  return compileWorkerDeploymentOptions(deployment);
}

async function waitForWorkerStop(worker: Worker): Promise<void> {
  const initial = worker.getState();
  if (initial === 'INITIALIZED' || initial === 'STOPPED' || initial === 'FAILED') return;
  for (;;) {
    const state = worker.getState();
    if (state === 'STOPPED' || state === 'FAILED') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Longest wait for a stopped worker to let go of its connection. */
const CONNECTION_RELEASE_TIMEOUT_MS = 30_000;

/**
 * Closes the worker's connection. The worker reports STOPPED slightly before it drops its
 * reference to the connection, and closing earlier throws, so this retries until it is released.
 */
async function closeWhenReleased(connection: NativeConnection): Promise<void> {
  const deadline = Date.now() + CONNECTION_RELEASE_TIMEOUT_MS;
  for (;;) {
    try {
      await connection.close();
      return;
    } catch (error) {
      const stillReferenced = error instanceof Error && /Workers hold a reference/.test(error.message);
      if (!stillReferenced || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
