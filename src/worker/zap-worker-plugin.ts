import type { Client } from '@temporalio/client';
import { SimplePlugin } from '@temporalio/plugin';
import type { BundleOptions, ReplayWorkerOptions, Worker, WorkerOptions } from '@temporalio/worker';
import type { CompiledZapOptions } from '../client/zap-options';
import { ZapConfigurationError } from '../core/errors';
import { publishToolCatalog } from './publish-tool-catalog';
import { openWorkerResources, withPayloadCodec, type ZapWorkerResources } from './worker-resources';
import { withDefaultMaxCachedWorkflows } from './sticky-cache';
import { EventLoopDelayMonitor } from './event-loop-delay-monitor';
import { shortestHeartbeatTimeoutMs, withDefaultHeartbeatThrottle } from './heartbeat-options';
import { withZapWorkflowCode } from './workflow-code';

/** Name of the plugin `zap.workerPlugin()` returns, as Temporal logs it. */
export const ZAP_WORKER_PLUGIN_NAME = 'zap-agents';

/** The module `zap-agents/workflows` names, in this copy of the package (sources or `dist`). */
const WORKFLOWS_MODULE = require.resolve('../workflows/index');

/** What {@link createZapWorkerPlugin} needs from the `Zap`. */
export interface ZapWorkerPluginInput {
  options: CompiledZapOptions<any>;
  /** The Zap's started client (activities read conversations and check sub-tasks with it). */
  client: Client;
}

/**
 * Builds the plugin of `zap.workerPlugin()`: MCP servers are connected and every agent's tools
 * discovered first (as for `zap.createWorker()`), so a server that does not start fails here.
 */
export async function createZapWorkerPlugin(input: ZapWorkerPluginInput): Promise<ZapWorkerPlugin> {
  return new ZapWorkerPlugin(input, await openWorkerResources(input.options, input.client));
}

/**
 * A Temporal worker plugin (`@temporalio/plugin`'s `SimplePlugin`) that makes a worker of your
 * own run a Zap's agents next to your workflows and activities: it adds zap-agents' activities
 * (model calls, tools, MCP, the agent resolution of `runAgent`), the Zap's `payloadCodec`, zap's
 * workflow code when the worker has none of its own, and points `zap-agents/workflows` in your
 * workflow code at this copy of the package. Your `workflowsPath` module re-exports zap's
 * workflows (`export * from 'zap-agents/workflows'`) next to yours. When the (last) worker using
 * it stops, the plugin closes its MCP connections; `zap.stop()` closes them too.
 *
 * Give the Zap the task queue of the worker (`new Zap({ taskQueue })`): the agent tasks your
 * workflows start run there, and the Zap's client lists and reads tasks on its own task queue.
 *
 * @example
 * ```ts
 * const worker = await Worker.create({
 *   connection,
 *   taskQueue: 'orders',                              // the Zap's taskQueue too
 *   workflowsPath: require.resolve('./workflows'),    // yours, with `export * from 'zap-agents/workflows'`
 *   activities: { reserveStock, chargeCard },         // yours
 *   plugins: [await zap.workerPlugin()],
 * });
 * await worker.run();
 * ```
 */
export class ZapWorkerPlugin extends SimplePlugin {
  private runningWorkers = 0;
  private closing: Promise<void> | undefined;

  /** Use `zap.workerPlugin()`, which connects the MCP servers first. */
  constructor(
    private readonly zap: ZapWorkerPluginInput,
    private readonly resources: ZapWorkerResources,
  ) {
    const { payloadCodec } = zap.options;
    super({
      name: ZAP_WORKER_PLUGIN_NAME,
      activities: resources.activities,
      ...(payloadCodec ? { dataConverter: (existing) => withPayloadCodec(existing, payloadCodec) ?? {} } : {}),
    });
  }

  /**
   * Adds zap-agents' activities (an activity of yours with one of their names is a
   * `ZapConfigurationError`) and the payload codec, and zap's workflow code when the worker gives
   * neither `workflowsPath` nor `workflowBundle`. Unless the worker sets `maxCachedWorkflows`, its
   * sticky cache holds `DEFAULT_MAX_CACHED_WORKFLOWS` runs (as `zap.createWorker()` does), and
   * unless it sets `maxHeartbeatThrottleInterval`, that is half the agents' shortest heartbeat
   * timeout (at most 2 s), for your activities too: Temporal's 60 s would leave zap's calls too
   * little slack against a late heartbeat.
   */
  override configureWorker(options: WorkerOptions): WorkerOptions {
    if (this.closing) {
      throw new ZapConfigurationError({
        message: 'This zap-agents worker plugin was closed (its worker stopped, or zap.stop()); get a new one with zap.workerPlugin().',
      });
    }
    const taken = Object.keys(this.resources.activities).filter((name) => Object.hasOwn(options.activities ?? {}, name));
    if (taken.length > 0) {
      throw new ZapConfigurationError({
        message: `The worker's activities ${taken.map((name) => `'${name}'`).join(', ')} have the names of zap-agents activities; rename them.`,
      });
    }
    if (options.taskQueue !== this.zap.options.taskQueue) {
      this.zap.options.logger.warn(
        `A worker on task queue '${options.taskQueue}' runs the Zap's agents, but the Zap's taskQueue is '${this.zap.options.taskQueue}': ` +
          `agent tasks started by runAgent run on '${options.taskQueue}', where the Zap's client does not list them. Give the Zap taskQueue: '${options.taskQueue}'.`,
      );
    }
    return super.configureWorker(
      withDefaultHeartbeatThrottle(withDefaultMaxCachedWorkflows(withZapWorkflowCode(options)), this.zap.options.agents.values()),
    );
  }

  /** The payload codec, and zap's workflow code when the replay worker has none of its own. */
  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return super.configureReplayWorker(withZapWorkflowCode(options));
  }

  /**
   * Resolves `zap-agents/workflows` in the bundled workflow code to the module of this copy of
   * the package, so your workflows, zap's workflows and these activities come from one version.
   */
  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = super.configureBundler(options);
    const previousHook = configured.webpackConfigHook;
    return {
      ...configured,
      webpackConfigHook: (webpackConfig) => {
        const config = previousHook ? previousHook(webpackConfig) : webpackConfig;
        const alias = config.resolve?.alias;
        const zapAlias = Array.isArray(alias)
          ? [...alias, { name: 'zap-agents/workflows', alias: WORKFLOWS_MODULE, onlyModule: true }]
          : { ...alias, 'zap-agents/workflows$': WORKFLOWS_MODULE };
        return { ...config, resolve: { ...config.resolve, alias: zapAlias } };
      },
    };
  }

  /**
   * Publishes the agents' tools to the worker's task queue (what `zap.getAgentTools` reads), runs
   * the worker, and closes the MCP connections once the last worker using this plugin has stopped.
   */
  override async runWorker(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void> {
    this.runningWorkers += 1;
    const eventLoopMonitor = new EventLoopDelayMonitor({
      heartbeatTimeoutMs: shortestHeartbeatTimeoutMs(this.zap.options.agents.values()),
      logger: this.zap.options.logger,
    });
    try {
      await publishToolCatalog({
        client: this.zap.client,
        taskQueue: worker.options.taskQueue,
        agentNames: this.zap.options.agents.keys(),
        toolbox: this.resources.toolbox,
        logger: this.zap.options.logger,
      });
      await next(worker);
    } finally {
      eventLoopMonitor.stop();
      this.runningWorkers -= 1;
      if (this.runningWorkers === 0) await this.close();
    }
  }

  /** Closes the plugin's MCP connections (stdio servers stop); a worker can no longer use it. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.resources.close();
    return this.closing;
  }
}
